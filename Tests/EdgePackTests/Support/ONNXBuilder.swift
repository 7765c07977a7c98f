import EdgeTestSupport
import Foundation
@testable import EdgePack

/// Builds small ONNX models from protobuf messages, so importer tests need no Python.
struct ONNXBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var inputs: [Onnx_ValueInfoProto] = []
    var outputs: [Onnx_ValueInfoProto] = []
    var opset = 13
    var rng = SeededRandom(seed: 1)

    /// A float graph input; nil dims are dynamic ("N").
    mutating func input(_ name: String, _ dims: [Int?]) {
        inputs.append(Self.valueInfo(name, dims))
    }

    mutating func output(_ name: String) {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        v.type.value = .tensorType(t)
        outputs.append(v)
    }

    /// A float initializer with the given values (raw_data encoding).
    mutating func constant(_ name: String, _ dims: [Int], _ values: [Float]) {
        precondition(dims.reduce(1, *) == values.count)
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map { Int64($0) }
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var raw = Data()
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        t.rawData = raw
        initializers.append(t)
    }

    /// A float initializer of uniform random values in [lo, hi).
    mutating func random(_ name: String, _ dims: [Int], _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        let values = (0..<dims.reduce(1, *)).map { _ in rng.uniform(lo, hi) }
        constant(name, dims, values)
        return values
    }

    /// An int64 initializer (float_data-free encoding through int64_data).
    mutating func ints(_ name: String, _ values: [Int]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.int64Data = values.map { Int64($0) }
        initializers.append(t)
    }

    /// An integer initializer of ONNX data type `type` (int8, uint8 or int32) in raw_data.
    mutating func integers(_ name: String, _ dims: [Int], _ values: [Int], type: Onnx_TensorProto.DataType) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map { Int64($0) }
        t.dataType = Int32(type.rawValue)
        var raw = Data()
        for v in values {
            if type == .int32 { withUnsafeBytes(of: Int32(v).littleEndian) { raw.append(contentsOf: $0) } } else { raw.append(UInt8(truncatingIfNeeded: v)) }
        }
        t.rawData = raw
        initializers.append(t)
    }

    /// An int16 or uint16 initializer in raw_data.
    mutating func integers16(_ name: String, _ dims: [Int], _ values: [Int], type: Onnx_TensorProto.DataType) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map { Int64($0) }
        t.dataType = Int32(type.rawValue)
        var raw = Data()
        for v in values { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { raw.append(contentsOf: $0) } }
        t.rawData = raw
        initializers.append(t)
    }

    /// An initializer of any ONNX data type from its raw_data bytes (float16, float8, packed int4).
    mutating func raw(_ name: String, _ dims: [Int], _ bytes: [UInt8], type: Onnx_TensorProto.DataType) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map { Int64($0) }
        t.dataType = Int32(type.rawValue)
        t.rawData = Data(bytes)
        initializers.append(t)
    }

    mutating func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String? = nil,
                       _ attributes: [Onnx_AttributeProto] = []) {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        n.name = name ?? outputs[0]
        n.attribute = attributes
        nodes.append(n)
    }

    func model() -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = "test"
        g.node = nodes
        g.initializer = initializers
        g.input = inputs
        g.output = outputs
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var o = Onnx_OperatorSetIdProto()
        o.domain = ""
        o.version = Int64(opset)
        m.opsetImport = [o]
        m.graph = g
        return m
    }

    func bytes() -> [UInt8] { try! model().serializedBytes() }

    static func valueInfo(_ name: String, _ dims: [Int?]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        for d in dims {
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            t.shape.dim.append(dim)
        }
        v.type.value = .tensorType(t)
        return v
    }
}

/// Attribute constructors.
enum Attr {
    static func int(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(v); return a
    }
    static func ints(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = v.map { Int64($0) }; return a
    }
    static func float(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = v; return a
    }
    static func string(_ name: String, _ v: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .string; a.s = Data(v.utf8); return a
    }
}
