#!/usr/bin/env python3
"""Writes a random-weight MLP as ONNX plus calibration inputs, for `make bench`'s end-to-end
pruning rows. Standard library only (the ONNX protobuf is encoded by hand), seeded.

Usage: make_bench_mlp.py OUT.onnx CALIBRATION.npy SIZES   e.g. 256,512,512,10
"""
import math
import random
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def text(number, s):
    return field(number, 2, s.encode())


def value_info(name, dims):
    shape = b"".join(field(1, 2, field(1, 0, d)) for d in dims)
    tensor_type = field(1, 0, 1) + field(2, 2, shape)
    return text(1, name) + field(2, 2, field(1, 2, tensor_type))


def initializer(name, dims, values):
    return (b"".join(field(1, 0, d) for d in dims) + field(2, 0, 1) + text(8, name)
            + field(9, 2, struct.pack("<%df" % len(values), *values)))


def node(op, inputs, outputs, name, attributes=b""):
    return (b"".join(text(1, i) for i in inputs) + b"".join(text(2, o) for o in outputs)
            + text(3, name) + text(4, op) + attributes)


def main():
    onnx_path, npy_path, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")]
    rng = random.Random(20261123)
    nodes, inits = [], []
    x = "input"
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        w, b, y = "fc%d.weight" % (i + 1), "fc%d.bias" % (i + 1), "fc%d" % (i + 1)
        std = math.sqrt(2.0 / fan_in)
        inits.append(initializer(w, [fan_out, fan_in], [rng.gauss(0, std) for _ in range(fan_out * fan_in)]))
        inits.append(initializer(b, [fan_out], [rng.uniform(-0.1, 0.1) for _ in range(fan_out)]))
        trans_b = field(5, 2, text(1, "transB") + field(3, 0, 1) + field(20, 0, 2))
        nodes.append(node("Gemm", [x, w, b], [y], y, trans_b))
        x = y
        if i + 2 < len(sizes):
            nodes.append(node("Relu", [x], [x + ".relu"], "relu%d" % (i + 1)))
            x = x + ".relu"
    graph = (b"".join(field(1, 2, n) for n in nodes) + text(2, "bench_mlp")
             + b"".join(field(5, 2, t) for t in inits)
             + field(11, 2, value_info("input", [1, sizes[0]])) + field(12, 2, value_info(x, [1, sizes[-1]])))
    model = field(1, 0, 8) + text(2, "make_bench_mlp.py") + field(7, 2, graph) + field(8, 2, field(1, 2, b"") + field(2, 0, 13))
    with open(onnx_path, "wb") as f:
        f.write(model)

    samples = 128
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (samples, sizes[0])
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(npy_path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % (samples * sizes[0]), *[rng.random() for _ in range(samples * sizes[0])]))


if __name__ == "__main__":
    main()
