#!/usr/bin/env python3
"""Generates the TFLite single-op golden corpus for EdgeRun's kernel tests.

Each case is a one-operator TFLite model written by tflite_builder.py and run by LiteRT's
reference kernels (OpResolverType.BUILTIN_REF). The case directory holds case.json and one
.npy file per operator input and output. See README.md for the format and the case list.

Usage: make_goldens.py [--out DIR] [--only SUBSTRING] [--list]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import shutil
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from tflite_builder import ModelSpec

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO_ROOT, "Tests", "EdgeRuntimeTests", "Goldens", "tflite-ops")
GENERATOR = "tools/tflite-op-goldens/make_goldens.py"

F32 = np.float32
I8 = np.int8
I32 = np.int32


# --------------------------------------------------------------------------------------
# Case description
# --------------------------------------------------------------------------------------

@dataclass
class Input:
    name: str
    data: np.ndarray
    scale: List[float] = field(default_factory=list)
    zero_point: List[int] = field(default_factory=list)
    quantized_dimension: int = 0
    constant: bool = False


@dataclass
class Output:
    name: str
    shape: List[int]
    dtype: str
    scale: List[float] = field(default_factory=list)
    zero_point: List[int] = field(default_factory=list)
    quantized_dimension: int = 0


@dataclass
class Case:
    op: str
    inputs: List[Optional[Input]]
    outputs: List[Output]
    options: Dict
    # Expected results in the real (dequantized) domain, one per output, computed in numpy
    # from the (dequantized) inputs. Used only to sanity-check LiteRT's results.
    reference: List[np.ndarray]
    # Largest accepted difference from the reference: in output quanta for int8 outputs,
    # relative to max(1, max|reference|) for float outputs.
    tolerance: float = 1.0


# --------------------------------------------------------------------------------------
# Quantization helpers
# --------------------------------------------------------------------------------------

def f32(x: float) -> float:
    """Rounds to float32 (TFLite stores scales as float32) and returns a Python float."""
    return float(np.float32(x))


def qparams_for_range(lo: float, hi: float) -> Tuple[float, int]:
    """Asymmetric int8 parameters covering [lo, hi] (widened to include 0)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1.0
    scale = f32((hi - lo) / 255.0)
    zero_point = int(np.clip(round(-128 - lo / scale), -128, 127))
    return scale, zero_point


def output_qparams(values: np.ndarray, shrink: float = 0.9) -> Tuple[float, int]:
    """Output parameters from a float reference; `shrink` < 1 lets the extremes saturate."""
    return qparams_for_range(shrink * float(values.min()), shrink * float(values.max()))


def round_half_away(x: np.ndarray) -> np.ndarray:
    """TFLite's TfLiteRound / std::round: halves round away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    q = round_half_away(np.asarray(x, np.float64) / scale) + zero_point
    return np.clip(q, -128, 127).astype(I8)


def dequantize(q: np.ndarray, scale, zero_point) -> np.ndarray:
    return (np.asarray(q, np.float64) - np.asarray(zero_point, np.float64)) * np.asarray(scale, np.float64)


def quantize_weights_per_channel(w: np.ndarray, axis: int) -> Tuple[np.ndarray, List[float]]:
    """Symmetric int8 in [-127, 127], one scale per index of `axis`."""
    other = tuple(i for i in range(w.ndim) if i != axis)
    max_abs = np.max(np.abs(w), axis=other)
    scales = [f32(max(m, 1e-6) / 127.0) for m in max_abs]
    shape = [1] * w.ndim
    shape[axis] = -1
    s = np.asarray(scales, np.float64).reshape(shape)
    q = np.clip(np.round(w / s), -127, 127).astype(I8)
    return q, scales


def quantize_weights_per_tensor(w: np.ndarray) -> Tuple[np.ndarray, float]:
    scale = f32(max(float(np.max(np.abs(w))), 1e-6) / 127.0)
    return np.clip(np.round(w / scale), -127, 127).astype(I8), scale


def bias_scales(input_scale: float, weight_scales: Sequence[float]) -> List[float]:
    return [float(np.float32(input_scale) * np.float32(s)) for s in weight_scales]


def quantize_bias(b: np.ndarray, scales: Sequence[float]) -> np.ndarray:
    return np.round(b / np.asarray(scales, np.float64)).astype(I32)


def random_int8(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    """Uniform int8 over the whole range, with -128 and 127 always present."""
    q = rng.integers(-128, 128, size=shape, dtype=np.int64).astype(I8)
    flat = q.reshape(-1)
    if flat.size >= 2:
        i, j = rng.choice(flat.size, size=2, replace=False)
        flat[i], flat[j] = -128, 127
    return q


def int8_ramp() -> np.ndarray:
    return np.arange(-128, 128, dtype=np.int64).astype(I8).reshape(1, 256)


# --------------------------------------------------------------------------------------
# numpy float references (float64)
# --------------------------------------------------------------------------------------

ACTIVATION_RANGES = {
    "NONE": (-math.inf, math.inf),
    "RELU": (0.0, math.inf),
    "RELU6": (0.0, 6.0),
    "RELU_N1_TO_1": (-1.0, 1.0),
}


def activation(x: np.ndarray, act: str) -> np.ndarray:
    lo, hi = ACTIVATION_RANGES[act]
    return np.clip(x, lo, hi)


def out_size_and_pad(in_size: int, k: int, stride: int, dilation: int, padding: str) -> Tuple[int, int]:
    """TFLite ComputePaddingHeightWidth: output size and the leading (top/left) pad."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    else:
        out = (in_size + stride - eff) // stride
    total = max((out - 1) * stride + eff - in_size, 0)
    return out, total // 2


