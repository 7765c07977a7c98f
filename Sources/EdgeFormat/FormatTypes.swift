/// Element types of tensors in model.bin (tensor record field `dtype`).
public enum DType: UInt8, Sendable {
    case float32 = 1
    case int8 = 2
    case uint8 = 3
    case int16 = 4
    case int32 = 5
    /// One byte per element, 0 (false) or 1 (true): ONNX bool tensors (Dropout masks).
    case bool = 6
    case uint16 = 7
    case int64 = 8
    /// IEEE-754 binary16.
    case float16 = 9
    /// 8-bit float, 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, NaN is
    /// S.1111.111, largest value 448 (ONNX FLOAT8E4M3FN).
    case float8E4M3FN = 10
    /// 8-bit float, 1 sign, 5 exponent (bias 15), 2 mantissa bits; IEEE-like with infinities
    /// and NaNs, largest value 57344 (ONNX FLOAT8E5M2).
    case float8E5M2 = 11
    /// 4-bit signed integer, stored one per byte (sign-extended, -8...7).
    case int4 = 12
    /// 4-bit unsigned integer, stored one per byte (0...15).
    case uint4 = 13

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32, .int32: return 4
        case .int64: return 8
        case .int16, .uint16, .float16: return 2
        case .int8, .uint8, .bool, .float8E4M3FN, .float8E5M2, .int4, .uint4: return 1
        }
    }

    /// float16 or one of the float8 types: stored narrow, computed in float32.
    public var isNarrowFloat: Bool { self == .float16 || self == .float8E4M3FN || self == .float8E5M2 }

    public var name: String {
        switch self {
        case .float32: return "float32"
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .bool: return "bool"
        case .uint16: return "uint16"
        case .int64: return "int64"
        case .float16: return "float16"
        case .float8E4M3FN: return "float8e4m3fn"
        case .float8E5M2: return "float8e5m2"
        case .int4: return "int4"
        case .uint4: return "uint4"
        }
    }
}

/// Where a tensor's bytes live.
public enum TensorStorage: UInt8, Sendable {
    /// In the arena, at the offset the memory plan assigned; written by ops or by the caller.
    case arena = 0
    /// In the CONSTANTS section of the mapped file, used in place.
    case constant = 1
}

/// Op kinds (op record field `kind`). The numbering is part of the file format.
public enum OpKind: UInt16, CaseIterable, Sendable {
    case conv2D = 1
    case depthwiseConv2D = 2
    case fullyConnected = 3
    case add = 4
    case mul = 5
    case averagePool2D = 6
    case maxPool2D = 7
    case mean = 8
    case reshape = 9
    case concatenation = 10
    case pad = 11
    case clamp = 12
    case hardSwish = 13
    case logistic = 14
    case tanh = 15
    case softmax = 16
    case quantize = 17
    case dequantize = 18
    case transpose = 19
    // Kinds 40... (ONNX importer additions).
    case gather = 40
    case div = 41
    case sub = 42
    case quantizeLinear = 43
    case dequantizeLinear = 44
    case sqrt = 45
    case maxPoolIndices = 46

    public var name: String {
        switch self {
        case .conv2D: return "Conv2D"
        case .depthwiseConv2D: return "DepthwiseConv2D"
        case .fullyConnected: return "FullyConnected"
        case .add: return "Add"
        case .mul: return "Mul"
        case .averagePool2D: return "AveragePool2D"
        case .maxPool2D: return "MaxPool2D"
        case .mean: return "Mean"
        case .reshape: return "Reshape"
        case .concatenation: return "Concatenation"
        case .pad: return "Pad"
        case .clamp: return "Clamp"
        case .hardSwish: return "HardSwish"
        case .logistic: return "Logistic"
        case .tanh: return "Tanh"
        case .softmax: return "Softmax"
        case .quantize: return "Quantize"
        case .dequantize: return "Dequantize"
        case .transpose: return "Transpose"
        case .gather: return "Gather"
        case .div: return "Div"
        case .sub: return "Sub"
        case .quantizeLinear: return "QuantizeLinear"
        case .dequantizeLinear: return "DequantizeLinear"
        case .sqrt: return "Sqrt"
        case .maxPoolIndices: return "MaxPoolIndices"
        }
    }

    /// Size in bytes of the op's parameter blob (see the op table in FORMAT.md).
    public var paramsSize: Int {
        switch self {
        case .conv2D: return 10 * 4
        case .depthwiseConv2D: return 11 * 4
        case .fullyConnected, .add, .mul, .clamp: return 2 * 4
        case .averagePool2D, .maxPool2D: return 10 * 4
        case .maxPoolIndices: return 9 * 4
        case .mean: return 2 * 4
        case .concatenation, .softmax: return 4
        case .pad: return 13 * 4
        case .transpose: return 6 * 4
        case .gather: return 4
        case .div, .sub: return 2 * 4
        case .reshape, .hardSwish, .logistic, .tanh, .quantize, .dequantize, .quantizeLinear, .dequantizeLinear, .sqrt: return 0
        }
    }
}

/// Section kinds (section table field `kind`).
public enum SectionKind: UInt32, CaseIterable, Sendable {
    case strings = 1
    case tensors = 2
    case quant = 3
    case ops = 4
    case operands = 5
    case params = 6
    case plan = 7
    case metadata = 8
    case constants = 9

    public var name: String {
        switch self {
        case .strings: return "STRINGS"
        case .tensors: return "TENSORS"
        case .quant: return "QUANT"
        case .ops: return "OPS"
        case .operands: return "OPERANDS"
        case .params: return "PARAMS"
        case .plan: return "PLAN"
        case .metadata: return "METADATA"
        case .constants: return "CONSTANTS"
        }
    }
}

/// Fixed numbers of format version 1.
public enum FormatV1 {
    public static let magic: [UInt8] = [0x89, 0x45, 0x52, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    public static let endiannessMarker: UInt32 = 0x0102_0304
    public static let majorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 0
    public static let headerSize = 64
    public static let sectionEntrySize = 32
    public static let maxSections = 64
    public static let recordArrayPrefixSize = 16
    public static let tensorRecordSize = 64
    public static let quantRecordSize = 8
    public static let opRecordSize = 32
    public static let operandRecordSize = 4
    public static let planHeaderSize = 24
    public static let planEntrySize = 16
    public static let metadataHeaderSize = 32
    public static let maxRank = 6
    /// Alignment of every tensor, in the file and in the arena.
    public static let tensorAlignment = 64
    /// Bytes kernels may read past the end of a tensor (EK_EXTRA_BYTES).
    public static let overReadBytes = 64
    /// Operand value meaning "optional input absent".
    public static let absentOperand: UInt32 = 0xFFFF_FFFF
    /// Section flag: a reader that does not know the section kind must reject the file.
    public static let requiredSectionFlag: UInt32 = 1
}
