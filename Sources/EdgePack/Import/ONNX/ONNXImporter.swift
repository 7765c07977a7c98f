import EdgeFormat
import Foundation
import SwiftProtobuf

/// Imports a float ONNX model (opsets 11...22, default domain) into a `Graph` with ONNX's
/// semantics: NCHW spatial ops (`Layout.nchw`), weights as ONNX stores them (Conv `[O, I, kH,
/// kW]`), Gemm/MatMul already turned into FullyConnected with `[out, in]` weights.
///
/// Anything it does not support (op type, attribute value, dynamic shape, non-float input)
/// throws `.unsupported` or `.input` naming the node, the op or attribute and the value:
/// a model either imports with ONNX's numbers or not at all.
public enum ONNXImporter {
    public static let opsets: ClosedRange<Int> = 11...22

    /// - Parameters:
    ///   - bytes: a serialized ModelProto.
    ///   - inputShapes: static shapes for graph inputs by name (fixes dynamic dims).
    ///   - source: the file name, used in errors.
    public static func importModel(_ bytes: [UInt8], inputShapes: [String: [Int]] = [:],
                                   source: String = "model.onnx") throws(EdgeError) -> Graph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw EdgeError(.input, object: source, problem: "is not a valid ONNX model (\(error))",
                            fix: "pass an .onnx file saved by onnx.save_model or torch.onnx.export")
        }
        return try importModel(model, inputShapes: inputShapes, source: source)
    }

    static func importModel(_ model: Onnx_ModelProto, inputShapes: [String: [Int]], source: String) throws(EdgeError) -> Graph {
        let defaultDomain = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = defaultDomain.map({ Int($0.version) }) else {
            throw EdgeError(.unsupported, object: source, problem: "declares no opset for the default ONNX domain",
                            fix: "re-export the model with an opset between \(opsets.lowerBound) and \(opsets.upperBound)")
        }
        if !opsets.contains(opset) {
            throw EdgeError(.unsupported, object: source, problem: "uses ONNX opset \(opset); edgepack reads opsets \(opsets.lowerBound)...\(opsets.upperBound)",
                            fix: "re-export with a supported opset (torch.onnx.export(..., opset_version=17)) or convert it with onnx.version_converter")
        }
        var context = ONNXContext(opset: opset, source: source)
        try context.load(model.graph, inputShapes: inputShapes)
        return context.graph
    }
}

/// What an ONNX tensor name stands for during import.
enum ImportedTensor {
    /// A graph value (activation, or a constant already in the graph).
    case value(ValueID)
    /// A known constant not (yet) in the graph: initializers and folded shape arithmetic.
    case constant(ONNXConstant)
}

/// The state of one import: the graph being built and what each ONNX name refers to.
struct ONNXContext {
    let opset: Int
    let source: String
    var graph = Graph()
    var tensors: [String: ImportedTensor] = [:]
    /// Graph constants made from `.constant` entries, so each initializer is added once.
    var materialized: [String: ValueID] = [:]
    /// Outputs of QuantizeLinear on activations: the float value and its int8 range, usable
    /// only by a DequantizeLinear (QDQ models).
    var quantizedOutputs: [String: (id: ValueID, range: ValueRange)] = [:]
    /// The QuantizeLinear nodes behind `quantizedOutputs`, run as standalone ops when their
    /// output is used other than by a DequantizeLinear.
    var pendingQuantize: [String: (node: Onnx_NodeProto, index: Int)] = [:]

    init(opset: Int, source: String) {
        self.opset = opset
        self.source = source
    }

