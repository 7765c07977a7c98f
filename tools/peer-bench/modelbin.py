"""Reads EdgeRun model.bin files (Sources/EdgeFormat/FORMAT.md, v1) into plain Python objects.

Only what the peer benchmark's converters need: tensors with their quantization and constant
data, ops with operands and parameters, graph inputs/outputs and labels. The Swift reader
(`ModelFile`) is the validating one; this reader checks the magic, version and CRCs and trusts
the rest.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

MAGIC = b"\x89ERM\r\n\x1a\n"
SECTIONS = {1: "STRINGS", 2: "TENSORS", 3: "QUANT", 4: "OPS", 5: "OPERANDS", 6: "PARAMS",
            7: "PLAN", 8: "METADATA", 9: "CONSTANTS"}
DTYPES = {1: np.float32, 2: np.int8, 3: np.uint8, 4: np.int16, 5: np.int32}
OP_KINDS = {1: "Conv2D", 2: "DepthwiseConv2D", 3: "FullyConnected", 4: "Add", 5: "Mul",
            6: "AveragePool2D", 7: "MaxPool2D", 8: "Mean", 9: "Reshape", 10: "Concatenation",
            11: "Pad", 12: "Clamp", 13: "HardSwish", 14: "Logistic", 15: "Tanh", 16: "Softmax",
            17: "Quantize", 18: "Dequantize", 19: "Transpose"}
ABSENT = 0xFFFFFFFF


@dataclass
class Tensor:
    index: int
    name: str
    dtype: type
    shape: List[int]
    constant: Optional[np.ndarray]          # None for arena tensors
    scales: List[float] = field(default_factory=list)
    zero_points: List[int] = field(default_factory=list)
    quantized_dimension: int = 0


@dataclass
class Op:
    kind: str
    name: str
    inputs: List[Optional[int]]             # None = absent optional input
    outputs: List[int]
    params: bytes

    def i32(self, index: int) -> int:
        return struct.unpack_from("<i", self.params, 4 * index)[0]

    def f32(self, index: int) -> float:
        return struct.unpack_from("<f", self.params, 4 * index)[0]


@dataclass
class Model:
    name: str
    tensors: List[Tensor]
    ops: List[Op]
    inputs: List[int]
    outputs: List[int]
    labels: List[str]


class FormatError(ValueError):
    pass


def read(path: str) -> Model:
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        raise FormatError(f"{path}: not a model.bin (bad magic); pack it with edgepack")
    major, = struct.unpack_from("<H", data, 12)
    if major != 1:
        raise FormatError(f"{path}: format major version {major}; this reader knows 1")
    count, = struct.unpack_from("<I", data, 20)
    table, = struct.unpack_from("<Q", data, 32)
    sections: Dict[str, memoryview] = {}
    view = memoryview(data)
    for i in range(count):
        kind, _flags, offset, size, crc, _ = struct.unpack_from("<IIQQII", data, table + 32 * i)
        body = view[offset:offset + size]
        if zlib.crc32(body) != crc:
            raise FormatError(f"{path}: section {SECTIONS.get(kind, kind)} fails its CRC; re-pack")
        sections[SECTIONS.get(kind, str(kind))] = body

    strings = bytes(sections["STRINGS"])

    def string(blob, at: int) -> str:
        offset, length = struct.unpack_from("<II", blob, at)
        return strings[offset:offset + length].decode("utf-8")

    def records(name: str):
        blob = sections[name]
        n, size, _ = struct.unpack_from("<IIQ", blob, 0)
        return [(blob, 16 + i * size) for i in range(n)]

    quant = [struct.unpack_from("<fi", blob, at) for blob, at in records("QUANT")]
    constants = sections.get("CONSTANTS", memoryview(b""))
    tensors = []
    for index, (blob, at) in enumerate(records("TENSORS")):
        dtype_code, rank, storage, qdim = struct.unpack_from("<BBBB", blob, at)
        dims = list(struct.unpack_from("<6I", blob, at + 8)[:rank])
        offset, nbytes, qindex, qcount = struct.unpack_from("<QQII", blob, at + 40)
        dtype = DTYPES[dtype_code]
        constant = None
        if storage == 1:
            constant = np.frombuffer(bytes(constants[offset:offset + nbytes]), dtype=dtype).reshape(dims)
        q = quant[qindex:qindex + qcount]
        tensors.append(Tensor(index, string(blob, at + 32), dtype, dims, constant,
                              [s for s, _ in q], [z for _, z in q], qdim))

    operands = [struct.unpack_from("<I", blob, at)[0] for blob, at in records("OPERANDS")]
    params = bytes(sections["PARAMS"])
    ops = []
    for blob, at in records("OPS"):
        kind, n_in, n_out, first, p_off, p_size = struct.unpack_from("<HBBIII", blob, at)
        ins = [None if t == ABSENT else t for t in operands[first:first + n_in]]
        outs = operands[first + n_in:first + n_in + n_out]
        ops.append(Op(OP_KINDS.get(kind, f"kind {kind}"), string(blob, at + 16), ins, outs,
                      params[p_off:p_off + p_size]))

    meta = sections["METADATA"]
    n_in, n_out, n_labels, _ = struct.unpack_from("<IIII", meta, 16)
    at = 32
    inputs = list(struct.unpack_from(f"<{n_in}I", meta, at)); at += 4 * n_in
    outputs = list(struct.unpack_from(f"<{n_out}I", meta, at)); at += 4 * n_out
    labels = [string(meta, at + 8 * i) for i in range(n_labels)]
    return Model(string(meta, 0), tensors, ops, inputs, outputs, labels)
