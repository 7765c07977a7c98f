import EdgeFormat

/// Small one-op models of the ops whose parameters the damaged-file tests vary, and the
/// byte-level damage: one 4-byte word of PARAMS or PLAN set to an edge value, CRCs recomputed.
public enum FuzzSeeds {
    public struct Seed {
        public var name: String
        public var model: ModelDescription
        /// Raw bytes of the single graph input.
        public var input: [UInt8]
        /// Tensor records whose words are damaged too (the packed conv weights).
        public var tensorRecords: [Int] = []
    }

    /// Values each word takes: small, large, and the signed and unsigned 32-bit edges.
    public static let values: [UInt32] = [0, 1, 2, 64, 1000, 1 << 30, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF]

    public static var all: [Seed] { [pad, concatenation, gather, maxPoolIndices, integerMaxPool, packedConv] }

    /// A one-op model: arena tensors placed one after another (64-aligned), every arena tensor
    /// alive for op 0, input 0 the graph input and the op's first output the graph output.
    static func oneOp(_ name: String, _ tensors: [ModelDescription.Tensor], _ kind: OpKind, inputs: [Int?], outputs: [Int],
                      params: [UInt8]) -> ModelDescription {
        var m = ModelDescription(name: name, producer: "FuzzSeeds")
        var offset = 0, end = 0
        m.tensors = tensors.map { t in
            var t = t
            if t.constantData == nil {
                t.arenaOffset = offset
                end = offset + t.byteSize
                offset += (t.byteSize + 63) / 64 * 64
            }
            return t
        }
        m.ops = [.init(kind: kind, name: name, inputs: inputs, outputs: outputs, params: params)]
        m.inputs = [0]
        m.outputs = [outputs[0]]
        m.arenaBytes = end + 64
        m.lifetimes = m.tensors.indices.filter { m.tensors[$0].constantData == nil }.map { PlanEntry(tensor: $0, firstOp: 0, lastOp: 0) }
        return m
    }

