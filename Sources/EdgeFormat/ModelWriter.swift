/// Everything needed to write a model.bin: the packer's final, planned graph.
public struct ModelDescription {
    public struct Tensor {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Constant bytes (little-endian, dense), or nil for an arena tensor.
        public var constantData: [UInt8]?
        /// Per-tensor (one entry) or per-channel quantization; empty when not quantized.
        public var quantization: [QuantParams]
        public var quantizedDimension: Int
        /// Arena offset assigned by the memory planner (arena tensors only).
        public var arenaOffset: Int
        /// Tensor record `layout`: 0 dense, `SparseWeights.layout` for block-sparse int8,
        /// `PackedWeights.conv2DLayout` / `conv1x1Layout` for packed Conv2D weights (then `constantData` holds
        /// the encoding).
        public var layout: UInt8 = 0

        public init(name: String, dtype: DType, shape: [Int], constantData: [UInt8]? = nil,
                    quantization: [QuantParams] = [], quantizedDimension: Int = 0, arenaOffset: Int = 0) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.constantData = constantData
            self.quantization = quantization
            self.quantizedDimension = quantizedDimension
            self.arenaOffset = arenaOffset
        }

        public var byteSize: Int { layout == 0 ? shape.reduce(1, *) * dtype.size : constantData?.count ?? 0 }
    }

    public struct Op {
        public var kind: OpKind
        public var name: String
        /// Tensor indices; nil for an absent optional input.
        public var inputs: [Int?]
        public var outputs: [Int]
        public var params: [UInt8]

        public init(kind: OpKind, name: String, inputs: [Int?], outputs: [Int], params: [UInt8]) {
            self.kind = kind
            self.name = name
            self.inputs = inputs
            self.outputs = outputs
            self.params = params
        }
    }

    public var name: String
    public var producer: String
    public var tensors: [Tensor] = []
    public var ops: [Op] = []
    public var inputs: [Int] = []
    public var outputs: [Int] = []
    public var labels: [String] = []
    public var keyValues: [(String, String)] = []
    /// Arena bytes including the 64-byte over-read padding.
    public var arenaBytes: Int = 0
    public var lifetimes: [PlanEntry] = []

    public init(name: String, producer: String) {
        self.name = name
        self.producer = producer
    }
}

/// Serializes a `ModelDescription` into model.bin bytes (FORMAT.md, version 1.0).
///
/// The writer trusts the description's plan; callers validate the result by reading it back
/// with `ModelFile(validating:)`, which is what `edgepack` does before it renames the file into
/// place.
public enum ModelWriter {
    public static func serialize(_ model: ModelDescription) -> [UInt8] {
        var strings = ByteBuffer()
        // Equal strings (an op and its output tensor often share a name) are stored once;
        // keyed by bytes, which hash without Unicode tables (Embedded Swift).
        var written: [[UInt8]: StringRef] = [:]
        func ref(_ s: String) -> StringRef {
            let utf8 = Array(s.utf8)
            if let r = written[utf8] { return r }
            let r = StringRef(offset: UInt32(strings.count), length: UInt32(utf8.count))
            strings.append(utf8)
            written[utf8] = r
            return r
        }

        var constants = ByteBuffer()
        var quants = ByteBuffer()
        var quantCount = 0
        var tensors = ByteBuffer()
        for t in model.tensors {
            let name = ref(t.name)
            var offset = t.arenaOffset
            if let data = t.constantData {
                constants.pad(to: FormatV1.tensorAlignment)
                offset = constants.count
                constants.append(data)
            }
            tensors.u8(t.dtype.rawValue)
            tensors.u8(UInt8(t.shape.count))
            tensors.u8(t.constantData == nil ? TensorStorage.arena.rawValue : TensorStorage.constant.rawValue)
            tensors.u8(UInt8(t.quantizedDimension))
            tensors.u8(t.layout)
            tensors.u8(0)
            tensors.u16(0)
            for d in 0..<FormatV1.maxRank { tensors.u32(d < t.shape.count ? UInt32(t.shape[d]) : 0) }
            tensors.ref(name)
            tensors.u64(UInt64(offset))
            tensors.u64(UInt64(t.byteSize))
            tensors.u32(UInt32(quantCount))
            tensors.u32(UInt32(t.quantization.count))
            for q in t.quantization {
                quants.u32(q.scale.bitPattern)
                quants.u32(UInt32(bitPattern: q.zeroPoint))
            }
            quantCount += t.quantization.count
        }
        // Every constant, an empty one too, is followed by the over-read padding.
        if model.tensors.contains(where: { $0.constantData != nil }) { constants.append([UInt8](repeating: 0, count: FormatV1.overReadBytes)) }
        constants.pad(to: FormatV1.tensorAlignment)

        var ops = ByteBuffer()
        var operands = ByteBuffer()
        var params = ByteBuffer()
        var operandCount = 0
        for op in model.ops {
            let name = ref(op.name)
            ops.u32(UInt32(op.kind.rawValue) | UInt32(op.inputs.count) << 16 | UInt32(op.outputs.count) << 24)
            ops.u32(UInt32(operandCount))
            ops.u32(UInt32(params.count))
            ops.u32(UInt32(op.params.count))
            ops.ref(name)
            ops.u64(0)
            for i in op.inputs { operands.u32(i.map { UInt32($0) } ?? FormatV1.absentOperand) }
            for o in op.outputs { operands.u32(UInt32(o)) }
            operandCount += op.inputs.count + op.outputs.count
            params.append(op.params)
            params.pad(to: 4)
        }

        var plan = ByteBuffer()
        plan.u64(UInt64(model.arenaBytes))
        plan.u32(UInt32(FormatV1.tensorAlignment))
        plan.u32(UInt32(model.lifetimes.count))
        plan.u32(UInt32(FormatV1.planEntrySize))
        plan.u32(0)
        for e in model.lifetimes {
            plan.u32(UInt32(e.tensor))
            plan.u32(UInt32(e.firstOp))
            plan.u32(UInt32(e.lastOp))
            plan.u32(0)
        }

        var metadata = ByteBuffer()
        metadata.ref(ref(model.name))
        metadata.ref(ref(model.producer))
        metadata.u32(UInt32(model.inputs.count))
        metadata.u32(UInt32(model.outputs.count))
        metadata.u32(UInt32(model.labels.count))
        metadata.u32(UInt32(model.keyValues.count))
        for i in model.inputs { metadata.u32(UInt32(i)) }
        for o in model.outputs { metadata.u32(UInt32(o)) }
        for l in model.labels { metadata.ref(ref(l)) }
        for (k, v) in model.keyValues {
            metadata.ref(ref(k))
            metadata.ref(ref(v))
        }

        var sections: [(SectionKind, ByteBuffer)] = [
            (.strings, strings),
            (.tensors, recordArray(model.tensors.count, FormatV1.tensorRecordSize, tensors)),
            (.quant, recordArray(quantCount, FormatV1.quantRecordSize, quants)),
            (.ops, recordArray(model.ops.count, FormatV1.opRecordSize, ops)),
            (.operands, recordArray(operandCount, FormatV1.operandRecordSize, operands)),
            (.params, params),
            (.plan, plan),
            (.metadata, metadata),
        ]
        if constants.count > 0 { sections.append((.constants, constants)) }
        return assemble(sections)
    }

