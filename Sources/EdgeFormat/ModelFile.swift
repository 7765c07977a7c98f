/// A validated view of a model.bin image in memory (usually a read-only mapping).
///
/// `init(validating:)` checks every count, offset, size, alignment, reference and CRC once;
/// afterwards the accessors read fields without further checks (prepare validates, execute
/// trusts). The view does not own the bytes: the caller keeps them alive and unchanged.
public struct ModelFile {
    public let bytes: UnsafeRawBufferPointer
    public let majorVersion: UInt16
    public let minorVersion: UInt16

    public internal(set) var tensorCount = 0
    public internal(set) var opCount = 0
    public internal(set) var quantCount = 0
    public internal(set) var operandCount = 0
    /// Bytes of the arena the plan asks for, including over-read padding.
    public internal(set) var arenaBytes = 0

    var strings = Region()
    var tensors = RecordArray()
    var quants = RecordArray()
    var ops = RecordArray()
    var operands = RecordArray()
    var params = Region()
    var plan = Region()
    var planEntries = RecordArray()
    var metadata = Region()
    var constants = Region()
    var meta = MetadataLayout()

    /// A byte range of the file.
    struct Region {
        var offset = 0
        var size = 0
        var present = false
    }

    /// A record array: `count` records of `stride` bytes starting at `offset`.
    struct RecordArray {
        var offset = 0
        var count = 0
        var stride = 0
    }

    struct MetadataLayout {
        var inputsOffset = 0
        var inputCount = 0
        var outputsOffset = 0
        var outputCount = 0
        var labelsOffset = 0
        var labelCount = 0
        var pairsOffset = 0
        var pairCount = 0
    }

    /// Validates `bytes` as model.bin and returns a view of it.
    /// Throws `EdgeError` of kind `.format`, `.checksum`, `.version` or `.unsupported`.
    public init(validating bytes: UnsafeRawBufferPointer) throws(EdgeError) {
        self.bytes = bytes
        let file = ByteView(bytes: bytes, name: "model.bin header")
        if bytes.count < FormatV1.headerSize {
            throw .format("model.bin", "file is % bytes, smaller than the 64-byte header", bytes.count)
        }
        for i in 0..<8 where bytes[i] != FormatV1.magic[i] {
            throw .format("model.bin header", "magic byte % is %, expected %: not a model.bin file", i, Int(bytes[i]), Int(FormatV1.magic[i]))
        }
        let marker = try file.u32(8, "endianness marker")
        if marker != FormatV1.endiannessMarker {
            throw .format("model.bin header", "endianness marker is %, expected % (little-endian)", Int(marker), Int(FormatV1.endiannessMarker))
        }
        majorVersion = try file.u16(12, "major version")
        minorVersion = try file.u16(14, "minor version")
        if majorVersion != FormatV1.majorVersion {
            throw EdgeError(.version, object: "model.bin header",
                            problem: "format version \(majorVersion).\(minorVersion), this edgerun reads version \(FormatV1.majorVersion).x",
                            fix: "re-pack the model with an edgepack that matches this edgerun")
        }
        try validateLayout(file)
    }

    // MARK: Accessors (valid after init)

    @inline(never)
    public func tensor(_ index: Int) -> TensorRecord {
        let r = record(tensors, index)
        var shape = Shape()
        for d in 0..<Int(r[1]) { shape.append(Int(r.le32(8 + 4 * d))) }
        return TensorRecord(
            dtype: DType(rawValue: r[0])!, shape: shape, storage: TensorStorage(rawValue: r[2])!,
            quantizedDimension: Int(r[3]), layout: r[4],
            name: StringRef(offset: r.le32(32), length: r.le32(36)),
            dataOffset: Int(r.le64(40)), byteSize: Int(r.le64(48)),
            quantIndex: Int(r.le32(56)), quantCount: Int(r.le32(60)))
    }

    @inline(never)
    public func op(_ index: Int) -> OpRecord {
        let r = record(ops, index)
        return OpRecord(
            kind: OpKind(rawValue: UInt16(truncatingIfNeeded: r.le32(0)))!,
            inputCount: Int(r[2]), outputCount: Int(r[3]), firstOperand: Int(r.le32(4)),
            paramsOffset: Int(r.le32(8)), paramsSize: Int(r.le32(12)),
            name: StringRef(offset: r.le32(16), length: r.le32(20)))
    }

    /// Input `i` of `op`: a tensor index, or nil when the optional input is absent.
    public func input(_ op: OpRecord, _ i: Int) -> Int? {
        let v = record(operands, op.firstOperand + i).le32(0)
        return v == FormatV1.absentOperand ? nil : Int(v)
    }

    /// Output `i` of `op` (always present).
    public func output(_ op: OpRecord, _ i: Int) -> Int {
        Int(record(operands, op.firstOperand + op.inputCount + i).le32(0))
    }

    public func quant(_ index: Int) -> QuantParams {
        let r = record(quants, index)
        return QuantParams(scale: Float(bitPattern: r.le32(0)), zeroPoint: Int32(bitPattern: r.le32(4)))
    }

    public func params(_ op: OpRecord) -> ParamsReader {
        ParamsReader(slice(params.offset + op.paramsOffset, op.paramsSize))
    }

    @inline(never)
    public func string(_ ref: StringRef) -> String {
        String(decoding: slice(strings.offset + Int(ref.offset), Int(ref.length)), as: UTF8.self)
    }

    /// Start of a constant tensor's data in the mapping (64-byte aligned if the base is).
    public func constantData(_ tensor: TensorRecord) -> UnsafeRawPointer {
        bytes.baseAddress! + constants.offset + tensor.dataOffset
    }

    public var planEntryCount: Int { planEntries.count }

    @inline(never)
    public func planEntry(_ index: Int) -> PlanEntry {
        let r = record(planEntries, index)
        return PlanEntry(tensor: Int(r.le32(0)), firstOp: Int(r.le32(4)), lastOp: Int(r.le32(8)))
    }

    public var modelName: String { string(metadataRef(0)) }
    public var producer: String { string(metadataRef(8)) }
    public var inputCount: Int { meta.inputCount }
    public var outputCount: Int { meta.outputCount }
    public var labelCount: Int { meta.labelCount }
    public var keyValueCount: Int { meta.pairCount }

    /// Tensor index of graph input `i`.
    public func inputTensor(_ i: Int) -> Int { Int(bytes.le32(meta.inputsOffset + 4 * i)) }
    /// Tensor index of graph output `i`.
    public func outputTensor(_ i: Int) -> Int { Int(bytes.le32(meta.outputsOffset + 4 * i)) }
    public func label(_ i: Int) -> String { string(refAt(meta.labelsOffset + 8 * i)) }
    public func keyValue(_ i: Int) -> (key: String, value: String) {
        (string(refAt(meta.pairsOffset + 16 * i)), string(refAt(meta.pairsOffset + 16 * i + 8)))
    }

    /// Bytes of all constant data, a figure for `edgerun info`.
    public var constantBytes: Int { constants.size }

    // MARK: Helpers

    func record(_ array: RecordArray, _ index: Int) -> UnsafeRawBufferPointer {
        slice(array.offset + index * array.stride, array.stride)
    }

    func slice(_ offset: Int, _ size: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])
    }

    func refAt(_ fileOffset: Int) -> StringRef {
        StringRef(offset: bytes.le32(fileOffset), length: bytes.le32(fileOffset + 4))
    }

    func metadataRef(_ offset: Int) -> StringRef { refAt(metadata.offset + offset) }
}