def conv_geometry(in_shape, kh, kw, opts):
    dh, dw = opts.get("dilation_h_factor", 1), opts.get("dilation_w_factor", 1)
    out_h, pad_t = out_size_and_pad(in_shape[1], kh, opts["stride_h"], dh, opts["padding"])
    out_w, pad_l = out_size_and_pad(in_shape[2], kw, opts["stride_w"], dw, opts["padding"])
    return out_h, out_w, pad_t, pad_l, dh, dw


def windows(in_shape, kh, kw, opts):
    """Yields (oy, ox, ky, kx, iy, ix) for every in-bounds tap."""
    out_h, out_w, pad_t, pad_l, dh, dw = conv_geometry(in_shape, kh, kw, opts)
    for oy in range(out_h):
        for ox in range(out_w):
            for ky in range(kh):
                iy = oy * opts["stride_h"] - pad_t + ky * dh
                if not 0 <= iy < in_shape[1]:
                    continue
                for kx in range(kw):
                    ix = ox * opts["stride_w"] - pad_l + kx * dw
                    if 0 <= ix < in_shape[2]:
                        yield oy, ox, ky, kx, iy, ix


def conv2d_ref(x, w, b, opts):
    n, _, _, _ = x.shape
    oc, kh, kw, _ = w.shape
    out_h, out_w, *_ = conv_geometry(x.shape, kh, kw, opts)
    y = np.zeros((n, out_h, out_w, oc))
    for oy, ox, ky, kx, iy, ix in windows(x.shape, kh, kw, opts):
        y[:, oy, ox, :] += x[:, iy, ix, :] @ w[:, ky, kx, :].T
    if b is not None:
        y += b
    return y


def depthwise_ref(x, w, b, opts):
    n, _, _, c = x.shape
    _, kh, kw, oc = w.shape
    m = opts["depth_multiplier"]
    out_h, out_w, *_ = conv_geometry(x.shape, kh, kw, opts)
    y = np.zeros((n, out_h, out_w, oc))
    channel_of = np.arange(oc) // m
    for oy, ox, ky, kx, iy, ix in windows(x.shape, kh, kw, opts):
        y[:, oy, ox, :] += x[:, iy, ix, channel_of] * w[0, ky, kx, :]
    if b is not None:
        y += b
    return y


def pool_ref(x, kind, opts):
    n, _, _, c = x.shape
    kh, kw = opts["filter_height"], opts["filter_width"]
    out_h, out_w, *_ = conv_geometry(x.shape, kh, kw, opts)
    acc = np.zeros((n, out_h, out_w, c))
    cnt = np.zeros((out_h, out_w))
    mx = np.full((n, out_h, out_w, c), -np.inf)
    for oy, ox, ky, kx, iy, ix in windows(x.shape, kh, kw, opts):
        acc[:, oy, ox, :] += x[:, iy, ix, :]
        mx[:, oy, ox, :] = np.maximum(mx[:, oy, ox, :], x[:, iy, ix, :])
        cnt[oy, ox] += 1
    return acc / cnt[None, :, :, None] if kind == "avg" else mx


def hard_swish(x):
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x, beta):
    z = beta * (x - x.max(axis=-1, keepdims=True))
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------------------
# Case builders
# --------------------------------------------------------------------------------------

def float_input(name, data, constant=False) -> Input:
    return Input(name, np.asarray(data, F32), constant=constant)


def int8_input(name, q, scale, zp, constant=False) -> Input:
    return Input(name, np.asarray(q, I8), [f32(scale)], [int(zp)], 0, constant)


def float_output(shape, name="output") -> Output:
    return Output(name, list(shape), "float32")


def int8_output(shape, scale, zp, name="output") -> Output:
    return Output(name, list(shape), "int8", [f32(scale)], [int(zp)])


