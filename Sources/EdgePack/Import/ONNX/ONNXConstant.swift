import EdgeFormat
import Foundation

/// An ONNX tensor whose value is known at pack time (initializer, Constant node, or a folded
/// shape computation). Float types become `floats`; integer and bool types become `ints`.
struct ONNXConstant {
    var dims: [Int]
    var floats: [Float]?
    var ints: [Int64]?
    /// The ONNX element type it was decoded from (0 when computed at import).
    var dataType: Int32 = 0

    init(dims: [Int], floats: [Float]) {
        self.dims = dims
        self.floats = floats
    }

    init(dims: [Int], ints: [Int64]) {
        self.dims = dims
        self.ints = ints
    }

    var count: Int { floats?.count ?? ints?.count ?? 0 }

    /// The values as Float, whichever kind they are.
    var asFloats: [Float] { floats ?? ints!.map { Float($0) } }

    /// The values as Int, whichever kind they are (floats truncate).
    var asInts: [Int] { ints?.map { Int($0) } ?? floats!.map { Int($0) } }

    /// Decodes a TensorProto. Throws `.unsupported` for external data, strings and exotic types.
    init(_ t: Onnx_TensorProto, object: String) throws(EdgeError) {
        func fail(_ problem: String, _ fix: String) -> EdgeError {
            EdgeError(.unsupported, object: object, problem: problem, fix: fix)
        }
        if t.hasDataLocation && t.dataLocation == .external || !t.externalData.isEmpty {
            throw fail("tensor '\(t.name)' keeps its data in an external file",
                       "save the model with its weights inside (onnx.save_model(model, path, save_as_external_data=False))")
        }
        if t.hasSegment { throw fail("tensor '\(t.name)' is segmented", "re-save the model with onnx.save_model") }
        dims = t.dims.map { Int($0) }
        dataType = t.dataType
        if dims.contains(where: { $0 < 0 }) { throw fail("tensor '\(t.name)' has a negative dim in \(t.dims)", "fix the model") }
        let count = dims.reduce(1, *)
        let raw = t.hasRawData ? [UInt8](t.rawData) : nil
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) else {
            throw fail("tensor '\(t.name)' has unknown data type \(t.dataType)", "use float32 weights")
        }
        func checkCount(_ n: Int) throws(EdgeError) {
            if n != count { throw fail("tensor '\(t.name)' holds \(n) values for dims \(t.dims)", "the model file is damaged; re-export it") }
        }
        func rawElements(_ size: Int) throws(EdgeError) -> [UInt8]? {
            guard let raw else { return nil }
            try checkCount(raw.count / size)
            if raw.count % size != 0 { throw fail("tensor '\(t.name)' raw data of \(raw.count) bytes is not a multiple of \(size)", "re-export the model") }
            return raw
        }
        switch type {
        case .float:
            if let r = try rawElements(4) {
                floats = stride(from: 0, to: r.count, by: 4).map { Float(bitPattern: le32(r, $0)) }
            } else {
                try checkCount(t.floatData.count)
                floats = t.floatData
            }
        case .double:
            if let r = try rawElements(8) {
                floats = stride(from: 0, to: r.count, by: 8).map { Float(Double(bitPattern: le64(r, $0))) }
            } else {
                try checkCount(t.doubleData.count)
                floats = t.doubleData.map { Float($0) }
            }
        case .float16:
            if let r = try rawElements(2) {
                floats = stride(from: 0, to: r.count, by: 2).map { halfToFloat(UInt16(r[$0]) | UInt16(r[$0 + 1]) << 8) }
            } else {
                try checkCount(t.int32Data.count)
                floats = t.int32Data.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) }
            }
        case .int64:
            if let r = try rawElements(8) {
                ints = stride(from: 0, to: r.count, by: 8).map { Int64(bitPattern: le64(r, $0)) }
            } else {
                try checkCount(t.int64Data.count)
                ints = t.int64Data
            }
        case .int32:
            if let r = try rawElements(4) {
                ints = stride(from: 0, to: r.count, by: 4).map { Int64(Int32(bitPattern: le32(r, $0))) }
            } else {
                try checkCount(t.int32Data.count)
                ints = t.int32Data.map { Int64($0) }
            }
        case .int8, .uint8, .bool:
            if let r = try rawElements(1) {
                ints = r.map { type == .int8 ? Int64(Int8(bitPattern: $0)) : Int64($0) }
            } else {
                try checkCount(t.int32Data.count)
                ints = t.int32Data.map { Int64($0) }
            }
        case .int16, .uint16:
            if let r = try rawElements(2) {
                ints = stride(from: 0, to: r.count, by: 2).map { k in
                    let u = UInt16(r[k]) | UInt16(r[k + 1]) << 8
                    return type == .int16 ? Int64(Int16(bitPattern: u)) : Int64(u)
                }
            } else {
                try checkCount(t.int32Data.count)
                ints = t.int32Data.map { Int64($0) }
            }
        case .float8E4M3Fn, .float8E5M2:
            // One byte per element, the float8 bit pattern (int32_data: one pattern per entry).
            let dtype: DType = type == .float8E4M3Fn ? .float8E4M3FN : .float8E5M2
            let bits: [UInt8]
            if let r = try rawElements(1) {
                bits = r
            } else {
                try checkCount(t.int32Data.count)
                bits = t.int32Data.map { UInt8(truncatingIfNeeded: $0) }
            }
            floats = bits.map { NarrowFloat.decode(UInt16($0), dtype) }
        case .int4, .uint4:
            // Two elements per byte, element 2i in the low nibble (int32_data: one packed byte
            // per entry); an odd count leaves the last high nibble unused.
            let packed: [UInt8]
            if let raw {
                packed = raw
            } else {
                packed = t.int32Data.map { UInt8(truncatingIfNeeded: $0) }
            }
            if packed.count != (count + 1) / 2 {
                throw fail("tensor '\(t.name)' holds \(packed.count) bytes of 4-bit values for dims \(t.dims), expected \((count + 1) / 2)",
                           "the model file is damaged; re-export it")
            }
            ints = (0..<count).map { k in
                let nibble = Int64(k % 2 == 0 ? packed[k / 2] & 0x0F : packed[k / 2] >> 4)
                return type == .int4 && nibble >= 8 ? nibble - 16 : nibble
            }
        default:
            throw fail("tensor '\(t.name)' has data type \(type) (\(t.dataType))", "use float32 weights and int64 shapes")
        }
    }
}

