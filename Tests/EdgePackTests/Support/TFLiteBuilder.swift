import Foundation

/// A flatbuffer value for `FlatBufferWriter`: tables by field id, scalars, strings, vectors.
indirect enum FBValue {
    case table([(Int, FBValue)])
    case u8(UInt8), i8(Int8), bool(Bool), i32(Int32), u32(UInt32), f32(Float), u64(UInt64)
    case string(String)
    case int32s([Int32]), float32s([Float]), int64s([Int64]), bytes([UInt8])
    case tables([FBValue])
}

/// Writes flatbuffers front to back (each table's vtable first, children after their parent,
/// so every uoffset points forward as the format requires). For tests: no sharing, no
/// deduplication; the layout differs from flatc's but is valid FlatBuffers.
struct FlatBufferWriter {
    private(set) var out: [UInt8] = []

    static func serialize(_ root: FBValue, identifier: String) -> [UInt8] {
        var w = FlatBufferWriter()
        w.out = [UInt8](repeating: 0, count: 8)
        for (i, b) in identifier.utf8.prefix(4).enumerated() { w.out[4 + i] = b }
        let rootPosition = w.write(root)
        w.patch(0, UInt32(rootPosition))
        return w.out
    }

    private mutating func align(_ n: Int) { while out.count % n != 0 { out.append(0) } }
    private mutating func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    private mutating func patch(_ at: Int, _ v: UInt32) { for k in 0..<4 { out[at + k] = UInt8(truncatingIfNeeded: v >> UInt32(8 * k)) } }

    /// Writes `value` (a table, string or vector) and returns its position.
    private mutating func write(_ value: FBValue) -> Int {
        switch value {
        case .table(let fields): return writeTable(fields)
        case .string(let s):
            align(4)
            let p = out.count
            append(UInt32(s.utf8.count))
            out.append(contentsOf: Array(s.utf8) + [0])
            return p
        case .int32s(let v): return vector(v.count) { w in for x in v { w.append(x) } }
        case .float32s(let v): return vector(v.count) { w in for x in v { w.append(x.bitPattern) } }
        case .int64s(let v): return vector(v.count) { w in for x in v { w.append(x) } }
        case .bytes(let v): return vector(v.count) { w in w.out.append(contentsOf: v) }
        case .tables(let items):
            let p = vector(items.count) { w in for _ in items { w.append(UInt32(0)) } }
            for (i, item) in items.enumerated() {
                let child = write(item)
                patch(p + 4 + 4 * i, UInt32(child - (p + 4 + 4 * i)))
            }
            return p
        default: preconditionFailure("scalars live inside tables")
        }
    }

    private mutating func vector(_ count: Int, _ body: (inout FlatBufferWriter) -> Void) -> Int {
        align(8)
        let p = out.count
        append(UInt32(count))
        body(&self)
        return p
    }

    private static func inlineSize(_ v: FBValue) -> Int {
        switch v {
        case .u8, .i8, .bool: return 1
        case .u64: return 8
        default: return 4
        }
    }

    private mutating func writeTable(_ fields: [(Int, FBValue)]) -> Int {
        let slots = (fields.map { $0.0 }.max() ?? -1) + 1
        var offsets = [UInt16](repeating: 0, count: slots)
        var inline = 4
        for (id, v) in fields {
            offsets[id] = UInt16(inline)
            inline += Self.inlineSize(v)
        }
        align(4)
        let vtable = out.count
        append(UInt16(4 + 2 * slots))
        append(UInt16(inline))
        for o in offsets { append(o) }
        align(4)
        let table = out.count
        append(Int32(table - vtable))
        var references: [(Int, FBValue)] = []
        for (_, v) in fields {
            switch v {
            case .u8(let x): append(x)
            case .i8(let x): append(x)
            case .bool(let x): append(UInt8(x ? 1 : 0))
            case .i32(let x): append(x)
            case .u32(let x): append(x)
            case .f32(let x): append(x.bitPattern)
            case .u64(let x): append(x)
            default:
                references.append((out.count, v))
                append(UInt32(0))
            }
        }
        for (slot, v) in references {
            let child = write(v)
            patch(slot, UInt32(child - slot))
        }
        return table
    }
}