def conv_like_case(rng, dtype, op, in_shape, filter_shape, opts, *, bias=True, gain=1.0,
                   input_range=(-1.0, 1.5), per_channel=True) -> Case:
    """CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED share data generation and quantization."""
    if op == "CONV_2D":
        fan_in = int(np.prod(filter_shape[1:]))
        out_c, qdim = filter_shape[0], 0
        ref_fn = lambda x, w, b: conv2d_ref(x, w, b, opts)
    elif op == "DEPTHWISE_CONV_2D":
        fan_in = filter_shape[1] * filter_shape[2]
        out_c, qdim = filter_shape[3], 3
        ref_fn = lambda x, w, b: depthwise_ref(x, w, b, opts)
    else:
        fan_in = filter_shape[1]
        out_c, qdim = filter_shape[0], 0
        ref_fn = lambda x, w, b: x.reshape(-1, filter_shape[1]) @ w.T + (0 if b is None else b)
    act = opts.get("fused_activation_function", "NONE")
    w = rng.normal(0.0, gain / math.sqrt(fan_in), filter_shape)
    # Per-channel magnitudes differ so per-channel scales differ.
    if qdim == 0:
        w *= rng.uniform(0.5, 2.0, (out_c,) + (1,) * (len(filter_shape) - 1))
    else:
        w *= rng.uniform(0.5, 2.0, out_c)
    b = rng.normal(0.0, 0.3 * gain, out_c) if bias else None

    if dtype == "float32":
        x = rng.uniform(input_range[0], input_range[1], in_shape).astype(F32)
        w = w.astype(F32)
        inputs = [float_input("input", x), float_input("filter", w, True),
                  float_input("bias", b, True) if bias else None]
        pre = ref_fn(x.astype(np.float64), w.astype(np.float64),
                     None if b is None else b.astype(F32).astype(np.float64))
        ref = activation(pre, act)
        return Case(op, inputs, [float_output(ref.shape)], opts, [ref], 1e-4)

    if dtype == "hybrid":
        # Dynamic-range quantization: float32 activations and bias, int8 weights with one
        # scale; TFLite quantizes the input per batch at run time (EvalHybrid).
        x = rng.uniform(input_range[0], input_range[1], in_shape).astype(F32)
        wq, s = quantize_weights_per_tensor(w)
        inputs = [float_input("input", x), Input("filter", wq, [s], [0], 0, True),
                  float_input("bias", b, True) if bias else None]
        pre = ref_fn(x.astype(np.float64), wq * np.float64(s),
                     None if b is None else b.astype(F32).astype(np.float64))
        ref = activation(pre, act)
        # The run-time input quantization costs up to half an input step per tap.
        return Case(op, inputs, [float_output(ref.shape)], opts, [ref], 0.05)

    in_scale, in_zp = qparams_for_range(*input_range)
    xq = random_int8(rng, in_shape)
    if per_channel:
        wq, w_scales = quantize_weights_per_channel(w, qdim)
        w_zps = [0] * len(w_scales)
        shape = [1] * len(filter_shape)
        shape[qdim] = -1
        w_deq = wq * np.asarray(w_scales).reshape(shape)
    else:
        wq, s = quantize_weights_per_tensor(w)
        w_scales, w_zps = [s], [0]
        w_deq = wq * np.float64(s)
    inputs = [int8_input("input", xq, in_scale, in_zp),
              Input("filter", wq, w_scales, w_zps, qdim if per_channel else 0, True)]
    b_deq = None
    if bias:
        # One bias scale per weight scale: input_scale * weight_scale, zero point 0.
        b_scales = bias_scales(in_scale, w_scales)
        bq = quantize_bias(b, b_scales)
        inputs.append(Input("bias", bq, b_scales, [0] * len(b_scales), 0, True))
        b_deq = bq * np.asarray(b_scales)
    else:
        inputs.append(None)
    pre = ref_fn(dequantize(xq, in_scale, in_zp), w_deq, b_deq)
    # Output parameters from the pre-activation range, so a fused activation really clamps.
    out_scale, out_zp = output_qparams(pre)
    ref = activation(pre, act)
    return Case(op, inputs, [int8_output(ref.shape, out_scale, out_zp)], opts, [ref], 1.0)


def conv_case(in_shape, filter_shape, padding="SAME", stride=(1, 1), dilation=(1, 1),
              act="NONE", **kw):
    opts = {"padding": padding, "stride_w": stride[1], "stride_h": stride[0],
            "dilation_w_factor": dilation[1], "dilation_h_factor": dilation[0],
            "fused_activation_function": act}
    return lambda rng, dtype: conv_like_case(rng, dtype, "CONV_2D", in_shape, filter_shape,
                                             opts, **kw)


def dwconv_case(in_shape, k, depth_multiplier=1, padding="SAME", stride=(1, 1),
                dilation=(1, 1), act="NONE", **kw):
    out_c = in_shape[3] * depth_multiplier
    opts = {"padding": padding, "stride_w": stride[1], "stride_h": stride[0],
            "depth_multiplier": depth_multiplier,
            "dilation_w_factor": dilation[1], "dilation_h_factor": dilation[0],
            "fused_activation_function": act}
    return lambda rng, dtype: conv_like_case(rng, dtype, "DEPTHWISE_CONV_2D", in_shape,
                                             (1, k[0], k[1], out_c), opts, **kw)


def fc_case(batch, in_features, out_features, act="NONE", **kw):
    opts = {"fused_activation_function": act, "weights_format": "DEFAULT",
            "keep_num_dims": False, "asymmetric_quantize_inputs": False}
    return lambda rng, dtype: conv_like_case(rng, dtype, "FULLY_CONNECTED",
                                             (batch, in_features), (out_features, in_features),
                                             opts, **kw)


def binary_case(op, a_shape, b_shape, act="NONE", b_constant=False,
                a_range=(-2.0, 2.5), b_range=(-0.7, 1.1)):
    def make(rng, dtype):
        opts = {"fused_activation_function": act}
        fn = {"ADD": np.add, "MUL": np.multiply, "DIV": np.divide}[op]
        if dtype == "float32":
            a = rng.uniform(*a_range, a_shape).astype(F32)
            b = rng.uniform(*b_range, b_shape).astype(F32)
            ref = activation(fn(a.astype(np.float64), b.astype(np.float64)), act)
            return Case(op, [float_input("input1", a), float_input("input2", b, b_constant)],
                        [float_output(ref.shape)], opts, [ref], 1e-5)
        a_s, a_zp = qparams_for_range(*a_range)
        b_s, b_zp = qparams_for_range(*b_range)
        aq, bq = random_int8(rng, a_shape), random_int8(rng, b_shape)
        pre = fn(dequantize(aq, a_s, a_zp), dequantize(bq, b_s, b_zp))
        o_s, o_zp = output_qparams(pre)
        ref = activation(pre, act)
        return Case(op, [int8_input("input1", aq, a_s, a_zp),
                         int8_input("input2", bq, b_s, b_zp, b_constant)],
                    [int8_output(ref.shape, o_s, o_zp)], opts, [ref], 1.0)
    return make