    mutating func load(_ g: Onnx_GraphProto, inputShapes: [String: [Int]]) throws(EdgeError) {
        for t in g.initializer {
            tensors[t.name] = .constant(try ONNXConstant(t, object: "\(source) initializer '\(t.name)'"))
        }
        if !g.sparseInitializer.isEmpty {
            throw EdgeError(.unsupported, object: source, problem: "has \(g.sparseInitializer.count) sparse initializers",
                            fix: "densify the weights before export")
        }
        let declared = g.input.filter { tensors[$0.name] == nil }
        for name in inputShapes.keys where !declared.contains(where: { $0.name == name }) {
            throw EdgeError(.usage, object: "--input-shape \(name)=...", problem: "the model has no input named '\(name)'",
                            fix: "use one of: \(declared.map { $0.name }.joined(separator: ", "))")
        }
        for input in declared {
            let (dtype, shape) = try inputType(input, override: inputShapes[input.name])
            let id = graph.addValue(Value(name: input.name, dtype: dtype, shape: shape))
            graph.inputs.append(id)
            tensors[input.name] = .value(id)
        }
        if graph.inputs.isEmpty {
            throw EdgeError(.unsupported, object: source, problem: "has no graph inputs", fix: "export the model with an input")
        }
        for (index, node) in g.node.enumerated() {
            try convert(node, index: index)
        }
        for output in g.output {
            try addGraphOutput(output.name)
        }
        if graph.nodes.isEmpty {
            throw EdgeError(.unsupported, object: source, problem: "computes nothing (no op remains after import)",
                            fix: "a model needs at least one op")
        }
        try graph.verify()
    }

    /// ONNX element types a graph input may have, and their model.bin dtypes.
    static let inputDTypes: [Int: DType] = [Onnx_TensorProto.DataType.float.rawValue: .float32,
                                            Onnx_TensorProto.DataType.int8.rawValue: .int8,
                                            Onnx_TensorProto.DataType.uint8.rawValue: .uint8,
                                            Onnx_TensorProto.DataType.int16.rawValue: .int16,
                                            Onnx_TensorProto.DataType.uint16.rawValue: .uint16,
                                            Onnx_TensorProto.DataType.int32.rawValue: .int32,
                                            Onnx_TensorProto.DataType.float16.rawValue: .float16,
                                            Onnx_TensorProto.DataType.float8E4M3Fn.rawValue: .float8E4M3FN,
                                            Onnx_TensorProto.DataType.float8E5M2.rawValue: .float8E5M2,
                                            Onnx_TensorProto.DataType.int4.rawValue: .int4,
                                            Onnx_TensorProto.DataType.uint4.rawValue: .uint4]

    private func inputType(_ input: Onnx_ValueInfoProto, override: [Int]?) throws(EdgeError) -> (DType, [Int]) {
        let object = "\(source) input '\(input.name)'"
        guard case .tensorType(let tensorType)? = input.type.value else {
            throw EdgeError(.unsupported, object: object, problem: "is not a tensor", fix: "use a float32 tensor input")
        }
        guard let dtype = ONNXContext.inputDTypes[Int(tensorType.elemType)] else {
            let type = Onnx_TensorProto.DataType(rawValue: Int(tensorType.elemType)).map { "\($0)" } ?? "\(tensorType.elemType)"
            throw EdgeError(.unsupported, object: object, problem: "has element type \(type); edgepack packs float32, float16, float8e4m3fn, float8e5m2, int4, uint4, int8, uint8, int16, uint16 and int32 inputs",
                            fix: "export the model with a float32 input")
        }
        return (dtype, try inputShape(input, tensorType, override: override))
    }

