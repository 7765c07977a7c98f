#!/usr/bin/env python3
"""Checks EdgeRun's C reference kernels against the TFLite golden corpus.

Compiles Sources/CEdgeKernels/ref/*.c into a temporary shared library, loads it with ctypes
and runs every case of Tests/EdgeRuntimeTests/Goldens/tflite-ops through the matching
kernel: int8 results must be bit-exact, float results are reported with their largest
absolute and relative error.

The C API (structs and prototypes) is read from Sources/CEdgeKernels/include/*.h at run
time, so ctypes layouts follow the headers; a compiled offsetof/sizeof table double-checks
them. Kernels whose source is missing or does not compile yet are skipped, and so is each
case whose kernel the library does not export.

Usage: check_c_kernels.py [-v] [--cc CC] [case-filter ...]
  case-filter: substring of a case name, or a glob (fnmatch) when it contains * ? [
"""

from __future__ import annotations

import argparse
import ctypes
import fnmatch
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
KERNELS_DIR = os.path.join(REPO_ROOT, "Sources", "CEdgeKernels")
INCLUDE_DIR = os.path.join(KERNELS_DIR, "include")
REF_DIR = os.path.join(KERNELS_DIR, "ref")
CORPUS_DIR = os.path.join(REPO_ROOT, "Tests", "EdgeRuntimeTests", "Goldens", "tflite-ops")

CFLAGS = ["-O1", "-fPIC"]
FLOAT_TOLERANCE = 1e-5  # max |error| accepted: FLOAT_TOLERANCE * max(1, max |expected|)


class Skip(Exception):
    """The case cannot run yet (kernel absent, or no kernel for this op)."""


class ApiMismatch(Exception):
    """The headers no longer match what this harness passes: the harness needs an update."""


# --------------------------------------------------------------------------------------
# Header parsing: #define constants, typedef structs and function prototypes
# --------------------------------------------------------------------------------------

SCALAR_CTYPES = {
    "int8_t": ctypes.c_int8, "uint8_t": ctypes.c_uint8, "int16_t": ctypes.c_int16,
    "uint16_t": ctypes.c_uint16, "int32_t": ctypes.c_int32, "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64, "uint64_t": ctypes.c_uint64, "size_t": ctypes.c_size_t,
    "int": ctypes.c_int, "unsigned": ctypes.c_uint, "float": ctypes.c_float,
    "double": ctypes.c_double, "bool": ctypes.c_bool, "_Bool": ctypes.c_bool,
}


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_declarator(decl: str) -> Tuple[str, str, bool, List[str]]:
    """'const int32_t *multiplier' -> (base type, name, is_pointer, array dims)."""
    decl = decl.strip()
    dims = re.findall(r"\[\s*([^\]]*)\]", decl)
    decl = re.sub(r"\[[^\]]*\]", "", decl)
    pointer = "*" in decl
    words = decl.replace("*", " * ").split()
    name = words[-1]
    base = [w for w in words[:-1] if w not in ("const", "volatile", "*", "struct",
                                               "EK_RESTRICT", "restrict", "__restrict")]
    return " ".join(base), name, pointer, dims