def pool_case(op, in_shape, k, stride, padding, act="NONE", input_range=(-3.0, 4.0),
              channel_offsets=None):
    """channel_offsets: per-channel centres of the data (uniform +-2.5 around them), so
    that window averages reach both ends of a fused activation's range."""
    def make(rng, dtype):
        opts = {"padding": padding, "stride_w": stride[1], "stride_h": stride[0],
                "filter_width": k[1], "filter_height": k[0], "fused_activation_function": act}
        kind = "avg" if op == "AVERAGE_POOL_2D" else "max"
        x = None
        if channel_offsets is not None:
            x = rng.uniform(-2.5, 2.5, in_shape) + np.asarray(channel_offsets)
        if dtype == "float32":
            if x is None:
                x = rng.uniform(*input_range, in_shape)
            x = x.astype(F32)
            ref = activation(pool_ref(x.astype(np.float64), kind, opts), act)
            return Case(op, [float_input("input", x)], [float_output(ref.shape)], opts,
                        [ref], 1e-5)
        # TFLite int8 pooling requires equal input and output quantization.
        s, zp = qparams_for_range(*input_range)
        if x is None:
            xq = random_int8(rng, in_shape)
        else:
            xq = quantize(x, s, zp)
            i, j = rng.choice(xq.size, size=2, replace=False)
            xq.reshape(-1)[i], xq.reshape(-1)[j] = -128, 127
        ref = activation(pool_ref(dequantize(xq, s, zp), kind, opts), act)
        return Case(op, [int8_input("input", xq, s, zp)], [int8_output(ref.shape, s, zp)],
                    opts, [ref], 1.0)
    return make


def mean_case(in_shape, keep_dims, same_params=True):
    def make(rng, dtype):
        opts = {"keep_dims": keep_dims}
        axis = Input("axis", np.array([1, 2], I32), constant=True)
        out_shape = [in_shape[0], 1, 1, in_shape[3]] if keep_dims else [in_shape[0], in_shape[3]]
        if dtype == "float32":
            x = rng.uniform(-2.0, 3.0, in_shape).astype(F32)
            ref = x.astype(np.float64).mean(axis=(1, 2)).reshape(out_shape)
            return Case("MEAN", [float_input("input", x), axis], [float_output(out_shape)],
                        opts, [ref], 1e-5)
        s, zp = qparams_for_range(-2.0, 3.0)
        xq = random_int8(rng, in_shape)
        ref = dequantize(xq, s, zp).mean(axis=(1, 2)).reshape(out_shape)
        o_s, o_zp = (s, zp) if same_params else output_qparams(ref, 1.0)
        return Case("MEAN", [int8_input("input", xq, s, zp), axis],
                    [int8_output(out_shape, o_s, o_zp)], opts, [ref], 1.0)
    return make


def data_movement_input(rng, dtype, shape, name="input", s=0.03, zp=-7):
    if dtype == "float32":
        return float_input(name, rng.uniform(-2.0, 2.0, shape).astype(F32))
    return int8_input(name, random_int8(rng, shape), s, zp)


def same_output(inp: Input, shape) -> Output:
    return Output("output", list(shape), inp.data.dtype.name, list(inp.scale),
                  list(inp.zero_point))


def reshape_case(in_shape, new_shape):
    def make(rng, dtype):
        x = data_movement_input(rng, dtype, in_shape)
        shape_in = Input("shape", np.array(new_shape, I32), constant=True)
        ref = x.data.reshape(new_shape)
        return Case("RESHAPE", [x, shape_in], [same_output(x, new_shape)],
                    {"new_shape": list(new_shape)}, [real(x, ref)], 0.0)
    return make


def real(inp: Input, values: np.ndarray) -> np.ndarray:
    """Real value of data laid out like `inp` (dequantized if quantized)."""
    if inp.scale:
        return dequantize(values, inp.scale[0], inp.zero_point[0])
    return values.astype(np.float64)


def concat_case(shapes, axis):
    def make(rng, dtype):
        xs = [data_movement_input(rng, dtype, s, f"input{i}") for i, s in enumerate(shapes)]
        ref = np.concatenate([x.data for x in xs], axis=axis)
        opts = {"axis": axis, "fused_activation_function": "NONE"}
        return Case("CONCATENATION", xs, [same_output(xs[0], ref.shape)], opts,
                    [real(xs[0], ref)], 0.0)
    return make


def pad_case(in_shape, paddings):
    def make(rng, dtype):
        x = data_movement_input(rng, dtype, in_shape, zp=9)
        pads = Input("paddings", np.array(paddings, I32), constant=True)
        fill = x.zero_point[0] if x.scale else 0
        ref = np.pad(x.data, paddings, constant_values=fill)
        return Case("PAD", [x, pads], [same_output(x, ref.shape)], {}, [real(x, ref)], 0.0)
    return make


def transpose_case(in_shape, perm):
    def make(rng, dtype):
        x = data_movement_input(rng, dtype, in_shape)
        p = Input("perm", np.array(perm, I32), constant=True)
        ref = np.transpose(x.data, perm)
        return Case("TRANSPOSE", [x, p], [same_output(x, ref.shape)], {}, [real(x, ref)], 0.0)
    return make