/// Builds small .tflite models (schema.fbs field ids) for importer tests.
struct TFLiteBuilder {
    struct Tensor {
        var name: String
        var shape: [Int32]
        /// TensorType: 0 FLOAT32, 2 INT32, 9 INT8, ...
        var type: Int8
        var data: [UInt8]? = nil
        var scales: [Float] = []
        var zeroPoints: [Int64] = []
        var quantizedDimension: Int32 = 0
    }

    struct Operator {
        var builtin: Int32
        var inputs: [Int32]
        var outputs: [Int32]
        /// BuiltinOptions union type and table fields.
        var optionsType: UInt8 = 0
        var options: [(Int, FBValue)] = []
        var customCode: String? = nil
    }

    var tensors: [Tensor] = []
    var operators: [Operator] = []
    var inputs: [Int32] = []
    var outputs: [Int32] = []

    @discardableResult
    mutating func tensor(_ name: String, _ shape: [Int32], type: Int8 = 0, data: [UInt8]? = nil,
                         scales: [Float] = [], zeroPoints: [Int64] = [], axis: Int32 = 0) -> Int32 {
        tensors.append(Tensor(name: name, shape: shape, type: type, data: data, scales: scales,
                              zeroPoints: zeroPoints.isEmpty ? scales.map { _ in 0 } : zeroPoints, quantizedDimension: axis))
        return Int32(tensors.count - 1)
    }

    func bytes() -> [UInt8] {
        var buffers: [FBValue] = [.table([])]
        var tensorTables: [FBValue] = []
        for t in tensors {
            var fields: [(Int, FBValue)] = [(0, .int32s(t.shape)), (1, .i8(t.type)), (3, .string(t.name))]
            if let d = t.data {
                fields.append((2, .u32(UInt32(buffers.count))))
                buffers.append(.table([(0, .bytes(d))]))
            } else {
                fields.append((2, .u32(0)))
            }
            if !t.scales.isEmpty {
                fields.append((4, .table([(2, .float32s(t.scales)), (3, .int64s(t.zeroPoints)), (6, .i32(t.quantizedDimension))])))
            }
            tensorTables.append(.table(fields))
        }
        var codes: [FBValue] = []
        var opTables: [FBValue] = []
        for op in operators {
            var code: [(Int, FBValue)] = [(0, .i8(Int8(min(op.builtin, 127)))), (2, .i32(1)), (3, .i32(op.builtin))]
            if let c = op.customCode { code.append((1, .string(c))) }
            codes.append(.table(code))
            var fields: [(Int, FBValue)] = [(0, .u32(UInt32(codes.count - 1))), (1, .int32s(op.inputs)), (2, .int32s(op.outputs))]
            if op.optionsType != 0 { fields += [(3, .u8(op.optionsType)), (4, .table(op.options))] }
            opTables.append(.table(fields))
        }
        let subgraph: FBValue = .table([(0, .tables(tensorTables)), (1, .int32s(inputs)), (2, .int32s(outputs)),
                                        (3, .tables(opTables)), (4, .string("main"))])
        let model: FBValue = .table([(0, .u32(3)), (1, .tables(codes)), (2, .tables([subgraph])), (4, .tables(buffers))])
        return FlatBufferWriter.serialize(model, identifier: "TFL3")
    }

    static func floats(_ v: [Float]) -> [UInt8] { v.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } } }
    static func int32s(_ v: [Int32]) -> [UInt8] { v.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } } }
    static func int8s(_ v: [Int8]) -> [UInt8] { v.map { UInt8(bitPattern: $0) } }
}