    static func int32s(_ values: [Int32]) -> [UInt8] {
        values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: v) >> (8 * $0)) } }
    }

    static func ramp(_ count: Int, _ elementSize: Int) -> [UInt8] { (0..<count * elementSize).map { UInt8(truncatingIfNeeded: $0 &* 37) } }

    public static var pad: Seed {
        typealias T = ModelDescription.Tensor
        let m = oneOp("pad", [T(name: "x", dtype: .float32, shape: [1, 3, 3, 2]), T(name: "y", dtype: .float32, shape: [1, 5, 4, 2])],
                      .pad, inputs: [0], outputs: [1], params: SampleModel.params([0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0], [0.5]))
        return Seed(name: "pad", model: m, input: SampleModel.floats(SampleModel.values(18, seed: 7)))
    }

    public static var concatenation: Seed {
        typealias T = ModelDescription.Tensor
        let m = oneOp("concat", [T(name: "x", dtype: .int16, shape: [1, 2, 2, 3]),
                                 T(name: "c", dtype: .int16, shape: [1, 2, 2, 1], constantData: ramp(4, 2)),
                                 T(name: "y", dtype: .int16, shape: [1, 2, 2, 4])],
                      .concatenation, inputs: [0, 1], outputs: [2], params: SampleModel.params([-1]))
        return Seed(name: "concat", model: m, input: ramp(12, 2))
    }

    public static var gather: Seed {
        typealias T = ModelDescription.Tensor
        let m = oneOp("gather", [T(name: "x", dtype: .float32, shape: [1, 4, 3]),
                                 T(name: "i", dtype: .int32, shape: [3], constantData: int32s([3, 0, 2])),
                                 T(name: "y", dtype: .float32, shape: [1, 3, 3])],
                      .gather, inputs: [0, 1], outputs: [2], params: SampleModel.params([1]))
        return Seed(name: "gather", model: m, input: SampleModel.floats(SampleModel.values(12, seed: 8)))
    }

    public static var maxPoolIndices: Seed {
        typealias T = ModelDescription.Tensor
        let m = oneOp("indices", [T(name: "x", dtype: .float32, shape: [1, 2, 4, 4]), T(name: "y", dtype: .int64, shape: [1, 2, 2, 2])],
                      .maxPoolIndices, inputs: [0], outputs: [1], params: SampleModel.params([3, 3, 2, 2, 1, 1, 0, 0, 0]))
        return Seed(name: "maxpool-indices", model: m, input: SampleModel.floats(SampleModel.values(32, seed: 9)))
    }

    public static var integerMaxPool: Seed {
        typealias T = ModelDescription.Tensor
        let m = oneOp("pool", [T(name: "x", dtype: .int32, shape: [1, 4, 4, 2]), T(name: "y", dtype: .int32, shape: [1, 2, 2, 2])],
                      .maxPool2D, inputs: [0], outputs: [1], params: SampleModel.params([3, 3, 2, 2, 1, 1, 0, 0], [-.infinity, .infinity]))
        return Seed(name: "integer-maxpool", model: m, input: ramp(32, 4))
    }

    /// int8 Conv2D over layout-2 weights (FORMAT.md "Packed int8 Conv2D weights"): arbitrary
    /// int8 weights (stored as int16) and folded biases, any of which the kernels accept.
    public static var packedConv: Seed {
        typealias T = ModelDescription.Tensor
        let q = { (scale: Float, zp: Int32) in [QuantParams(scale: scale, zeroPoint: zp)] }
        var w = T(name: "w", dtype: .int8, shape: [16, 3, 3, 3],
                  constantData: (0..<PackedWeights.byteSize(outChannels: 16, k: 27)).map {
                      $0 % 2 == 1 && $0 < PackedWeights.biasOffset(outChannels: 16, k: 27) ? 0 : UInt8(truncatingIfNeeded: ($0 * 7) % 5)
                  },
                  quantization: q(0.02, 0))
        w.layout = PackedWeights.conv2DLayout
        let m = oneOp("pconv", [T(name: "x", dtype: .int8, shape: [1, 4, 4, 3], quantization: q(0.05, 3)), w,
                                T(name: "y", dtype: .int8, shape: [1, 4, 4, 16], quantization: q(0.1, -2))],
                      .conv2D, inputs: [0, 1, nil], outputs: [2], params: SampleModel.params([1, 1, 1, 1, 1, 1, 1, 1], [-.infinity, .infinity]))
        return Seed(name: "packed-conv", model: m, input: ramp(48, 1), tensorRecords: [1])
    }

    /// A 4-byte word of a section: the section and the word's offset within it.
    public struct Word {
        public var section: SectionKind
        public var offset: Int
    }

    /// Every 4-byte word of the PARAMS and PLAN sections of a model file, and of the TENSORS
    /// records `tensorRecords`.
    public static func words(of bytes: [UInt8], tensorRecords: [Int] = []) -> [(section: String, words: [Word])] {
        var out: [(String, [Word])] = []
        for i in 0..<Int(Resealer.le32(bytes, 20)) {
            let entry = 64 + 32 * i
            let offset = Int(Resealer.le64(bytes, entry + 8)), size = Int(Resealer.le64(bytes, entry + 16))
            guard let kind = SectionKind(rawValue: Resealer.le32(bytes, entry)) else { continue }
            switch kind {
            case .tensors:
                let recordSize = Int(Resealer.le32(bytes, offset + 4))
                for r in tensorRecords {
                    let start = 16 + r * recordSize
                    out.append(("TENSORS[\(r)]", stride(from: start, to: start + recordSize, by: 4).map { Word(section: kind, offset: $0) }))
                }
            case .params, .plan:
                out.append(("\(kind)".uppercased(), stride(from: 0, to: size - 3, by: 4).map { Word(section: kind, offset: $0) }))
            default: break
            }
        }
        return out
    }

    /// `bytes` with the word set to `value` and the CRCs recomputed; nil when the word already
    /// holds `value`.
    public static func setting(_ bytes: [UInt8], word: Word, to value: UInt32) -> [UInt8]? {
        let current = Resealer.read(bytes, word.section, at: word.offset, count: 4)
        if Resealer.le32(current, 0) == value { return nil }
        return Resealer.patch(bytes, word.section, at: word.offset, with: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) })
    }
}