# Elementwise activations. Float inputs include the kinks of each function exactly.
UNARY_FLOAT = {
    "RELU": (lambda x: np.maximum(x, 0.0), (-4.0, 4.0), [0.0, -0.0]),
    "RELU6": (lambda x: np.clip(x, 0.0, 6.0), (-3.0, 9.0), [0.0, 6.0]),
    "RELU_N1_TO_1": (lambda x: np.clip(x, -1.0, 1.0), (-2.0, 2.0), [-1.0, 1.0, 0.0]),
    "HARD_SWISH": (hard_swish, (-5.0, 5.0), [-3.0, 3.0, 0.0]),
    "LOGISTIC": (sigmoid, (-12.0, 12.0), [0.0, -9.0, 16.0, 20.0, -20.0]),
    "TANH": (np.tanh, (-6.0, 6.0), [0.0, 10.0, -10.0]),
}


def unary_float_case(op, shape=(2, 5, 7)):
    def make(rng, dtype):
        fn, (lo, hi), specials = UNARY_FLOAT[op]
        x = rng.uniform(lo, hi, shape).astype(F32)
        x.reshape(-1)[: len(specials)] = specials
        ref = fn(x.astype(np.float64))
        return Case(op, [float_input("input", x)], [float_output(shape)], {}, [ref], 1e-5)
    return make


# TFLite fixes the int8 output parameters of LOGISTIC and TANH.
FIXED_OUTPUT_QPARAMS = {"LOGISTIC": (1.0 / 256.0, -128), "TANH": (1.0 / 128.0, 0)}


def unary_int8_case(op, in_qparams, out_qparams=None, ramp=False, shape=(3, 40)):
    def make(rng, dtype):
        fn = UNARY_FLOAT[op][0]
        xq = int8_ramp() if ramp else random_int8(rng, shape)
        s, zp = in_qparams
        ref = fn(dequantize(xq, s, zp))
        if op in FIXED_OUTPUT_QPARAMS:
            o_s, o_zp = FIXED_OUTPUT_QPARAMS[op]
        elif out_qparams is not None:
            o_s, o_zp = out_qparams
        else:
            o_s, o_zp = output_qparams(ref, 1.0)
        tol = 1.0 if op.startswith("RELU") else 2.0
        return Case(op, [int8_input("input", xq, s, zp)],
                    [int8_output(xq.shape, o_s, o_zp)], {}, [ref], tol)
    return make


def softmax_case(rows, depth, beta, in_qparams=(0.08, 12)):
    def make(rng, dtype):
        opts = {"beta": beta}
        if dtype == "float32":
            x = rng.uniform(-4.0, 4.0, (rows, depth)).astype(F32)
            ref = softmax(x.astype(np.float64), beta)
            return Case("SOFTMAX", [float_input("input", x)], [float_output(x.shape)], opts,
                        [ref], 1e-5)
        s, zp = in_qparams
        xq = random_int8(rng, (rows, depth))
        ref = softmax(dequantize(xq, s, zp), beta)
        return Case("SOFTMAX", [int8_input("input", xq, s, zp)],
                    [int8_output(xq.shape, 1.0 / 256.0, -128)], opts, [ref], 2.0)
    return make


def quantize_float_case(scale, zp, shape=(4, 30), ties=False):
    def make(rng, dtype):
        lo, hi = dequantize(np.array([-128, 127]), scale, zp)
        if ties:
            # Exact half-way points of a power-of-two scale: tests round-half-away-from-zero.
            k = rng.integers(-140, 140, size=shape)
            x = ((k - zp) + np.where(rng.random(shape) < 0.5, -0.5, 0.5)) * scale
        else:
            x = rng.uniform(lo - 1.0, hi + 1.0, shape)
        x = x.astype(F32)
        return Case("QUANTIZE", [float_input("input", x)], [int8_output(shape, scale, zp)],
                    {}, [x.astype(np.float64)], 1.0)
    return make


def requantize_case(in_qparams, out_qparams):
    def make(rng, dtype):
        xq = int8_ramp()
        ref = dequantize(xq, *in_qparams)
        return Case("QUANTIZE", [int8_input("input", xq, *in_qparams)],
                    [int8_output(xq.shape, *out_qparams)], {}, [ref], 1.0)
    return make


def dequantize_case(qparams):
    def make(rng, dtype):
        xq = int8_ramp()
        ref = dequantize(xq, qparams[0], qparams[1])
        return Case("DEQUANTIZE", [int8_input("input", xq, *qparams)],
                    [float_output(xq.shape)], {}, [ref], 1e-6)
    return make


# --------------------------------------------------------------------------------------
# The case list: (name, dtype, maker). Names are <op>_<dtype>_<variant>.
# --------------------------------------------------------------------------------------

BOTH = ("float32", "int8")


def gather_case(in_shape, axis, indices):
    def make(rng, dtype):
        x = data_movement_input(rng, dtype, in_shape)
        idx = Input("indices", np.array(indices, I32), constant=True)
        ref = np.take(x.data, indices, axis=axis)
        return Case("GATHER", [x, idx], [same_output(x, ref.shape)], {"axis": axis, "batch_dims": 0},
                    [real(x, ref)], 0.0)
    return make


