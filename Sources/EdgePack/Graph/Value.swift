import EdgeFormat

/// Identifies a value in one `Graph`: an index into `Graph.values`. IDs stay valid while the
/// graph is edited (values are only appended), so passes can keep maps keyed by them.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int

    public init(_ index: Int) { self.index = index }

    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
    public var description: String { "%\(index)" }
}

/// Constant tensor contents, dense and row-major. Float constants stay `[Float]` until
/// lowering so that passes (folding, quantization, later training) work on real numbers.
public enum TensorData: Equatable, Sendable {
    case float32([Float])
    case int8([Int8])
    case int32([Int32])
    case bool([Bool])

    public var dtype: DType {
        switch self {
        case .float32: return .float32
        case .int8: return .int8
        case .int32: return .int32
        case .bool: return .bool
        }
    }

    public var count: Int {
        switch self {
        case .float32(let v): return v.count
        case .int8(let v): return v.count
        case .int32(let v): return v.count
        case .bool(let v): return v.count
        }
    }

    /// The float values, or nil for integer data.
    public var floats: [Float]? {
        if case .float32(let v) = self { return v }
        return nil
    }

    /// Little-endian bytes as model.bin stores them.
    public var littleEndianBytes: [UInt8] {
        var out: [UInt8] = []
        switch self {
        case .float32(let v):
            out.reserveCapacity(4 * v.count)
            for x in v { appendLE(&out, x.bitPattern) }
        case .int8(let v):
            out = v.map { UInt8(bitPattern: $0) }
        case .int32(let v):
            out.reserveCapacity(4 * v.count)
            for x in v { appendLE(&out, UInt32(bitPattern: x)) }
        case .bool(let v):
            out = v.map { $0 ? 1 : 0 }
        }
        return out
    }
}

private func appendLE(_ out: inout [UInt8], _ v: UInt32) {
    out.append(UInt8(truncatingIfNeeded: v))
    out.append(UInt8(truncatingIfNeeded: v >> 8))
    out.append(UInt8(truncatingIfNeeded: v >> 16))
    out.append(UInt8(truncatingIfNeeded: v >> 24))
}

/// Affine quantization of a tensor: real = scale x (q - zeroPoint). One entry is per-tensor;
/// more are per-channel along `axis`.
public struct Quantization: Equatable, Sendable {
    public var scales: [Float]
    public var zeroPoints: [Int32]
    public var axis: Int

    public init(scale: Float, zeroPoint: Int32) {
        scales = [scale]
        zeroPoints = [zeroPoint]
        axis = 0
    }

    public init(scales: [Float], zeroPoints: [Int32], axis: Int) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.axis = axis
    }

    public var isPerTensor: Bool { scales.count == 1 }
    public var scale: Float { scales[0] }
    public var zeroPoint: Int32 { zeroPoints[0] }
}

/// A value of the SSA graph: written once (by one node, or by the caller for graph inputs, or
/// fixed for constants) and read by any number of nodes.
public struct Value: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    /// Static shape; every dim >= 1 (rank 0 is a scalar).
    public var shape: [Int]
    /// Constant contents, or nil for activations.
    public var data: TensorData?
    public var quantization: Quantization?
    /// The real range the source model's own int8 quantization gives this activation (ONNX
    /// QuantizeLinear/DequantizeLinear); int8 packing uses it instead of the calibrated range.
    public var sourceRange: ValueRange?
    /// int8 weights only: store them block-sparse with 1 x this many input features per block
    /// (tensor layout 1); nil stores them dense. Set by the pruning storage choice.
    public var sparseBlockWidth: Int? = nil
    /// With `sparseBlockWidth`: rows per block, 1 or `SparseWeights.groupHeight` (grouped blocks).
    public var sparseBlockHeight = 1

    public init(name: String, dtype: DType, shape: [Int], data: TensorData? = nil, quantization: Quantization? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.quantization = quantization
    }

    public var isConstant: Bool { data != nil }
    public var elementCount: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
}

/// "1x3x32x32" ("scalar" for rank 0).
func shapeText(_ shape: [Int]) -> String {
    shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
}