private func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}

private func le64(_ b: [UInt8], _ i: Int) -> UInt64 {
    UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32
}

/// IEEE-754 binary16 to binary32.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
}

/// The attributes of one ONNX node, read by name with defaults. Remembers which ones were
/// read so that `checkAllRead` can reject attributes the converter does not understand.
final class ONNXAttributes {
    private let byName: [String: Onnx_AttributeProto]
    private var read: Set<String> = []
    let object: String

    init(_ node: Onnx_NodeProto, object: String) {
        var map: [String: Onnx_AttributeProto] = [:]
        for a in node.attribute { map[a.name] = a }
        byName = map
        self.object = object
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    private func get(_ name: String, _ type: Onnx_AttributeProto.AttributeType) throws(EdgeError) -> Onnx_AttributeProto? {
        read.insert(name)
        guard let a = byName[name] else { return nil }
        if !a.refAttrName.isEmpty {
            throw EdgeError(.unsupported, object: object, problem: "attribute '\(name)' refers to function attribute '\(a.refAttrName)'",
                            fix: "inline the function before packing")
        }
        if a.hasType && a.type != type {
            throw EdgeError(.unsupported, object: object, problem: "attribute '\(name)' has type \(a.type), expected \(type)",
                            fix: "fix the model (onnx.checker.check_model)")
        }
        return a
    }

    func int(_ name: String) throws(EdgeError) -> Int? { try get(name, .int).map { Int($0.i) } }
    func int(_ name: String, default value: Int) throws(EdgeError) -> Int { try int(name) ?? value }
    func float(_ name: String) throws(EdgeError) -> Float? { try get(name, .float).map { $0.f } }
    func float(_ name: String, default value: Float) throws(EdgeError) -> Float { try float(name) ?? value }
    func ints(_ name: String) throws(EdgeError) -> [Int]? { try get(name, .ints).map { $0.ints.map { Int($0) } } }
    func floats(_ name: String) throws(EdgeError) -> [Float]? { try get(name, .floats).map { $0.floats } }
    func string(_ name: String, default value: String) throws(EdgeError) -> String {
        try get(name, .string).map { String(decoding: $0.s, as: UTF8.self) } ?? value
    }
    func tensor(_ name: String) throws(EdgeError) -> Onnx_TensorProto? { try get(name, .tensor).map { $0.t } }

    /// Marks the attributes `other` (a rewritten copy of this node's attributes) has read.
    func adoptReads(of other: ONNXAttributes) { read.formUnion(other.read) }

    /// Marks attributes whose value does not matter for inference (e.g. BatchNorm momentum).
    func ignore(_ names: String...) { for n in names { read.insert(n) } }

    /// Throws naming the first attribute the converter did not read.
    func checkAllRead(opType: String) throws(EdgeError) {
        for (name, a) in byName.sorted(by: { $0.key < $1.key }) where !read.contains(name) {
            throw EdgeError(.unsupported, object: object, problem: "attribute '\(name)' = \(describe(a)) is not supported for \(opType)",
                            fix: "export the model without it, or report the model")
        }
    }

    func describe(_ a: Onnx_AttributeProto) -> String {
        switch a.type {
        case .int: return "\(a.i)"
        case .float: return "\(a.f)"
        case .string: return "'\(String(decoding: a.s, as: UTF8.self))'"
        case .ints: return "\(a.ints)"
        case .floats: return "\(a.floats)"
        default: return "<\(a.type)>"
        }
    }
}
