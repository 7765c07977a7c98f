"""Writes TFLite flatbuffers directly, without TensorFlow.

The field ids below are those of tensorflow/lite/schema/schema.fbs (the schema LiteRT
reads). A table field with id N lives in vtable slot N; the Python flatbuffers Builder
takes the slot number in its Prepend*Slot / PrependUOffsetTRelativeSlot calls.

Only what single-op models need is covered: Model (version 3), OperatorCode, SubGraph,
Tensor, QuantizationParameters, Operator with builtin options, and Buffer.

Usage:

    model = ModelSpec()
    x = model.add_tensor("input", [1, 4, 4, 3], np.float32)
    w = model.add_tensor("filter", [2, 3, 3, 3], np.float32, data=weights)
    y = model.add_tensor("output", [1, 4, 4, 2], np.float32)
    model.add_operator("CONV_2D", [x, w, -1], [y],
                       {"padding": "SAME", "stride_w": 1, "stride_h": 1})
    model.inputs, model.outputs = [x], [y]
    flatbuffer_bytes = model.serialize()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import flatbuffers
import numpy as np

SCHEMA_VERSION = 3
FILE_IDENTIFIER = b"TFL3"

# enum TensorType : byte
TENSOR_TYPES = {
    "float32": 0,
    "float16": 1,
    "int32": 2,
    "uint8": 3,
    "int64": 4,
    "string": 5,
    "bool": 6,
    "int16": 7,
    "int8": 9,
}

# enum BuiltinOperator : int32 (the subset used here)
BUILTIN_OPERATORS = {
    "ADD": 0,
    "AVERAGE_POOL_2D": 1,
    "CONCATENATION": 2,
    "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 4,
    "DEQUANTIZE": 6,
    "FULLY_CONNECTED": 9,
    "LOGISTIC": 14,
    "MAX_POOL_2D": 17,
    "MUL": 18,
    "RELU": 19,
    "RELU_N1_TO_1": 20,
    "RELU6": 21,
    "RESHAPE": 22,
    "SOFTMAX": 25,
    "TANH": 28,
    "PAD": 34,
    "TRANSPOSE": 39,
    "MEAN": 40,
    "QUANTIZE": 114,
    "HARD_SWISH": 117,
    "GATHER": 36,
    "DIV": 42,
}

# OperatorCode.deprecated_builtin_code is a byte; codes past 126 store this placeholder
# there and the real code in OperatorCode.builtin_code.
PLACEHOLDER_FOR_GREATER_OP_CODES = 127

# enum Padding : byte
PADDING = {"SAME": 0, "VALID": 1}

# enum ActivationFunctionType : byte
ACTIVATION_FUNCTIONS = {
    "NONE": 0,
    "RELU": 1,
    "RELU_N1_TO_1": 2,
    "RELU6": 3,
    "TANH": 4,
    "SIGN_BIT": 5,
}

# enum FullyConnectedOptionsWeightsFormat : byte
FC_WEIGHTS_FORMATS = {"DEFAULT": 0, "SHUFFLED4x16INT8": 1}

# Field kinds of builtin options.
INT32 = "int32"
FLOAT32 = "float32"
BOOL = "bool"
INT32_VECTOR = "int32_vector"


@dataclass(frozen=True)
class OptionField:
    name: str           # snake_case schema name, also the key in an options dict
    slot: int           # field id in the schema table
    kind: Any           # INT32, FLOAT32, BOOL, INT32_VECTOR, or an enum dict (byte enum)
    default: Any = None  # schema default; written only when the value differs


@dataclass(frozen=True)
class OptionsTable:
    name: str           # schema table name
    union_type: int     # index in union BuiltinOptions
    fields: Sequence[OptionField]


_CONV_2D_OPTIONS = OptionsTable("Conv2DOptions", 1, (
    OptionField("padding", 0, PADDING, "SAME"),
    OptionField("stride_w", 1, INT32, 0),
    OptionField("stride_h", 2, INT32, 0),
    OptionField("fused_activation_function", 3, ACTIVATION_FUNCTIONS, "NONE"),
    OptionField("dilation_w_factor", 4, INT32, 1),
    OptionField("dilation_h_factor", 5, INT32, 1),
))
_DEPTHWISE_CONV_2D_OPTIONS = OptionsTable("DepthwiseConv2DOptions", 2, (
    OptionField("padding", 0, PADDING, "SAME"),
    OptionField("stride_w", 1, INT32, 0),
    OptionField("stride_h", 2, INT32, 0),
    OptionField("depth_multiplier", 3, INT32, 0),
    OptionField("fused_activation_function", 4, ACTIVATION_FUNCTIONS, "NONE"),
    OptionField("dilation_w_factor", 5, INT32, 1),
    OptionField("dilation_h_factor", 6, INT32, 1),
))
_POOL_2D_OPTIONS = OptionsTable("Pool2DOptions", 5, (
    OptionField("padding", 0, PADDING, "SAME"),
    OptionField("stride_w", 1, INT32, 0),
    OptionField("stride_h", 2, INT32, 0),
    OptionField("filter_width", 3, INT32, 0),
    OptionField("filter_height", 4, INT32, 0),
    OptionField("fused_activation_function", 5, ACTIVATION_FUNCTIONS, "NONE"),
))
_FULLY_CONNECTED_OPTIONS = OptionsTable("FullyConnectedOptions", 8, (
    OptionField("fused_activation_function", 0, ACTIVATION_FUNCTIONS, "NONE"),
    OptionField("weights_format", 1, FC_WEIGHTS_FORMATS, "DEFAULT"),
    OptionField("keep_num_dims", 2, BOOL, False),
    OptionField("asymmetric_quantize_inputs", 3, BOOL, False),
))
_SOFTMAX_OPTIONS = OptionsTable("SoftmaxOptions", 9, (
    OptionField("beta", 0, FLOAT32, 0.0),
))
_CONCATENATION_OPTIONS = OptionsTable("ConcatenationOptions", 10, (
    OptionField("axis", 0, INT32, 0),
    OptionField("fused_activation_function", 1, ACTIVATION_FUNCTIONS, "NONE"),
))
_ADD_OPTIONS = OptionsTable("AddOptions", 11, (
    OptionField("fused_activation_function", 0, ACTIVATION_FUNCTIONS, "NONE"),
))
_RESHAPE_OPTIONS = OptionsTable("ReshapeOptions", 17, (
    OptionField("new_shape", 0, INT32_VECTOR, None),
))
_MUL_OPTIONS = OptionsTable("MulOptions", 21, (
    OptionField("fused_activation_function", 0, ACTIVATION_FUNCTIONS, "NONE"),
))
_PAD_OPTIONS = OptionsTable("PadOptions", 22, ())
_TRANSPOSE_OPTIONS = OptionsTable("TransposeOptions", 26, ())
_REDUCER_OPTIONS = OptionsTable("ReducerOptions", 27, (
    OptionField("keep_dims", 0, BOOL, False),
))
_DEQUANTIZE_OPTIONS = OptionsTable("DequantizeOptions", 38, ())
_QUANTIZE_OPTIONS = OptionsTable("QuantizeOptions", 89, ())
_HARD_SWISH_OPTIONS = OptionsTable("HardSwishOptions", 91, ())
_DIV_OPTIONS = OptionsTable("DivOptions", 29, (
    OptionField("fused_activation_function", 0, ACTIVATION_FUNCTIONS, "NONE"),
))
_GATHER_OPTIONS = OptionsTable("GatherOptions", 23, (
    OptionField("axis", 0, INT32, 0),
    OptionField("batch_dims", 1, INT32, 0),
))

# The options table each operator carries (None: the operator has no builtin options).
OPERATOR_OPTIONS: Dict[str, Optional[OptionsTable]] = {
    "ADD": _ADD_OPTIONS,
    "AVERAGE_POOL_2D": _POOL_2D_OPTIONS,
    "CONCATENATION": _CONCATENATION_OPTIONS,
    "CONV_2D": _CONV_2D_OPTIONS,
    "DEPTHWISE_CONV_2D": _DEPTHWISE_CONV_2D_OPTIONS,
    "DEQUANTIZE": _DEQUANTIZE_OPTIONS,
    "FULLY_CONNECTED": _FULLY_CONNECTED_OPTIONS,
    "LOGISTIC": None,
    "MAX_POOL_2D": _POOL_2D_OPTIONS,
    "MUL": _MUL_OPTIONS,
    "RELU": None,
    "RELU_N1_TO_1": None,
    "RELU6": None,
    "RESHAPE": _RESHAPE_OPTIONS,
    "SOFTMAX": _SOFTMAX_OPTIONS,
    "TANH": None,
    "PAD": _PAD_OPTIONS,
    "TRANSPOSE": _TRANSPOSE_OPTIONS,
    "MEAN": _REDUCER_OPTIONS,
    "QUANTIZE": _QUANTIZE_OPTIONS,
    "HARD_SWISH": _HARD_SWISH_OPTIONS,
    "GATHER": _GATHER_OPTIONS,
    "DIV": _DIV_OPTIONS,
}

# Field ids of the core tables.
class _Model:
    VERSION, OPERATOR_CODES, SUBGRAPHS, DESCRIPTION, BUFFERS = 0, 1, 2, 3, 4


class _OperatorCode:
    DEPRECATED_BUILTIN_CODE, CUSTOM_CODE, VERSION, BUILTIN_CODE = 0, 1, 2, 3


class _SubGraph:
    TENSORS, INPUTS, OUTPUTS, OPERATORS, NAME = 0, 1, 2, 3, 4


class _Tensor:
    SHAPE, TYPE, BUFFER, NAME, QUANTIZATION = 0, 1, 2, 3, 4


class _QuantizationParameters:
    MIN, MAX, SCALE, ZERO_POINT, DETAILS_TYPE, DETAILS, QUANTIZED_DIMENSION = range(7)


class _Operator:
    OPCODE_INDEX, INPUTS, OUTPUTS, BUILTIN_OPTIONS_TYPE, BUILTIN_OPTIONS = 0, 1, 2, 3, 4


class _Buffer:
    DATA = 0


BUFFER_ALIGNMENT = 16  # Buffer.data is declared (force_align: 16)


def dtype_name(dtype) -> str:
    """numpy dtype -> TFLite tensor type name used in this module and in case.json."""
    name = np.dtype(dtype).name
    if name not in TENSOR_TYPES:
        raise ValueError(f"unsupported tensor dtype {name}")
    return name


@dataclass
class TensorSpec:
    name: str
    shape: List[int]
    dtype: str                                   # key of TENSOR_TYPES
    data: Optional[np.ndarray] = None            # constant data, or None for activations
    scale: List[float] = field(default_factory=list)
    zero_point: List[int] = field(default_factory=list)
    quantized_dimension: int = 0

    @property
    def is_quantized(self) -> bool:
        return len(self.scale) > 0


@dataclass
class OperatorSpec:
    op: str                                      # key of BUILTIN_OPERATORS
    inputs: List[int]                            # tensor indices, -1 = omitted optional input
    outputs: List[int]
    options: Dict[str, Any] = field(default_factory=dict)
    version: int = 1


@dataclass
class ModelSpec:
    tensors: List[TensorSpec] = field(default_factory=list)
    operators: List[OperatorSpec] = field(default_factory=list)
    inputs: List[int] = field(default_factory=list)
    outputs: List[int] = field(default_factory=list)
    description: str = "EdgeRun tflite-op-goldens"

    def add_tensor(self, name: str, shape: Sequence[int], dtype, data: Optional[np.ndarray] = None,
                   scale: Sequence[float] = (), zero_point: Sequence[int] = (),
                   quantized_dimension: int = 0) -> int:
        """Appends a tensor and returns its index. `data` makes it a constant."""
        type_name = dtype_name(dtype)
        if data is not None:
            data = np.ascontiguousarray(data, dtype=np.dtype(type_name).newbyteorder("<"))
            if list(data.shape) != list(shape):
                raise ValueError(f"{name}: data shape {data.shape} != {list(shape)}")
        if len(scale) != len(zero_point):
            raise ValueError(f"{name}: scale and zero_point lengths differ")
        self.tensors.append(TensorSpec(name, [int(d) for d in shape], type_name, data,
                                       [float(s) for s in scale], [int(z) for z in zero_point],
                                       int(quantized_dimension)))
        return len(self.tensors) - 1

    def add_operator(self, op: str, inputs: Sequence[int], outputs: Sequence[int],
                     options: Optional[Dict[str, Any]] = None, version: int = 1) -> int:
        if op not in BUILTIN_OPERATORS:
            raise ValueError(f"unknown operator {op}")
        self.operators.append(OperatorSpec(op, list(inputs), list(outputs), dict(options or {}),
                                           version))
        return len(self.operators) - 1

    def serialize(self) -> bytes:
        return _ModelWriter(self).write()


class _ModelWriter:
    """Serializes a ModelSpec. Flatbuffers are built back to front: every vector, string
    and sub-table must be finished before the table that refers to it is started."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.b = flatbuffers.Builder(1024)

    # ---- helpers ----
    def _int32_vector(self, values: Sequence[int]) -> int:
        return self.b.CreateNumpyVector(np.asarray(values, dtype="<i4"))

    def _int64_vector(self, values: Sequence[int]) -> int:
        return self.b.CreateNumpyVector(np.asarray(values, dtype="<i8"))

    def _float32_vector(self, values: Sequence[float]) -> int:
        return self.b.CreateNumpyVector(np.asarray(values, dtype="<f4"))

    def _table_vector(self, offsets: Sequence[int]) -> int:
        b = self.b
        b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    # ---- tables ----
    def _buffer(self, data: Optional[bytes]) -> int:
        b = self.b
        data_off = None
        if data:
            b.StartVector(1, len(data), BUFFER_ALIGNMENT)
            b.head = b.head - len(data)
            b.Bytes[b.head:b.head + len(data)] = data
            data_off = b.EndVector()
        b.StartObject(1)
        if data_off is not None:
            b.PrependUOffsetTRelativeSlot(_Buffer.DATA, data_off, 0)
        return b.EndObject()

    def _quantization(self, t: TensorSpec) -> int:
        b = self.b
        scale_off = self._float32_vector(t.scale)
        zp_off = self._int64_vector(t.zero_point)
        b.StartObject(7)
        b.PrependUOffsetTRelativeSlot(_QuantizationParameters.SCALE, scale_off, 0)
        b.PrependUOffsetTRelativeSlot(_QuantizationParameters.ZERO_POINT, zp_off, 0)
        b.PrependInt32Slot(_QuantizationParameters.QUANTIZED_DIMENSION, t.quantized_dimension, 0)
        return b.EndObject()

    def _tensor(self, t: TensorSpec, buffer_index: int) -> int:
        b = self.b
        shape_off = self._int32_vector(t.shape)
        name_off = b.CreateString(t.name)
        quant_off = self._quantization(t) if t.is_quantized else None
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(_Tensor.SHAPE, shape_off, 0)
        # Written even when 0 (FLOAT32) so every tensor states its type explicitly.
        b.PrependInt8Slot(_Tensor.TYPE, TENSOR_TYPES[t.dtype], -1)
        b.PrependUint32Slot(_Tensor.BUFFER, buffer_index, 0)
        b.PrependUOffsetTRelativeSlot(_Tensor.NAME, name_off, 0)
        if quant_off is not None:
            b.PrependUOffsetTRelativeSlot(_Tensor.QUANTIZATION, quant_off, 0)
        return b.EndObject()

    def _options(self, op: OperatorSpec) -> Optional[int]:
        table = OPERATOR_OPTIONS[op.op]
        if table is None:
            if op.options:
                raise ValueError(f"{op.op} takes no builtin options, got {op.options}")
            return None
        known = {f.name for f in table.fields}
        unknown = set(op.options) - known
        if unknown:
            raise ValueError(f"{op.op}: unknown options {sorted(unknown)}")
        b = self.b
        vectors = {}
        for f in table.fields:
            if f.kind == INT32_VECTOR and op.options.get(f.name) is not None:
                vectors[f.name] = self._int32_vector(op.options[f.name])
        b.StartObject(len(table.fields))
        for f in table.fields:
            if f.name not in op.options:
                continue
            value = op.options[f.name]
            if f.kind == INT32_VECTOR:
                if value is not None:
                    b.PrependUOffsetTRelativeSlot(f.slot, vectors[f.name], 0)
            elif f.kind == INT32:
                b.PrependInt32Slot(f.slot, int(value), f.default)
            elif f.kind == FLOAT32:
                b.PrependFloat32Slot(f.slot, float(value), f.default)
            elif f.kind == BOOL:
                b.PrependBoolSlot(f.slot, bool(value), f.default)
            elif isinstance(f.kind, dict):
                if value not in f.kind:
                    raise ValueError(f"{op.op}.{f.name}: unknown enum value {value!r}")
                b.PrependInt8Slot(f.slot, f.kind[value], f.kind[f.default])
            else:
                raise AssertionError(f.kind)
        return b.EndObject()

    def _operator(self, op: OperatorSpec, opcode_index: int) -> int:
        b = self.b
        inputs_off = self._int32_vector(op.inputs)
        outputs_off = self._int32_vector(op.outputs)
        options_off = self._options(op)
        b.StartObject(5)
        b.PrependUint32Slot(_Operator.OPCODE_INDEX, opcode_index, 0)
        b.PrependUOffsetTRelativeSlot(_Operator.INPUTS, inputs_off, 0)
        b.PrependUOffsetTRelativeSlot(_Operator.OUTPUTS, outputs_off, 0)
        if options_off is not None:
            b.PrependUint8Slot(_Operator.BUILTIN_OPTIONS_TYPE,
                               OPERATOR_OPTIONS[op.op].union_type, 0)
            b.PrependUOffsetTRelativeSlot(_Operator.BUILTIN_OPTIONS, options_off, 0)
        return b.EndObject()

    def _operator_code(self, op: str, version: int) -> int:
        b = self.b
        code = BUILTIN_OPERATORS[op]
        b.StartObject(4)
        b.PrependInt8Slot(_OperatorCode.DEPRECATED_BUILTIN_CODE,
                          min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), 0)
        b.PrependInt32Slot(_OperatorCode.VERSION, version, 1)
        b.PrependInt32Slot(_OperatorCode.BUILTIN_CODE, code, 0)
        return b.EndObject()

    def write(self) -> bytes:
        spec, b = self.spec, self.b

        # Buffers: 0 is the empty sentinel, then one per constant tensor.
        buffer_data: List[Optional[bytes]] = [None]
        buffer_index = []
        for t in spec.tensors:
            if t.data is None:
                buffer_index.append(0)
            else:
                buffer_index.append(len(buffer_data))
                buffer_data.append(t.data.tobytes(order="C"))

        # Operator codes: one per distinct (op, version), in first-use order.
        codes: List[tuple] = []
        opcode_index = []
        for op in spec.operators:
            key = (op.op, op.version)
            if key not in codes:
                codes.append(key)
            opcode_index.append(codes.index(key))

        tensor_offs = [self._tensor(t, buffer_index[i]) for i, t in enumerate(spec.tensors)]
        operator_offs = [self._operator(op, opcode_index[i])
                         for i, op in enumerate(spec.operators)]
        tensors_vec = self._table_vector(tensor_offs)
        operators_vec = self._table_vector(operator_offs)
        inputs_vec = self._int32_vector(spec.inputs)
        outputs_vec = self._int32_vector(spec.outputs)
        subgraph_name = b.CreateString("main")
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(_SubGraph.TENSORS, tensors_vec, 0)
        b.PrependUOffsetTRelativeSlot(_SubGraph.INPUTS, inputs_vec, 0)
        b.PrependUOffsetTRelativeSlot(_SubGraph.OUTPUTS, outputs_vec, 0)
        b.PrependUOffsetTRelativeSlot(_SubGraph.OPERATORS, operators_vec, 0)
        b.PrependUOffsetTRelativeSlot(_SubGraph.NAME, subgraph_name, 0)
        subgraph_off = b.EndObject()

        code_offs = [self._operator_code(op, version) for op, version in codes]
        buffer_offs = [self._buffer(d) for d in buffer_data]
        codes_vec = self._table_vector(code_offs)
        subgraphs_vec = self._table_vector([subgraph_off])
        buffers_vec = self._table_vector(buffer_offs)
        description = b.CreateString(spec.description)

        b.StartObject(5)
        b.PrependUint32Slot(_Model.VERSION, SCHEMA_VERSION, 0)
        b.PrependUOffsetTRelativeSlot(_Model.OPERATOR_CODES, codes_vec, 0)
        b.PrependUOffsetTRelativeSlot(_Model.SUBGRAPHS, subgraphs_vec, 0)
        b.PrependUOffsetTRelativeSlot(_Model.DESCRIPTION, description, 0)
        b.PrependUOffsetTRelativeSlot(_Model.BUFFERS, buffers_vec, 0)
        model_off = b.EndObject()
        b.Finish(model_off, file_identifier=FILE_IDENTIFIER)
        return bytes(b.Output())
