#!/usr/bin/env python3
"""Writes a random-weight MobileNet-style convolution stack as ONNX plus calibration inputs and
one sample, for `make bench`'s end-to-end pruning rows on a pointwise-heavy model. Standard
library only (the ONNX protobuf helpers of make_bench_mlp.py), seeded.

The stack: BLOCKS x (3x3 depthwise conv + Relu, 1x1 conv CxC + Relu) on an HxW input of C
channels (NCHW), as in MobileNet's separable blocks; the 1x1 convs hold most of the MACs.

Usage: make_bench_pointwise.py OUT.onnx CALIBRATION.npy SAMPLE.npy H,W,C,BLOCKS   e.g. 24,24,64,4
"""
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_bench_mlp import field, initializer, node, text, value_info  # noqa: E402


def ints(name, values):
    return field(5, 2, text(1, name) + b"".join(field(8, 0, v) for v in values) + field(20, 0, 7))


def int_attr(name, value):
    return field(5, 2, text(1, name) + field(3, 0, value) + field(20, 0, 2))


def npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d, " % d for d in shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))


def main():
    onnx_path, calib_path, sample_path = sys.argv[1:4]
    h, w, c, blocks = [int(s) for s in sys.argv[4].split(",")]
    rng = random.Random(20261123)
    nodes, inits = [], []
    x = "input"
    for i in range(1, blocks + 1):
        dw, pw = "dw%d" % i, "pw%d" % i
        inits.append(initializer(dw + ".weight", [c, 1, 3, 3], [rng.gauss(0, math.sqrt(2.0 / 9)) for _ in range(c * 9)]))
        inits.append(initializer(dw + ".bias", [c], [rng.uniform(-0.1, 0.1) for _ in range(c)]))
        nodes.append(node("Conv", [x, dw + ".weight", dw + ".bias"], [dw], dw,
                          ints("kernel_shape", [3, 3]) + ints("pads", [1, 1, 1, 1]) + int_attr("group", c)))
        nodes.append(node("Relu", [dw], [dw + ".relu"], dw + "_relu"))
        inits.append(initializer(pw + ".weight", [c, c, 1, 1], [rng.gauss(0, math.sqrt(2.0 / c)) for _ in range(c * c)]))
        inits.append(initializer(pw + ".bias", [c], [rng.uniform(-0.1, 0.1) for _ in range(c)]))
        nodes.append(node("Conv", [dw + ".relu", pw + ".weight", pw + ".bias"], [pw], pw, ints("kernel_shape", [1, 1])))
        nodes.append(node("Relu", [pw], [pw + ".relu"], pw + "_relu"))
        x = pw + ".relu"
    graph = (b"".join(field(1, 2, n) for n in nodes) + text(2, "bench_pointwise")
             + b"".join(field(5, 2, t) for t in inits)
             + field(11, 2, value_info("input", [1, c, h, w])) + field(12, 2, value_info(x, [1, c, h, w])))
    model = (field(1, 0, 8) + text(2, "make_bench_pointwise.py") + field(7, 2, graph)
             + field(8, 2, field(1, 2, b"") + field(2, 0, 13)))
    with open(onnx_path, "wb") as f:
        f.write(model)
    samples = 16
    npy(calib_path, (samples, c, h, w), [rng.random() for _ in range(samples * c * h * w)])
    npy(sample_path, (1, c, h, w), [rng.random() for _ in range(c * h * w)])


if __name__ == "__main__":
    main()