def case_list() -> List[Tuple[str, str, Callable]]:
    cases: List[Tuple[str, str, Callable]] = []

    def add(prefix, variant, maker, dtypes=BOTH):
        for dt in dtypes:
            cases.append((f"{prefix}_{dt}_{variant}", dt, maker))

    # CONV_2D: filter OHWI, per-channel int8 weights.
    add("conv_2d", "stride1_same", conv_case((1, 5, 5, 3), (4, 3, 3, 3)))
    add("conv_2d", "stride2_same_relu6",
        conv_case((1, 5, 5, 3), (4, 3, 3, 3), stride=(2, 2), act="RELU6", gain=4.0))
    add("conv_2d", "stride2_same_even_input",
        conv_case((1, 6, 6, 2), (3, 3, 3, 2), stride=(2, 2)))
    add("conv_2d", "valid_dilation2_relu",
        conv_case((1, 7, 7, 2), (3, 3, 3, 2), padding="VALID", dilation=(2, 2), act="RELU"))
    add("conv_2d", "1x1", conv_case((1, 4, 4, 8), (6, 1, 1, 8), padding="VALID"))
    add("conv_2d", "odd_7x5_stride2x1_relu",
        conv_case((1, 7, 5, 3), (5, 3, 3, 3), stride=(2, 1), act="RELU"))
    add("conv_2d", "batch2_valid_2x3_kernel",
        conv_case((2, 4, 5, 3), (2, 2, 3, 3), padding="VALID"))
    add("conv_2d", "no_bias", conv_case((1, 4, 4, 3), (3, 3, 3, 3), bias=False),
        dtypes=("float32",))
    # Dynamic-range ("hybrid") CONV_2D: float32 input, per-tensor int8 filter.
    add("conv_2d", "stride2_same_relu",
        conv_case((1, 7, 6, 3), (4, 3, 3, 3), stride=(2, 2), act="RELU"), dtypes=("hybrid",))
    add("conv_2d", "batch2_valid_1x1", conv_case((2, 4, 4, 8), (6, 1, 1, 8), padding="VALID"),
        dtypes=("hybrid",))
    add("conv_2d", "10x4_stride2_same", conv_case((1, 9, 10, 1), (5, 4, 4, 1), stride=(2, 2)),
        dtypes=("hybrid",))

    # DEPTHWISE_CONV_2D: filter [1, kh, kw, in_c * depth_multiplier], quantized dimension 3.
    add("depthwise_conv_2d", "3x3_stride1_same", dwconv_case((1, 5, 5, 4), (3, 3)))
    add("depthwise_conv_2d", "3x3_stride2_same_relu6",
        dwconv_case((1, 6, 6, 4), (3, 3), stride=(2, 2), act="RELU6", gain=4.0))
    add("depthwise_conv_2d", "5x5_valid", dwconv_case((1, 7, 7, 3), (5, 5), padding="VALID"))
    add("depthwise_conv_2d", "dm2_3x3_same_relu6",
        dwconv_case((1, 5, 5, 3), (3, 3), depth_multiplier=2, act="RELU6", gain=4.0))
    add("depthwise_conv_2d", "3x3_valid_dilation2",
        dwconv_case((1, 6, 7, 2), (3, 3), padding="VALID", dilation=(2, 2)))

    # FULLY_CONNECTED: weights [out, in]; int8 per-tensor (the classic TFLite scheme) and
    # per-channel weights.
    add("fully_connected", "batch1", fc_case(1, 16, 8), dtypes=("float32",))
    add("fully_connected", "batch3_relu", fc_case(3, 12, 5, act="RELU"), dtypes=("float32",))
    add("fully_connected", "batch2_no_bias", fc_case(2, 10, 4, bias=False),
        dtypes=("float32",))
    add("fully_connected", "per_tensor_batch1", fc_case(1, 16, 8, per_channel=False),
        dtypes=("int8",))
    add("fully_connected", "per_tensor_batch3_relu",
        fc_case(3, 12, 5, act="RELU", per_channel=False), dtypes=("int8",))
    add("fully_connected", "per_channel_batch1", fc_case(1, 16, 8), dtypes=("int8",))
    # Dynamic-range ("hybrid") FULLY_CONNECTED: float32 input, per-tensor int8 weights.
    add("fully_connected", "batch3_relu", fc_case(3, 12, 5, act="RELU"), dtypes=("hybrid",))
    add("fully_connected", "batch1_no_bias", fc_case(1, 16, 8, bias=False), dtypes=("hybrid",))
    add("fully_connected", "per_channel_batch3_relu", fc_case(3, 12, 5, act="RELU"),
        dtypes=("int8",))

    # ADD and MUL (int8 inputs have different scales and zero points).
    for op in ("ADD", "MUL"):
        p = op.lower()
        add(p, "same_shape", binary_case(op, (1, 4, 4, 3), (1, 4, 4, 3)))
        add(p, "broadcast_channel", binary_case(op, (1, 3, 3, 5), (5,), b_constant=True))
        add(p, "broadcast_scalar", binary_case(op, (1, 3, 4, 2), (1,)))
        add(p, "broadcast_both", binary_case(op, (1, 3, 1, 4), (1, 1, 5, 4)))
        add(p, "same_shape_relu", binary_case(op, (1, 3, 3, 4), (1, 3, 3, 4), act="RELU"))

    # Pooling (int8 input and output share parameters, as TFLite requires).
    for op, p in (("AVERAGE_POOL_2D", "average_pool_2d"), ("MAX_POOL_2D", "max_pool_2d")):
        add(p, "2x2_stride2_valid", pool_case(op, (1, 6, 4, 3), (2, 2), (2, 2), "VALID"))
        add(p, "3x3_stride1_same", pool_case(op, (1, 5, 5, 3), (3, 3), (1, 1), "SAME"))
        add(p, "3x3_stride2_same_relu6",
            pool_case(op, (1, 5, 6, 2), (3, 3), (2, 2), "SAME", act="RELU6",
                      input_range=(-4.5, 9.0), channel_offsets=(-1.5, 6.0)))

    # MEAN over H and W.
    add("mean", "keep_dims", mean_case((1, 4, 4, 5), True))
    add("mean", "no_keep_dims", mean_case((1, 3, 5, 4), False))
    add("mean", "keep_dims_requant_batch2", mean_case((2, 3, 3, 4), True, same_params=False),
        dtypes=("int8",))
    add("mean", "no_keep_dims_requant", mean_case((1, 4, 3, 6), False, same_params=False),
        dtypes=("int8",))

    # Data movement (int8: output parameters equal input parameters).
    add("reshape", "4d_to_3d", reshape_case((1, 2, 3, 4), (1, 6, 4)))
    add("concatenation", "axis3_2_inputs", concat_case([(1, 2, 3, 2), (1, 2, 3, 3)], 3))
    add("concatenation", "axis1_3_inputs",
        concat_case([(1, 1, 3, 2), (1, 2, 3, 2), (1, 3, 3, 2)], 1))
    add("pad", "hw", pad_case((1, 3, 3, 2), [[0, 0], [1, 2], [2, 1], [0, 0]]))
    add("pad", "nhwc", pad_case((1, 2, 3, 2), [[1, 0], [0, 1], [1, 1], [2, 1]]))
    add("transpose", "perm_0312", transpose_case((1, 3, 4, 5), (0, 3, 1, 2)))
    add("transpose", "perm_0231", transpose_case((1, 2, 3, 4), (0, 2, 3, 1)))
    # DIV (float32 only in EdgeRun): divisors kept away from zero.
    add("div", "broadcast_channel", binary_case("DIV", (1, 3, 3, 5), (5,), b_range=(0.5, 2.0)), dtypes=("float32",))
    add("div", "same_shape_relu", binary_case("DIV", (1, 2, 3, 4), (1, 2, 3, 4), act="RELU", b_range=(-2.0, -0.5)),
        dtypes=("float32",))
    add("gather", "axis1_strided", gather_case((2, 7, 3), 1, [6, 4, 2, 0]))
    add("gather", "axis3_repeat", gather_case((1, 2, 3, 4), 3, [0, 0, 1, 3, 3]))

    # Activations.
    for op in UNARY_FLOAT:
        add(op.lower(), "random", unary_float_case(op), dtypes=("float32",))
    add("relu", "ramp_requant", unary_int8_case("RELU", (0.05, 5), (0.04, -30), ramp=True),
        dtypes=("int8",))
    add("relu6", "ramp_requant", unary_int8_case("RELU6", (0.06, -10), (6.0 / 255.0, -128),
                                                 ramp=True), dtypes=("int8",))
    add("relu_n1_to_1", "ramp_requant",
        unary_int8_case("RELU_N1_TO_1", (0.02, 3), (2.0 / 255.0, 0), ramp=True),
        dtypes=("int8",))
    add("hard_swish", "ramp", unary_int8_case("HARD_SWISH", (0.04, 0), ramp=True),
        dtypes=("int8",))
    add("hard_swish", "random", unary_int8_case("HARD_SWISH", (0.03, -20)), dtypes=("int8",))
    add("logistic", "ramp", unary_int8_case("LOGISTIC", (0.0625, 0), ramp=True),
        dtypes=("int8",))
    add("logistic", "random", unary_int8_case("LOGISTIC", (0.045, 17)), dtypes=("int8",))
    add("tanh", "ramp", unary_int8_case("TANH", (0.03125, 0), ramp=True), dtypes=("int8",))
    add("tanh", "random", unary_int8_case("TANH", (0.025, -11)), dtypes=("int8",))

    add("softmax", "beta1_3x10", softmax_case(3, 10, 1.0))
    add("softmax", "beta0p5_2x7", softmax_case(2, 7, 0.5, in_qparams=(0.05, -7)))

    add("quantize", "from_float32", quantize_float_case(0.0235, -5), dtypes=("int8",))
    add("quantize", "from_float32_ties", quantize_float_case(0.125, 3, ties=True),
        dtypes=("int8",))
    add("quantize", "requant_down", requantize_case((0.05, -10), (0.08, 7)), dtypes=("int8",))
    add("quantize", "requant_up", requantize_case((0.05, 0), (0.02, -3)), dtypes=("int8",))
    add("dequantize", "ramp", dequantize_case((0.037, -9)), dtypes=("int8",))
    return cases


