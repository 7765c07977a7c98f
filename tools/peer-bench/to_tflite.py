"""Converts an EdgeRun model.bin into an equivalent TFLite flatbuffer.

The peer benchmark runs LiteRT on exactly the model edgerun runs: same graph, same weights,
same quantization parameters. Because EdgeRun's int8 ops follow the TFLite quantization spec,
LiteRT's reference kernels must reproduce edgerun's int8 outputs bit for bit, which the
benchmark checks before it times anything.

Usage: python to_tflite.py model.bin out.tflite
"""

from __future__ import annotations

import math
import os
import sys
from typing import Dict, List

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tflite-op-goldens"))
import modelbin  # noqa: E402
from tflite_builder import ModelSpec  # noqa: E402


class Unsupported(ValueError):
    pass


def activation(op: modelbin.Op, first: int) -> str:
    """TFLite fused activation for the real-valued clamp [min, max] at params[first]."""
    lo, hi = op.f32(first), op.f32(first + 1)
    table = {(-math.inf, math.inf): "NONE", (0.0, math.inf): "RELU", (0.0, 6.0): "RELU6",
             (-1.0, 1.0): "RELU_N1_TO_1"}
    if (lo, hi) not in table:
        raise Unsupported(f"op '{op.name}': clamp [{lo}, {hi}] has no TFLite fused activation")
    return table[(lo, hi)]


def padding(op, in_hw, out_hw, kernel_hw, stride, dilation, pads) -> str:
    """SAME or VALID when the explicit pads (top, left, bottom, right) equal TFLite's."""
    if all(p == 0 for p in pads):
        valid = [(i - (k - 1) * d - 1) // s + 1 for i, k, s, d in zip(in_hw, kernel_hw, stride, dilation)]
        if valid == list(out_hw):
            return "VALID"
    same = []
    for i, o, k, s, d in zip(in_hw, out_hw, kernel_hw, stride, dilation):
        total = max((o - 1) * s + (k - 1) * d + 1 - i, 0)
        same.append((total // 2, total - total // 2))
    if [same[0][0], same[1][0], same[0][1], same[1][1]] == list(pads) and \
            [-(-i // s) for i, s in zip(in_hw, stride)] == list(out_hw):
        return "SAME"
    raise Unsupported(f"op '{op.name}': explicit pads {pads} are neither SAME nor VALID")


def convert(model: modelbin.Model) -> bytes:
    spec = ModelSpec(description=f"EdgeRun model.bin '{model.name}' for peer benchmarks")
    index: Dict[int, int] = {}
    for t in model.tensors:
        index[t.index] = spec.add_tensor(t.name, t.shape, t.dtype, data=t.constant,
                                         scale=t.scales, zero_point=t.zero_points,
                                         quantized_dimension=t.quantized_dimension)

    def const_i32(name: str, values: List[int]) -> int:
        values = np.asarray(values, dtype=np.int32)
        return spec.add_tensor(name, list(values.shape), np.int32, data=values)

    shape = {t.index: t.shape for t in model.tensors}
    for op in model.ops:
        ins = [-1 if i is None else index[i] for i in op.inputs]
        outs = [index[o] for o in op.outputs]
        k = op.kind
        if k in ("Conv2D", "DepthwiseConv2D"):
            w = shape[op.inputs[1]]
            stride, dilation = (op.i32(0), op.i32(1)), (op.i32(2), op.i32(3))
            pads = [op.i32(4), op.i32(5), op.i32(6), op.i32(7)]
            pad = padding(op, shape[op.inputs[0]][1:3], shape[op.outputs[0]][1:3], w[1:3], stride,
                          dilation, pads)
            options = {"padding": pad, "stride_h": stride[0], "stride_w": stride[1],
                       "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
                       "fused_activation_function": activation(op, 8)}
            if k == "DepthwiseConv2D":
                options["depth_multiplier"] = op.i32(10)
            spec.add_operator("CONV_2D" if k == "Conv2D" else "DEPTHWISE_CONV_2D", ins, outs, options)
        elif k == "FullyConnected":
            keep = len(shape[op.outputs[0]]) != 2
            spec.add_operator("FULLY_CONNECTED", ins, outs,
                              {"fused_activation_function": activation(op, 0), "keep_num_dims": keep})
        elif k in ("Add", "Mul"):
            spec.add_operator(k.upper(), ins, outs, {"fused_activation_function": activation(op, 0)})
        elif k in ("AveragePool2D", "MaxPool2D"):
            kernel, stride = (op.i32(0), op.i32(1)), (op.i32(2), op.i32(3))
            pads = [op.i32(4), op.i32(5), op.i32(6), op.i32(7)]
            pad = padding(op, shape[op.inputs[0]][1:3], shape[op.outputs[0]][1:3], kernel, stride,
                          (1, 1), pads)
            spec.add_operator("AVERAGE_POOL_2D" if k == "AveragePool2D" else "MAX_POOL_2D", ins, outs,
                              {"padding": pad, "stride_h": stride[0], "stride_w": stride[1],
                               "filter_height": kernel[0], "filter_width": kernel[1],
                               "fused_activation_function": activation(op, 8)})
        elif k == "Mean":
            mask = op.i32(0)
            axes = [a for a in range(len(shape[op.inputs[0]])) if mask >> a & 1]
            spec.add_operator("MEAN", [ins[0], const_i32(op.name + "/axes", axes)], outs,
                              {"keep_dims": bool(op.i32(1))})
        elif k == "Reshape":
            out_shape = shape[op.outputs[0]]
            spec.add_operator("RESHAPE", [ins[0], const_i32(op.name + "/shape", out_shape)], outs,
                              {"new_shape": out_shape})
        elif k == "Concatenation":
            spec.add_operator("CONCATENATION", ins, outs, {"axis": op.i32(0)})
        elif k == "Pad":
            rank = len(shape[op.inputs[0]])
            pads = [[op.i32(i), op.i32(6 + i)] for i in range(rank)]
            spec.add_operator("PAD", [ins[0], const_i32(op.name + "/paddings", pads)], outs)
        elif k == "Clamp":
            act = activation(op, 0)
            if act == "NONE":
                raise Unsupported(f"op '{op.name}': an open clamp has no TFLite equivalent")
            spec.add_operator(act, ins, outs)
        elif k == "Transpose":
            rank = len(shape[op.inputs[0]])
            perm = [op.i32(i) for i in range(rank)]
            spec.add_operator("TRANSPOSE", [ins[0], const_i32(op.name + "/perm", perm)], outs)
        elif k == "Softmax":
            spec.add_operator("SOFTMAX", ins, outs, {"beta": op.f32(0)})
        elif k in ("HardSwish", "Logistic", "Tanh", "Quantize", "Dequantize"):
            name = {"HardSwish": "HARD_SWISH"}.get(k, k.upper())
            spec.add_operator(name, ins, outs)
        else:
            raise Unsupported(f"op '{op.name}': {k} has no TFLite mapping in this converter")
    spec.inputs = [index[i] for i in model.inputs]
    spec.outputs = [index[o] for o in model.outputs]
    return spec.serialize()


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: to_tflite.py model.bin out.tflite", file=sys.stderr)
        return 2
    try:
        data = convert(modelbin.read(sys.argv[1]))
    except (modelbin.FormatError, Unsupported) as error:
        print(f"to_tflite: {error}", file=sys.stderr)
        return 1
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
