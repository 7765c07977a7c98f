/// A string in the STRINGS section: `(offset, length)` in bytes.
public struct StringRef: Equatable, Sendable {
    public var offset: UInt32
    public var length: UInt32

    public init(offset: UInt32, length: UInt32) {
        self.offset = offset
        self.length = length
    }

    public static let empty = StringRef(offset: 0, length: 0)
}

/// A tensor shape of rank 0...6 stored inline, so shapes never allocate.
public struct Shape: Equatable, Sendable {
    public private(set) var rank: Int
    private var storage: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)

    public init() { rank = 0 }

    /// Precondition: `dims.count <= 6`.
    public init(_ dims: [Int]) {
        precondition(dims.count <= FormatV1.maxRank, "rank above 6")
        rank = 0
        for d in dims { append(d) }
    }

    public mutating func append(_ dim: Int) {
        precondition(rank < FormatV1.maxRank, "rank above 6")
        rank += 1
        self[rank - 1] = dim
    }

    /// Out of line: the switch compiles to one clamped load from the tuple (7 instructions),
    /// where inlined at each use with a variable index it was a chain of compares and selects
    /// (2 KB of the musl edgerun, in validation, the ops' prepare and the command line). Not
    /// used per inference: the prepared calls hold their dims.
    public subscript(i: Int) -> Int {
        @inline(never)
        get {
            switch i {
            case 0: return storage.0
            case 1: return storage.1
            case 2: return storage.2
            case 3: return storage.3
            case 4: return storage.4
            default: return storage.5
            }
        }
        @inline(never)
        set {
            switch i {
            case 0: storage.0 = newValue
            case 1: storage.1 = newValue
            case 2: storage.2 = newValue
            case 3: storage.3 = newValue
            case 4: storage.4 = newValue
            default: storage.5 = newValue
            }
        }
    }

    /// Product of the dims (1 for rank 0).
    public var elementCount: Int {
        var n = 1
        for i in 0..<rank { n *= self[i] }
        return n
    }

    public var dims: [Int] {
        var out: [Int] = []
        for i in 0..<rank { out.append(self[i]) }
        return out
    }

    /// "1x28x28x3".
    public var text: String {
        if rank == 0 { return "scalar" }
        var s = ""
        for i in 0..<rank { s += "\(i == 0 ? "" : "x")\(self[i])" }
        return s
    }

    public static func == (a: Shape, b: Shape) -> Bool {
        if a.rank != b.rank { return false }
        for i in 0..<a.rank where a[i] != b[i] { return false }
        return true
    }
}

/// A decoded tensor record (see FORMAT.md, "Tensor record").
public struct TensorRecord: Sendable {
    public var dtype: DType
    public var shape: Shape
    public var storage: TensorStorage
    public var quantizedDimension: Int
    public var layout: UInt8
    public var name: StringRef
    /// Offset within CONSTANTS (constant) or within the arena (arena).
    public var dataOffset: Int
    public var byteSize: Int
    public var quantIndex: Int
    /// 0 = not quantized, 1 = per-tensor, otherwise per-channel along `quantizedDimension`.
    public var quantCount: Int
}

/// A decoded op record (see FORMAT.md, "Op record").
public struct OpRecord: Sendable {
    public var kind: OpKind
    public var inputCount: Int
    public var outputCount: Int
    public var firstOperand: Int
    public var paramsOffset: Int
    public var paramsSize: Int
    public var name: StringRef
}

/// One arena tensor's lifetime in the memory plan.
public struct PlanEntry: Sendable {
    public var tensor: Int
    public var firstOp: Int
    public var lastOp: Int

    public init(tensor: Int, firstOp: Int, lastOp: Int) {
        self.tensor = tensor
        self.firstOp = firstOp
        self.lastOp = lastOp
    }
}

/// Per-tensor or per-channel quantization parameters of one channel.
public struct QuantParams: Sendable {
    public var scale: Float
    public var zeroPoint: Int32

    public init(scale: Float, zeroPoint: Int32) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }
}

/// Reads an op's parameter blob: consecutive 4-byte little-endian fields.
public struct ParamsReader {
    let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Number of 4-byte fields in the blob (at least the kind's `paramsSize` / 4; optional
    /// trailing fields may follow).
    public var count: Int { bytes.count / 4 }

    /// Field `index` as i32. Precondition: the blob was validated to hold it.
    public func i32(_ index: Int) -> Int32 { Int32(bitPattern: bytes.le32(index * 4)) }
    public func int(_ index: Int) -> Int { Int(i32(index)) }
    public func f32(_ index: Int) -> Float { Float(bitPattern: bytes.le32(index * 4)) }
}

/// Builds an op's parameter blob.
public struct ParamsWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    public mutating func int(_ value: Int) { i32(Int32(truncatingIfNeeded: value)) }
    public mutating func f32(_ value: Float) { u32(value.bitPattern) }

    private mutating func u32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }
}