    private func inputShape(_ input: Onnx_ValueInfoProto, _ tensorType: Onnx_TypeProto.Tensor, override: [Int]?) throws(EdgeError) -> [Int] {
        let object = "\(source) input '\(input.name)'"
        let dims = tensorType.shape.dim
        if let override {
            if tensorType.hasShape && override.count != dims.count {
                throw EdgeError(.usage, object: "--input-shape \(input.name)=\(shapeText(override))",
                                problem: "has rank \(override.count), the model's input has rank \(dims.count)",
                                fix: "give \(dims.count) dims, e.g. \(input.name)=\(dims.map { d in d.dimValue > 0 ? "\(d.dimValue)" : "1" }.joined(separator: "x"))")
            }
            for (i, d) in dims.enumerated() where d.dimValue > 0 && Int(d.dimValue) != override[i] {
                throw EdgeError(.usage, object: "--input-shape \(input.name)=\(shapeText(override))",
                                problem: "dim \(i) is \(override[i]) but the model fixes it to \(d.dimValue)",
                                fix: "only dynamic dims can be chosen")
            }
            return override
        }
        if !tensorType.hasShape {
            throw EdgeError(.input, object: object, problem: "has no shape", fix: "pass --input-shape \(input.name)=1x3x224x224 (your dims)")
        }
        var shape: [Int] = []
        for (i, d) in dims.enumerated() {
            if case .dimValue(let v)? = d.value, v >= 0 {
                shape.append(Int(v)) // 0: an empty tensor (FORMAT.md, "Empty tensors")
            } else {
                let what = d.dimParam.isEmpty ? "unknown" : "'\(d.dimParam)'"
                let example = dims.map { $0.dimValue > 0 ? "\($0.dimValue)" : "1" }.joined(separator: "x")
                throw EdgeError(.input, object: object, problem: "dim \(i) is dynamic (\(what)); model.bin needs static shapes",
                                fix: "pass --input-shape \(input.name)=\(example)")
            }
        }
        return shape
    }

    private mutating func addGraphOutput(_ name: String) throws(EdgeError) {
        let object = "\(source) output '\(name)'"
        if tensors[name] == nil, let pending = pendingQuantize[name] { try quantizeStandalone(pending.node, pending.index) }
        guard let t = tensors[name] else {
            if quantizedOutputs[name] != nil { throw quantizedUse(name, object) }
            throw EdgeError(.format, object: object, problem: "is not produced by any node", fix: "fix the model (onnx.checker.check_model)")
        }
        guard case .value(var id) = t, !graph[id].isConstant else {
            throw EdgeError(.unsupported, object: object, problem: "is a constant, computed from no input",
                            fix: "remove the output from the model")
        }
        if graph.inputs.contains(id) || graph.outputs.contains(id) {
            // An output that is an input (or another output) needs its own tensor: copy it.
            id = try graph.append1(.reshape(shape: graph[id].shape), [id], name: name, outputName: name)
        } else if graph[id].name != name && !graph.valueIDs.contains(where: { graph[$0].name == name }) {
            graph[id].name = name
        }
        graph.outputs.append(id)
    }

    // MARK: Helpers for the op converters

    func nodeObject(_ node: Onnx_NodeProto) -> String {
        let name = node.name.isEmpty ? (node.output.first ?? "") : node.name
        return "ONNX node '\(name)' (\(node.opType))"
    }

    func nodeName(_ node: Onnx_NodeProto, _ index: Int) -> String {
        if !node.name.isEmpty { return node.name }
        if let first = node.output.first, !first.isEmpty { return first }
        return "\(node.opType)_\(index)"
    }

    /// The known constant behind `name`, if it is one.
    func constant(_ name: String) -> ONNXConstant? {
        switch tensors[name] {
        case .constant(let c)?: return c
        case .value(let id)?:
            let v = graph[id]
            switch v.data {
            case .float32(let f)?: return ONNXConstant(dims: v.shape, floats: f)
            case .int32(let i)?: return ONNXConstant(dims: v.shape, ints: i.map { Int64($0) })
            case .int8(let i)?: return ONNXConstant(dims: v.shape, ints: i.map { Int64($0) })
            case .bool(let b)?: return ONNXConstant(dims: v.shape, ints: b.map { $0 ? 1 : 0 })
            case nil: return nil
            }
        case nil: return nil
        }
    }