class Api:
    """Structs and prototypes of the EdgeRun kernel headers, and the compiled library."""

    def __init__(self, include_dir: str):
        self.constants: Dict[str, int] = {}
        self.struct_fields: Dict[str, List[Tuple[str, str, bool, List[int]]]] = {}
        self.prototypes: Dict[str, Tuple[str, List[Tuple[str, bool]]]] = {}
        self.structs: Dict[str, type] = {}
        self.lib: Optional[ctypes.CDLL] = None
        self.layout_errors: Dict[str, str] = {}
        for path in sorted(glob.glob(os.path.join(include_dir, "*.h"))):
            self._parse(strip_comments(open(path).read()))
        for name in self.struct_fields:
            self._ctypes_struct(name)

    def _parse(self, text: str) -> None:
        for m in re.finditer(r"^\s*#\s*define\s+(\w+)\s+\(?\s*(-?\d+)\s*\)?\s*$", text, re.M):
            self.constants[m.group(1)] = int(m.group(2))
        for m in re.finditer(r"typedef\s+struct\s+\w*\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
            fields = []
            for stmt in m.group(1).split(";"):
                stmt = " ".join(stmt.split())
                if not stmt:
                    continue
                first, *rest = [p.strip() for p in stmt.split(",")]
                base, name, ptr, dims = parse_declarator(first)
                decls = [(name, ptr, dims)]
                for r in rest:  # "int32_t a, b, *c" shares the base type
                    _, n2, p2, d2 = parse_declarator(base + " " + r)
                    decls.append((n2, p2, d2))
                for n, p, d in decls:
                    fields.append((n, base, p, [self._dim(x) for x in d]))
            self.struct_fields[m.group(2)] = fields
        proto = re.compile(r"^([A-Za-z_][\w ]*?[\w*])\s*\b(ek_\w+)\s*\(([^;{}]*?)\)\s*;",
                           re.M | re.S)
        for m in proto.finditer(text):
            ret = m.group(1).strip()
            if "static" in ret or "typedef" in ret:
                continue
            params = []
            plist = " ".join(m.group(3).split())
            if plist and plist != "void":
                for p in plist.split(","):
                    base, _, ptr, dims = parse_declarator(p)
                    params.append((base, ptr or bool(dims)))
            self.prototypes[m.group(2)] = (ret, params)

    def _dim(self, text: str) -> int:
        text = text.strip()
        return int(text) if text.lstrip("-").isdigit() else self.constants[text]

    def _ctypes_type(self, base: str, pointer: bool):
        if pointer:
            return ctypes.c_void_p
        if base in SCALAR_CTYPES:
            return SCALAR_CTYPES[base]
        if base in self.structs:
            return self.structs[base]
        if base in self.struct_fields:
            return self._ctypes_struct(base)
        raise ApiMismatch(f"unknown C type {base!r}")

    def _ctypes_struct(self, name: str) -> type:
        if name in self.structs:
            return self.structs[name]
        fields = []
        for fname, base, ptr, dims in self.struct_fields[name]:
            t = self._ctypes_type(base, ptr)
            for d in reversed(dims):
                t = t * d
            fields.append((fname, t))
        cls = type(name, (ctypes.Structure,), {"_fields_": fields})
        self.structs[name] = cls
        return cls

    # ---- layout verification against the compiler ----
    def layout_source(self) -> str:
        lines = ['#include <stddef.h>', '#include "CEdgeKernels.h"',
                 "const size_t ek_harness_layout[] = {"]
        for name, fields in self.struct_fields.items():
            lines.append(f"  sizeof({name}),")
            lines += [f"  offsetof({name}, {f[0]})," for f in fields]
        lines.append("  0};")
        return "\n".join(lines) + "\n"

    def verify_layout(self, layout_lib: ctypes.CDLL) -> None:
        expected = []
        for name, fields in self.struct_fields.items():
            cls = self.structs[name]
            expected.append((name, "sizeof", ctypes.sizeof(cls)))
            expected += [(name, f[0], getattr(cls, f[0]).offset) for f in fields]
        table = (ctypes.c_size_t * (len(expected) + 1)).in_dll(layout_lib, "ek_harness_layout")
        for (name, what, value), actual in zip(expected, table):
            if value != actual:
                self.layout_errors[name] = f"{what}: ctypes {value}, compiler {actual}"

    # ---- calls ----
    def struct(self, name: str, **values):
        """An instance of struct `name`; every field must be given, and no other."""
        if name not in self.struct_fields:
            raise ApiMismatch(f"struct {name} is not declared in the headers")
        if name in self.layout_errors:
            raise ApiMismatch(f"struct {name} layout differs: {self.layout_errors[name]}")
        fields = [f[0] for f in self.struct_fields[name]]
        if set(values) != set(fields):
            raise ApiMismatch(f"struct {name} has fields {fields}, harness sets {sorted(values)}")
        s = self.structs[name]()
        for k, v in values.items():
            attr = getattr(s, k)
            if isinstance(attr, ctypes.Array):
                arr = list(v) + [0] * (len(attr) - len(v))
                attr[:] = arr
            else:
                setattr(s, k, v)
        return s

    def new(self, name: str):
        """A zeroed struct for a prepare function to fill."""
        if name not in self.struct_fields:
            raise ApiMismatch(f"struct {name} is not declared in the headers")
        if name in self.layout_errors:
            raise ApiMismatch(f"struct {name} layout differs: {self.layout_errors[name]}")
        return self.structs[name]()

    def function(self, name: str):
        if name not in self.prototypes:
            raise ApiMismatch(f"{name} is not declared in the headers")
        try:
            fn = getattr(self.lib, name)
        except AttributeError:
            raise Skip(f"{name} not in the library yet")
        ret, params = self.prototypes[name]
        fn.restype = None if ret == "void" else self._ctypes_type(ret.replace("const", "").strip(),
                                                                  "*" in ret)
        fn.argtypes = [self._ctypes_type(b, p) for b, p in params]
        return fn

    def call(self, name: str, *args):
        fn = self.function(name)
        if len(args) != len(fn.argtypes):
            raise ApiMismatch(f"{name} takes {len(fn.argtypes)} arguments, harness passes "
                              f"{len(args)}")
        conv = []
        for a in args:
            if isinstance(a, ctypes.Structure):
                a = ctypes.addressof(a)
            elif isinstance(a, Buffer):
                a = a.address
            conv.append(a)
        return fn(*conv)


# --------------------------------------------------------------------------------------
# Building the library
# --------------------------------------------------------------------------------------

def find_compiler(requested: Optional[str]) -> str:
    for cc in ([requested] if requested else []) + [os.environ.get("CC", ""), "clang", "gcc", "cc"]:
        if cc and shutil.which(cc):
            return cc
    sys.exit("no C compiler found (tried $CC, clang, gcc, cc)")


def first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()
    lines = [l for l in stderr.splitlines() if l.strip()]
    return lines[0].strip() if lines else "unknown error"


def build_library(cc: str, build_dir: str, ref_dir: str = REF_DIR) -> Tuple[Optional[str], List[str]]:
    """Compiles every ref/*.c on its own, then links those that compiled and whose
    undefined symbols resolve. Returns the library path and a list of notes."""
    notes = []
    objects = []
    sources = sorted(glob.glob(os.path.join(ref_dir, "*.c")))
    if not sources:
        notes.append(f"no C sources in {ref_dir}")
    for src in sources:
        obj = os.path.join(build_dir, os.path.basename(src)[:-2] + ".o")
        r = subprocess.run([cc, *CFLAGS, "-I", INCLUDE_DIR, "-c", src, "-o", obj],
                           capture_output=True, text=True)
        if r.returncode != 0:
            notes.append(f"skipped {os.path.basename(src)}: does not compile: "
                         f"{first_error(r.stderr)}")
        else:
            objects.append(obj)
    lib = os.path.join(build_dir, "libedgekernels_ref.so")
    while objects:
        r = subprocess.run([cc, "-shared", "-o", lib, *objects, "-lm", "-Wl,--no-undefined"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            notes.append("linked " + ", ".join(os.path.basename(o)[:-2] + ".c" for o in objects))
            return lib, notes
        bad = {o for o in objects if os.path.basename(o) in r.stderr}
        if not bad:
            notes.append(f"link failed: {first_error(r.stderr)}")
            return None, notes
        for o in sorted(bad):
            notes.append(f"skipped {os.path.basename(o)[:-2]}.c: undefined symbols at link time")
        objects = [o for o in objects if o not in bad]
    return None, notes


def build_layout_library(cc: str, build_dir: str, api: Api) -> Optional[str]:
    src = os.path.join(build_dir, "ek_harness_layout.c")
    with open(src, "w") as f:
        f.write(api.layout_source())
    lib = os.path.join(build_dir, "libek_harness_layout.so")
    r = subprocess.run([cc, *CFLAGS, "-shared", "-I", INCLUDE_DIR, src, "-o", lib],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"warning: struct layout check did not compile: {first_error(r.stderr)}")
        return None
    return lib


# --------------------------------------------------------------------------------------
# Buffers: aligned, with EK_EXTRA_BYTES of readable slack and a canary after outputs
# --------------------------------------------------------------------------------------

ALIGNMENT = 64
EXTRA_BYTES = 64
CANARY = 0xA5


class Buffer:
    def __init__(self, data: Optional[np.ndarray] = None, shape=None, dtype=None):
        if data is not None:
            data = np.ascontiguousarray(data)
            shape, dtype = data.shape, data.dtype
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(s) for s in shape)
        self.nbytes = int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize
        self._raw = np.full(self.nbytes + EXTRA_BYTES + ALIGNMENT, CANARY, np.uint8)
        start = (-self._raw.ctypes.data) % ALIGNMENT
        self._mem = self._raw[start:start + self.nbytes + EXTRA_BYTES]
        if data is not None:
            self._mem[:self.nbytes] = data.reshape(-1).view(np.uint8)

    @property
    def address(self) -> int:
        return self._mem.ctypes.data

    def array(self) -> np.ndarray:
        return self._mem[:self.nbytes].view(self.dtype).reshape(self.shape).copy()

    def overrun(self) -> bool:
        return bool(np.any(self._mem[self.nbytes:] != CANARY))


# --------------------------------------------------------------------------------------
# Case helpers
# --------------------------------------------------------------------------------------

class CaseData:
    def __init__(self, case_dir: str):
        self.dir = case_dir
        self.name = os.path.basename(case_dir)
        with open(os.path.join(case_dir, "case.json")) as f:
            self.json = json.load(f)
        self.op = self.json["op"]
        self.options = self.json["options"]
        self.inputs = self.json["inputs"]
        self.outputs = self.json["outputs"]

    def data(self, tensor: dict) -> np.ndarray:
        return np.load(os.path.join(self.dir, tensor["file"]))

    def input(self, i: int) -> Optional[np.ndarray]:
        t = self.inputs[i] if i < len(self.inputs) else None
        return None if t is None else self.data(t)

    def expected(self, i: int = 0) -> np.ndarray:
        return self.data(self.outputs[i])

    @property
    def quantized(self) -> bool:
        return self.outputs[0]["dtype"] == "int8" or self.inputs[0]["dtype"] == "int8"


ACTIVATION_RANGES = {
    "NONE": (-math.inf, math.inf),
    "RELU": (0.0, math.inf),
    "RELU6": (0.0, 6.0),
    "RELU_N1_TO_1": (-1.0, 1.0),
}


def qs8_range(api: Api, act: str, scale: float, zero_point: int) -> Tuple[int, int]:
    lo, hi = ACTIVATION_RANGES[act]
    qmin, qmax = ctypes.c_int32(), ctypes.c_int32()
    api.call("ek_qs8_activation_range", lo, hi, scale, zero_point,
             ctypes.addressof(qmin), ctypes.addressof(qmax))
    return qmin.value, qmax.value


def quantize_multiplier(api: Api, real: float) -> Tuple[int, int]:
    m, s = ctypes.c_int32(), ctypes.c_int32()
    api.call("ek_quantize_multiplier", real, ctypes.addressof(m), ctypes.addressof(s))
    return m.value, s.value


def out_size_and_pad(in_size: int, k: int, stride: int, dilation: int, padding: str):
    """TFLite's SAME/VALID output size and leading pad."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-in_size // stride)
    else:
        out = -(-(in_size - eff + 1) // stride)
    total = max((out - 1) * stride + eff - in_size, 0)
    return out, total // 2


def scale0(t: dict) -> float:
    return t["scale"][0]


def zp0(t: dict) -> int:
    return t["zero_point"][0]


# --------------------------------------------------------------------------------------
# Per-op runners: each returns the kernel's output arrays
# --------------------------------------------------------------------------------------

def run_conv(api: Api, c: CaseData) -> List[np.ndarray]:
    o = c.options
    x, w, b = c.input(0), c.input(1), c.input(2)
    depthwise = c.op == "DEPTHWISE_CONV_2D"
    n, in_h, in_w, in_c = x.shape
    if depthwise:
        _, kh, kw, out_c = w.shape
        dm = o["depth_multiplier"]
    else:
        out_c, kh, kw, _ = w.shape
        dm = 1
    dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    out_h, pad_t = out_size_and_pad(in_h, kh, o["stride_h"], dh, o["padding"])
    out_w, pad_l = out_size_and_pad(in_w, kw, o["stride_w"], dw, o["padding"])
    shape = api.struct("ek_conv2d_shape", batch=n, in_h=in_h, in_w=in_w, in_c=in_c,
                       out_h=out_h, out_w=out_w, out_c=out_c, kernel_h=kh, kernel_w=kw,
                       stride_h=o["stride_h"], stride_w=o["stride_w"], dilation_h=dh,
                       dilation_w=dw, pad_top=pad_t, pad_left=pad_l, depth_multiplier=dm)
    kind = "dwconv2d" if depthwise else "conv2d"
    out_t = c.outputs[0]
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    xb, wb = Buffer(x), Buffer(w)
    bb = Buffer(b) if b is not None else None
    act = o.get("fused_activation_function", "NONE")
    if not c.quantized and c.inputs[1]["dtype"] == "int8":
        # Dynamic-range ("hybrid") convolution: float32 activations, int8 weights (ek_hybrid.h).
        lo, hi = ACTIVATION_RANGES[act]
        scratch = Buffer(shape=list(x.shape), dtype="int8")
        api.call("ek_qd8_f32_qs8w_conv2d_minmax_1x1__ref", shape, c.inputs[1]["scale"][0], xb, wb,
                 bb.address if bb else None, scratch, y, lo, hi)
        return [y.array()], [xb, wb, y]
    if not c.quantized:
        lo, hi = ACTIVATION_RANGES[act]
        api.call(f"ek_f32_{kind}_minmax_1x1__ref", shape, xb, wb, bb.address if bb else None,
                 y, lo, hi)
        return [y.array()], [xb, wb, y]
    xt, wt = c.inputs[0], c.inputs[1]
    w_scales = wt["scale"] * (out_c if len(wt["scale"]) == 1 else 1)
    mult, shift = [], []
    for s in w_scales:
        m, e = quantize_multiplier(api, float(scale0(xt)) * float(s) / float(scale0(out_t)))
        mult.append(m)
        shift.append(e)
    mult_a, shift_a = np.array(mult, np.int32), np.array(shift, np.int32)
    qmin, qmax = qs8_range(api, act, scale0(out_t), zp0(out_t))
    params = api.struct("ek_qs8_requant_params", input_zero_point=zp0(xt),
                        output_zero_point=zp0(out_t), output_min=qmin, output_max=qmax,
                        multiplier=mult_a.ctypes.data, shift=shift_a.ctypes.data)
    api.call(f"ek_qs8_{kind}_minmax_1x1__ref", shape, params, xb, wb,
             bb.address if bb else None, y)
    return [y.array()], [xb, wb, y]


def run_fc(api: Api, c: CaseData) -> List[np.ndarray]:
    x, w, b = c.input(0), c.input(1), c.input(2)
    out_f, in_f = w.shape
    batch = x.size // in_f
    shape = api.struct("ek_fc_shape", batch=batch, in_features=in_f, out_features=out_f)
    out_t = c.outputs[0]
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    xb, wb = Buffer(x), Buffer(w)
    bb = Buffer(b) if b is not None else None
    act = c.options.get("fused_activation_function", "NONE")
    if not c.quantized and c.inputs[1]["dtype"] == "int8":
        # Dynamic-range ("hybrid") fully connected: float32 activations, int8 weights.
        lo, hi = ACTIVATION_RANGES[act]
        scratch = Buffer(shape=list(x.shape), dtype="int8")
        api.call("ek_qd8_f32_qs8w_fc_minmax_1x1__ref", shape, c.inputs[1]["scale"][0], xb, wb,
                 bb.address if bb else None, scratch, y, lo, hi)
        return [y.array()], [xb, wb, y]
    if not c.quantized:
        lo, hi = ACTIVATION_RANGES[act]
        api.call("ek_f32_fc_minmax_1x1__ref", shape, xb, wb, bb.address if bb else None, y,
                 lo, hi)
        return [y.array()], [xb, wb, y]
    xt, wt = c.inputs[0], c.inputs[1]
    w_scales = np.array(wt["scale"] * (out_f if len(wt["scale"]) == 1 else 1), np.float32)
    scales = np.zeros(out_f, np.float64)
    api.call("ek_qs8_fc_prepare", out_f, scale0(xt), w_scales.ctypes.data, scale0(out_t),
             scales.ctypes.data)
    qmin, qmax = qs8_range(api, act, scale0(out_t), zp0(out_t))
    params = api.struct("ek_qs8_fc_params", input_zero_point=zp0(xt),
                        output_zero_point=zp0(out_t), output_min=qmin, output_max=qmax,
                        scale=scales.ctypes.data)
    api.call("ek_qs8_fc_minmax_1x1__ref", shape, params, xb, wb, bb.address if bb else None, y)
    return [y.array()], [xb, wb, y]


def broadcast_shape(api: Api, a_shape, b_shape, out_shape):
    def pad4(s):
        return [1] * (4 - len(s)) + list(s)

    out = pad4(out_shape)

    def strides(s):
        s = pad4(s)
        st, acc = [0] * 4, 1
        for i in range(3, -1, -1):
            st[i] = 0 if s[i] == 1 and out[i] != 1 else acc
            acc *= s[i]
        return st

    return api.struct("ek_binary_shape", dims=out, a_strides=strides(a_shape),
                      b_strides=strides(b_shape))


def run_binary(api: Api, c: CaseData) -> List[np.ndarray]:
    a, b = c.input(0), c.input(1)
    out_t = c.outputs[0]
    shape = broadcast_shape(api, a.shape, b.shape, out_t["shape"])
    ab, bb = Buffer(a), Buffer(b)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    op = "add" if c.op == "ADD" else "mul"
    act = c.options.get("fused_activation_function", "NONE")
    if not c.quantized:
        lo, hi = ACTIVATION_RANGES[act]
        api.call(f"ek_f32_{op}_minmax_x1__ref", shape, ab, bb, y, lo, hi)
        return [y.array()], [ab, bb, y]
    at, bt = c.inputs[0], c.inputs[1]
    qmin, qmax = qs8_range(api, act, scale0(out_t), zp0(out_t))
    params = api.new(f"ek_qs8_{op}_params")
    api.call(f"ek_qs8_{op}_prepare", scale0(at), zp0(at), scale0(bt), zp0(bt), scale0(out_t),
             zp0(out_t), qmin, qmax, params)
    api.call(f"ek_qs8_{op}_minmax_x1__ref", shape, params, ab, bb, y)
    return [y.array()], [ab, bb, y]


def run_pool(api: Api, c: CaseData) -> List[np.ndarray]:
    o = c.options
    x = c.input(0)
    n, in_h, in_w, ch = x.shape
    kh, kw = o["filter_height"], o["filter_width"]
    out_h, pad_t = out_size_and_pad(in_h, kh, o["stride_h"], 1, o["padding"])
    out_w, pad_l = out_size_and_pad(in_w, kw, o["stride_w"], 1, o["padding"])
    shape = api.struct("ek_pool2d_shape", batch=n, in_h=in_h, in_w=in_w, channels=ch,
                       out_h=out_h, out_w=out_w, filter_h=kh, filter_w=kw,
                       stride_h=o["stride_h"], stride_w=o["stride_w"], pad_top=pad_t,
                       pad_left=pad_l)
    out_t = c.outputs[0]
    xb = Buffer(x)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    kind = "avgpool2d" if c.op == "AVERAGE_POOL_2D" else "maxpool2d"
    act = o.get("fused_activation_function", "NONE")
    if not c.quantized:
        lo, hi = ACTIVATION_RANGES[act]
        api.call(f"ek_f32_{kind}_minmax_1x1__ref", shape, xb, y, lo, hi)
    else:
        qmin, qmax = qs8_range(api, act, scale0(out_t), zp0(out_t))
        api.call(f"ek_qs8_{kind}_minmax_1x1__ref", shape, xb, y, qmin, qmax)
    return [y.array()], [xb, y]


def run_mean(api: Api, c: CaseData) -> List[np.ndarray]:
    x, axis = c.input(0), c.input(1)
    if x.ndim != 4 or sorted(int(a) % 4 for a in axis.reshape(-1)) != [1, 2]:
        raise Skip("only MEAN over axes [1, 2] of a 4-D input has a kernel")
    n, h, w, ch = x.shape
    shape = api.struct("ek_mean_shape", batch=n, in_h=h, in_w=w, channels=ch)
    out_t = c.outputs[0]
    xb = Buffer(x)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    if not c.quantized:
        api.call("ek_f32_mean_hw_x1__ref", shape, xb, y)
    else:
        xt = c.inputs[0]
        params = api.new("ek_qs8_mean_params")
        api.call("ek_qs8_mean_prepare", shape, scale0(xt), zp0(xt), scale0(out_t), zp0(out_t),
                 params)
        api.call("ek_qs8_mean_hw_x1__ref", shape, params, xb, y)
    return [y.array()], [xb, y]


def run_concat(api: Api, c: CaseData) -> List[np.ndarray]:
    out_t = c.outputs[0]
    out_shape = out_t["shape"]
    axis = c.options["axis"] % len(out_shape)
    y = Buffer(shape=out_shape, dtype=out_t["dtype"])
    itemsize = y.dtype.itemsize
    rows = int(np.prod(out_shape[:axis], dtype=np.int64))
    out_row = int(np.prod(out_shape[axis:], dtype=np.int64)) * itemsize
    offset, keep = 0, [y]
    for i in range(len(c.inputs)):
        x = c.input(i)
        xb = Buffer(x)
        keep.append(xb)
        row = int(np.prod(x.shape[axis:], dtype=np.int64)) * itemsize
        api.call("ek_xN_copy_rows__ref", rows, row, xb, row, y.address + offset, out_row)
        offset += row
    return [y.array()], keep


def run_pad(api: Api, c: CaseData) -> List[np.ndarray]:
    x, pads = c.input(0), c.input(1)
    out_t = c.outputs[0]
    shape = api.struct("ek_pad_shape", rank=x.ndim, in_dims=list(x.shape),
                       pad_before=[int(p) for p in pads[:, 0]],
                       pad_after=[int(p) for p in pads[:, 1]])
    xb = Buffer(x)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    fill = np.array([zp0(out_t) if out_t["zero_point"] else 0], dtype=y.dtype)
    api.call("ek_xN_pad__ref", shape, y.dtype.itemsize, xb, y, fill.ctypes.data)
    return [y.array()], [xb, y]


def run_transpose(api: Api, c: CaseData) -> List[np.ndarray]:
    x, perm = c.input(0), c.input(1)
    out_t = c.outputs[0]
    shape = api.struct("ek_transpose_shape", rank=x.ndim, in_dims=list(x.shape),
                       perm=[int(p) for p in perm])
    xb = Buffer(x)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    api.call("ek_xN_transpose__ref", shape, y.dtype.itemsize, xb, y)
    return [y.array()], [xb, y]


UNARY_F32 = {"HARD_SWISH": "hswish", "LOGISTIC": "sigmoid", "TANH": "tanh"}


def run_unary(api: Api, c: CaseData) -> List[np.ndarray]:
    x = c.input(0)
    xt, out_t = c.inputs[0], c.outputs[0]
    xb = Buffer(x)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    count = x.size
    if c.op in ("RELU", "RELU6", "RELU_N1_TO_1"):
        lo, hi = ACTIVATION_RANGES[c.op]
        if not c.quantized:
            api.call("ek_f32_clamp_x1__ref", count, xb, y, lo, hi)
        else:
            params = api.new("ek_qs8_clamp_params")
            api.call("ek_qs8_clamp_prepare", scale0(xt), zp0(xt), scale0(out_t), zp0(out_t),
                     lo, hi, params)
            api.call("ek_qs8_clamp_x1__ref", count, params, xb, y)
    elif not c.quantized:
        api.call(f"ek_f32_{UNARY_F32[c.op]}_x1__ref", count, xb, y)
    elif c.op == "HARD_SWISH":
        params = api.new("ek_qs8_hswish_params")
        api.call("ek_qs8_hswish_prepare", scale0(xt), zp0(xt), scale0(out_t), zp0(out_t), params)
        api.call("ek_qs8_hswish_x1__ref", count, params, xb, y)
    else:
        kind = UNARY_F32[c.op]
        params = api.new("ek_qs8_lut_params")
        api.call(f"ek_qs8_{kind}_prepare", scale0(xt), zp0(xt), scale0(out_t), zp0(out_t),
                 params)
        api.call(f"ek_qs8_{kind}_x1__ref", count, params, xb, y)
    return [y.array()], [xb, y]


def run_softmax(api: Api, c: CaseData) -> List[np.ndarray]:
    x = c.input(0)
    xt, out_t = c.inputs[0], c.outputs[0]
    depth = x.shape[-1]
    outer = x.size // depth
    beta = c.options.get("beta", 1.0)
    xb = Buffer(x)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    if not c.quantized:
        api.call("ek_f32_softmax_x1__ref", outer, depth, beta, xb, y)
    else:
        params = api.new("ek_qs8_softmax_params")
        api.call("ek_qs8_softmax_prepare", scale0(xt), beta, params)
        api.call("ek_qs8_softmax_x1__ref", outer, depth, params, xb, y)
    return [y.array()], [xb, y]


def run_convert(api: Api, c: CaseData) -> List[np.ndarray]:
    x = c.input(0)
    xt, out_t = c.inputs[0], c.outputs[0]
    xb = Buffer(x)
    y = Buffer(shape=out_t["shape"], dtype=out_t["dtype"])
    if c.op == "DEQUANTIZE":
        api.call("ek_qs8_f32_cvt_x1__ref", x.size, xb, y, scale0(xt), zp0(xt))
    elif xt["dtype"] == "float32":
        api.call("ek_f32_qs8_cvt_x1__ref", x.size, xb, y, scale0(out_t), zp0(out_t))
    else:
        params = api.new("ek_qs8_requantize_params")
        api.call("ek_qs8_requantize_prepare", scale0(xt), zp0(xt), scale0(out_t), zp0(out_t),
                 params)
        api.call("ek_qs8_requantize_x1__ref", x.size, params, xb, y)
    return [y.array()], [xb, y]


def run_reshape(api: Api, c: CaseData):
    raise Skip("RESHAPE has no kernel (metadata only)")


RUNNERS = {
    "CONV_2D": run_conv, "DEPTHWISE_CONV_2D": run_conv, "FULLY_CONNECTED": run_fc,
    "ADD": run_binary, "MUL": run_binary,
    "AVERAGE_POOL_2D": run_pool, "MAX_POOL_2D": run_pool, "MEAN": run_mean,
    "CONCATENATION": run_concat, "PAD": run_pad, "TRANSPOSE": run_transpose,
    "RESHAPE": run_reshape,
    "RELU": run_unary, "RELU6": run_unary, "RELU_N1_TO_1": run_unary,
    "HARD_SWISH": run_unary, "LOGISTIC": run_unary, "TANH": run_unary,
    "SOFTMAX": run_softmax, "QUANTIZE": run_convert, "DEQUANTIZE": run_convert,
}


# --------------------------------------------------------------------------------------
# Comparison and main loop
# --------------------------------------------------------------------------------------

def compare(expected: np.ndarray, actual: np.ndarray, verbose: bool) -> Tuple[bool, str]:
    if actual.shape != expected.shape:
        actual = actual.reshape(expected.shape)
    if expected.dtype.kind == "f":
        e, a = expected.astype(np.float64), actual.astype(np.float64)
        if not np.all(np.isfinite(a)):
            return False, "non-finite output"
        diff = np.abs(a - e)
        max_abs = float(diff.max()) if diff.size else 0.0
        max_rel = float((diff / np.maximum(np.abs(e), 1e-30)).max()) if diff.size else 0.0
        bound = FLOAT_TOLERANCE * max(1.0, float(np.abs(e).max()) if e.size else 1.0)
        ok = max_abs <= bound
        return ok, f"max abs err {max_abs:.3g}, max rel err {max_rel:.3g}"
    diff = actual.astype(np.int64) - expected.astype(np.int64)
    bad = np.flatnonzero(diff)
    if bad.size == 0:
        return True, "bit-exact"
    msg = f"{bad.size}/{diff.size} elements differ, max |diff| {int(np.abs(diff).max())}"
    show = bad[: (8 if verbose else 3)]
    detail = ", ".join(f"[{i}] got {int(actual.reshape(-1)[i])} want "
                       f"{int(expected.reshape(-1)[i])}" for i in show)
    return False, f"{msg}; {detail}"


def matches(name: str, filters: Sequence[str]) -> bool:
    if not filters:
        return True
    for f in filters:
        if any(ch in f for ch in "*?["):
            if fnmatch.fnmatch(name, f):
                return True
        elif f in name:
            return True
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Check C reference kernels against the goldens.")
    ap.add_argument("filters", nargs="*", help="case name substrings or globs")
    ap.add_argument("-v", "--verbose", action="store_true", help="show more mismatch detail")
    ap.add_argument("--cc", help="C compiler (default: $CC, clang, gcc)")
    ap.add_argument("--corpus", default=CORPUS_DIR, help="golden corpus directory")
    ap.add_argument("--sources", default=REF_DIR, help="directory of the C kernels to build")
    ap.add_argument("--keep", action="store_true", help="keep the build directory")
    args = ap.parse_args(argv)

    case_dirs = sorted(d for d in glob.glob(os.path.join(args.corpus, "*"))
                       if os.path.isfile(os.path.join(d, "case.json"))
                       and matches(os.path.basename(d), args.filters))
    if not case_dirs:
        print(f"no cases in {args.corpus} match {args.filters}")
        return 2

    cc = find_compiler(args.cc)
    build_dir = tempfile.mkdtemp(prefix="ek_check_")
    try:
        api = Api(INCLUDE_DIR)
        print(f"compiler: {cc} {' '.join(CFLAGS)}")
        lib_path, notes = build_library(cc, build_dir, args.sources)
        for note in notes:
            print(note)
        layout_path = build_layout_library(cc, build_dir, api)
        if layout_path:
            api.verify_layout(ctypes.CDLL(layout_path))
            for name, err in api.layout_errors.items():
                print(f"warning: ctypes layout of {name} differs from the compiler's: {err}")
        if lib_path:
            api.lib = ctypes.CDLL(lib_path)

        counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
        api_problems = []
        for d in case_dirs:
            case = CaseData(d)
            status, detail = "SKIP", ""
            try:
                if api.lib is None:
                    raise Skip("no kernel library (nothing compiled)")
                runner = RUNNERS.get(case.op)
                if runner is None:
                    raise Skip(f"no runner for {case.op}")
                actual, buffers = runner(api, case)
                ok, detail = compare(case.expected(), actual[0], args.verbose)
                if any(b.overrun() for b in buffers):
                    ok, detail = False, "wrote past the end of a buffer; " + detail
                status = "PASS" if ok else "FAIL"
            except Skip as e:
                detail = str(e)
            except ApiMismatch as e:
                detail = f"harness and headers disagree: {e}"
                api_problems.append(case.name)
            counts[status] += 1
            print(f"{status} {case.name}: {detail}")
        if api_problems:
            print(f"note: {len(api_problems)} case(s) skipped because this harness and the "
                  f"headers disagree; update check_c_kernels.py")
        print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
        return 1 if counts["FAIL"] else 0
    finally:
        if args.keep:
            print(f"build directory kept: {build_dir}")
        else:
            shutil.rmtree(build_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