    private static func recordArray(_ count: Int, _ size: Int, _ body: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        out.u32(UInt32(count))
        out.u32(UInt32(size))
        out.u64(0)
        out.append(body.bytes)
        return out
    }

    private static func assemble(_ sections: [(SectionKind, ByteBuffer)]) -> [UInt8] {
        let tableOffset = FormatV1.headerSize
        var cursor = tableOffset + sections.count * FormatV1.sectionEntrySize
        var offsets: [Int] = []
        for (kind, body) in sections {
            let alignment = kind == .constants ? FormatV1.tensorAlignment : 8
            cursor = (cursor + alignment - 1) / alignment * alignment
            offsets.append(cursor)
            cursor += body.count
        }
        var table = ByteBuffer()
        for (i, (kind, body)) in sections.enumerated() {
            table.u32(kind.rawValue)
            table.u32(FormatV1.requiredSectionFlag)
            table.u64(UInt64(offsets[i]))
            table.u64(UInt64(body.count))
            table.u32(body.bytes.withUnsafeBytes { CRC32.checksum($0) })
            table.u32(0)
        }
        var header = ByteBuffer()
        header.append(FormatV1.magic)
        header.u32(FormatV1.endiannessMarker)
        header.u16(FormatV1.majorVersion)
        header.u16(FormatV1.minorVersion)
        header.u32(UInt32(FormatV1.headerSize))
        header.u32(UInt32(sections.count))
        header.u64(UInt64(cursor))
        header.u64(UInt64(tableOffset))
        header.u32(0)
        header.u32(0)
        header.append([UInt8](repeating: 0, count: 16))
        var crc = CRC32()
        header.bytes.withUnsafeBytes { crc.update($0) }
        table.bytes.withUnsafeBytes { crc.update($0) }
        header.patch32(44, crc.checksum)

        var out = header
        out.append(table.bytes)
        for (i, (_, body)) in sections.enumerated() {
            out.pad(toOffset: offsets[i])
            out.append(body.bytes)
        }
        return out.bytes
    }
}

/// A growable little-endian byte buffer for the writer.
struct ByteBuffer {
    var bytes: [UInt8] = []
    var count: Int { bytes.count }

    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    mutating func ref(_ r: StringRef) { u32(r.offset); u32(r.length) }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
    mutating func pad(toOffset offset: Int) { while bytes.count < offset { bytes.append(0) } }
    mutating func patch32(_ offset: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) }
    }
}