    /// The graph value for `name`; float constants are added to the graph on first use.
    mutating func value(_ name: String, _ node: Onnx_NodeProto) throws(EdgeError) -> ValueID {
        switch tensors[name] {
        case .value(let id)?: return id
        case .constant(let c)?:
            if let id = materialized[name] { return id }
            let id = graph.addConstant(name, shape: c.dims, floats: c.asFloats)
            materialized[name] = id
            return id
        case nil:
            if let pending = pendingQuantize[name] {
                try quantizeStandalone(pending.node, pending.index)
                return try value(name, node)
            }
            if quantizedOutputs[name] != nil { throw quantizedUse(name, nodeObject(node)) }
            throw EdgeError(.format, object: nodeObject(node), problem: "reads '\(name)', which no earlier node produces",
                            fix: "the nodes must be in topological order (onnx.checker.check_model)")
        }
    }

    /// Input `i` of `node` as a graph value.
    mutating func input(_ node: Onnx_NodeProto, _ i: Int) throws(EdgeError) -> ValueID {
        guard i < node.input.count, !node.input[i].isEmpty else {
            throw EdgeError(.format, object: nodeObject(node), problem: "input \(i) is missing", fix: "fix the model")
        }
        return try value(node.input[i], node)
    }

    /// Whether optional input `i` is present.
    func hasInput(_ node: Onnx_NodeProto, _ i: Int) -> Bool { i < node.input.count && !node.input[i].isEmpty }

    /// Input `i` of `node`, which must be a known constant.
    func constantInput(_ node: Onnx_NodeProto, _ i: Int, _ role: String) throws(EdgeError) -> ONNXConstant {
        guard hasInput(node, i) else {
            throw EdgeError(.format, object: nodeObject(node), problem: "input \(i) (\(role)) is missing", fix: "fix the model")
        }
        guard let c = constant(node.input[i]) else {
            throw EdgeError(.unsupported, object: nodeObject(node),
                            problem: "input \(i) (\(role)) '\(node.input[i])' is computed at run time; edgepack needs it constant",
                            fix: "export the model with static shapes / constant weights (e.g. torch.onnx.export(..., do_constant_folding=True))")
        }
        return c
    }

    func shape(_ id: ValueID) -> [Int] { graph[id].shape }

    func unsupported(_ node: Onnx_NodeProto, _ problem: String, fix: String = "change the model, or report it") -> EdgeError {
        EdgeError(.unsupported, object: nodeObject(node), problem: problem, fix: fix)
    }

    /// Binds ONNX output `i` of `node` to `id`.
    mutating func define(_ node: Onnx_NodeProto, _ id: ValueID, output i: Int = 0) {
        tensors[node.output[i]] = .value(id)
    }

    mutating func define(_ node: Onnx_NodeProto, constant: ONNXConstant, output i: Int = 0) {
        tensors[node.output[i]] = .constant(constant)
    }

    /// Fails when output `i` and beyond are used (e.g. MaxPool indices, Dropout mask).
    func requireUnusedOutputs(_ node: Onnx_NodeProto, from i: Int) throws(EdgeError) {
        for k in i..<max(i, node.output.count) where !node.output[k].isEmpty {
            throw unsupported(node, "output \(k) ('\(node.output[k])') is not supported", fix: "export the model without that output")
        }
    }

    /// Appends `op` for `node`, naming its output after the ONNX output, and folds it into a
    /// constant right away when all its inputs are constants. Errors name the ONNX node.
    mutating func emit(_ op: Op, _ inputs: [ValueID?], _ node: Onnx_NodeProto, index: Int,
                       output: String? = nil) throws(EdgeError) -> ValueID {
        let outputName = output ?? node.output[0]
        let id: ValueID
        do {
            id = try graph.append1(op, inputs, name: nodeName(node, index), outputName: outputName)
        } catch {
            throw EdgeError(error.kind, object: nodeObject(node), problem: error.problem, fix: error.fix)
        }
        if inputs.allSatisfy({ $0 == nil || graph[$0!].isConstant }) {
            let folded = graph.nodes.removeLast()
            let result = try Reference.evaluate(folded, graph) { graph[$0].data?.floats }
            graph[id].data = .float32(result[0])
        }
        return id
    }
}