# --------------------------------------------------------------------------------------
# Running LiteRT and writing cases
# --------------------------------------------------------------------------------------

def case_seed(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def build_model(case: Case) -> Tuple[bytes, List[int]]:
    """Returns the flatbuffer and the operator-input positions of the model's inputs."""
    m = ModelSpec()
    op_inputs, feed_positions = [], []
    for pos, inp in enumerate(case.inputs):
        if inp is None:
            op_inputs.append(-1)
            continue
        t = m.add_tensor(inp.name, inp.data.shape, inp.data.dtype,
                         data=inp.data if inp.constant else None, scale=inp.scale,
                         zero_point=inp.zero_point, quantized_dimension=inp.quantized_dimension)
        op_inputs.append(t)
        if not inp.constant:
            m.inputs.append(t)
            feed_positions.append(pos)
    for out in case.outputs:
        m.outputs.append(m.add_tensor(out.name, out.shape, out.dtype, scale=out.scale,
                                      zero_point=out.zero_point,
                                      quantized_dimension=out.quantized_dimension))
    m.add_operator(case.op, op_inputs, m.outputs, case.options)
    return m.serialize(), feed_positions


def run_litert(model: bytes, feeds: List[np.ndarray], case: Case) -> List[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_content=model,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    in_details = interp.get_input_details()
    assert len(in_details) == len(feeds)
    for d, x in zip(in_details, feeds):
        assert list(d["shape"]) == list(x.shape) and d["dtype"] == x.dtype.type, (d, x.shape)
        interp.set_tensor(d["index"], x)
    interp.invoke()
    results = []
    for d, out in zip(interp.get_output_details(), case.outputs):
        y = interp.get_tensor(d["index"]).copy()
        if list(y.shape) != out.shape or y.dtype.name != out.dtype:
            raise RuntimeError(f"output {y.dtype}{list(y.shape)} != {out.dtype}{out.shape}")
        q = d["quantization_parameters"]
        assert np.allclose(q["scales"], out.scale, rtol=0, atol=0), (q, out)
        results.append(y)
    return results


def check_against_reference(case: Case, results: List[np.ndarray]) -> str:
    """Compares LiteRT to the numpy reference; returns a summary, raises if far off."""
    notes = []
    for out, y, ref in zip(case.outputs, results, case.reference):
        if out.scale:
            expected = quantize(ref, out.scale[0], out.zero_point[0]).astype(np.int64)
            err = int(np.max(np.abs(y.astype(np.int64) - expected)))
            notes.append(f"max |q - q_ref| = {err}")
            if err > case.tolerance:
                raise RuntimeError(f"int8 result off the numpy reference by {err} quanta")
        else:
            err = float(np.max(np.abs(y.astype(np.float64) - ref)))
            bound = case.tolerance * max(1.0, float(np.max(np.abs(ref))))
            notes.append(f"max |y - y_ref| = {err:.3g}")
            if err > bound:
                raise RuntimeError(f"float result off the numpy reference by {err}")
    return ", ".join(notes)


def tensor_json(t, file_name: str, is_input: bool) -> str:
    d = {
        "name": t.name,
        "file": file_name,
        "dtype": t.data.dtype.name if is_input else t.dtype,
        "shape": [int(s) for s in (t.data.shape if is_input else t.shape)],
        "scale": [f32(s) for s in t.scale],
        "zero_point": [int(z) for z in t.zero_point],
        "quantized_dimension": int(t.quantized_dimension),
    }
    if is_input:
        d["constant"] = bool(t.constant)
    return json.dumps(d)


def case_json(case: Case, seed: int, litert_version: str) -> str:
    ins = ["    " + ("null" if t is None else tensor_json(t, f"input_{i}.npy", True))
           for i, t in enumerate(case.inputs)]
    outs = ["    " + tensor_json(t, f"output_{i}.npy", False) for i, t in enumerate(case.outputs)]
    lines = ["{",
             f'  "op": {json.dumps(case.op)},',
             '  "inputs": [', ",\n".join(ins), "  ],",
             '  "outputs": [', ",\n".join(outs), "  ],",
             f'  "options": {json.dumps(case.options)},',
             f'  "seed": {seed},',
             f'  "generator": {json.dumps(GENERATOR)},',
             f'  "litert_version": {json.dumps(litert_version)}',
             "}"]
    return "\n".join(lines) + "\n"


def save_npy(path: str, a: np.ndarray) -> None:
    a = np.ascontiguousarray(a)
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    np.save(path, a, allow_pickle=False)


def write_case(out_dir: str, name: str, case: Case, results, seed: int, version: str) -> None:
    d = os.path.join(out_dir, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for i, t in enumerate(case.inputs):
        if t is not None:
            save_npy(os.path.join(d, f"input_{i}.npy"), t.data)
    for i, y in enumerate(results):
        save_npy(os.path.join(d, f"output_{i}.npy"), y)
    with open(os.path.join(d, "case.json"), "w") as f:
        f.write(case_json(case, seed, version))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--out", default=DEFAULT_OUT, help="corpus directory (default: %(default)s)")
    ap.add_argument("--only", default="", help="generate only cases whose name contains this")
    ap.add_argument("--list", action="store_true", help="list case names and exit")
    args = ap.parse_args(argv)

    cases = [c for c in case_list() if args.only in c[0]]
    names = [c[0] for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    if args.list:
        print("\n".join(names))
        return 0

    version = importlib.metadata.version("ai-edge-litert")
    os.makedirs(args.out, exist_ok=True)
    if not args.only:
        # Full regeneration: remove case directories that are no longer generated.
        for entry in sorted(os.listdir(args.out)):
            p = os.path.join(args.out, entry)
            if entry not in names and os.path.isfile(os.path.join(p, "case.json")):
                shutil.rmtree(p)

    dropped = []
    t0 = time.time()
    for name, dtype, maker in cases:
        seed = case_seed(name)
        rng = np.random.default_rng(seed)
        case = maker(rng, dtype)
        try:
            model, feed_positions = build_model(case)
            feeds = [case.inputs[p].data for p in feed_positions]
            results = run_litert(model, feeds, case)
        except Exception as e:  # LiteRT rejected the model or failed to run it
            msg = " / ".join(line.strip() for line in str(e).strip().splitlines())
            dropped.append((name, msg or type(e).__name__))
            print(f"DROPPED {name}: {dropped[-1][1]}")
            stale = os.path.join(args.out, name)
            if os.path.isdir(stale):
                shutil.rmtree(stale)
            continue
        summary = check_against_reference(case, results)
        write_case(args.out, name, case, results, seed, version)
        print(f"{name}: {summary}")
    print(f"{len(cases) - len(dropped)} cases written to {args.out} in {time.time() - t0:.1f} s "
          f"(ai-edge-litert {version}, BUILTIN_REF); {len(dropped)} dropped")
    for name, why in dropped:
        print(f"  dropped {name}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
