import EdgeFormat

/// A TFLite model as a graph, and whether it arrived quantized.
public struct TFLiteImport {
    /// NHWC graph with TFLite's semantics: runtime ops only, weights as TFLite stores them
    /// (Conv2D OHWI, DepthwiseConv2D 1HW(C*M), FullyConnected [out, in]).
    public var graph: Graph
    /// The model computes in int8: its values carry the file's own quantization (per-tensor
    /// activations, per-channel weights, int32 biases) and must be lowered as they are.
    public var isQuantized: Bool
}

/// Imports a .tflite file (schema version 3, first subgraph) into a `Graph`.
///
/// float32 models become a float graph for the usual passes and optional quantization.
/// Full-integer int8 models map one operator to one native int8 op with exactly the file's
/// scales and zero points (no requantization), so that EdgeRun's int8 kernels, which follow
/// TFLite's reference kernels, give the same bytes. Fused activations become the ops' clamps,
/// SAME/VALID padding becomes explicit pads (TFLite's ComputePaddingHeightWidth).
///
/// Anything else (an operator, option, tensor type or quantization the runtime does not run)
/// throws naming the operator, its index and the value: a model imports with TFLite's numbers
/// or not at all.
public enum TFLiteImporter {
    public static func importModel(_ bytes: [UInt8], source: String = "model.tflite") throws(EdgeError) -> TFLiteImport {
        let model = try TFLiteModel(bytes, source: source)
        guard let main = model.subgraphs.first else {
            throw EdgeError(.input, object: source, problem: "has no subgraph", fix: "pass a converted TFLite model")
        }
        var context = TFLiteContext(model: model, subgraph: main, source: source)
        try context.load()
        let graph = context.graph
        var activations = Set(graph.inputs)
        for n in graph.nodes { activations.formUnion(n.outputs) }
        return TFLiteImport(graph: graph, isQuantized: activations.contains { graph[$0].dtype == .int8 })
    }
}

/// The state of one import: the graph being built and the value each TFLite tensor became.
struct TFLiteContext {
    let model: TFLiteModel
    let subgraph: TFLiteModel.SubGraph
    let source: String
    var graph = Graph()
    var values: [Int: ValueID] = [:]

    init(model: TFLiteModel, subgraph: TFLiteModel.SubGraph, source: String) {
        self.model = model
        self.subgraph = subgraph
        self.source = source
    }

    mutating func load() throws(EdgeError) {
        for i in subgraph.inputs {
            let t = try tensor(i, "subgraph input")
            if !model.data(t.buffer).isEmpty { continue }
            let id = graph.addValue(try declaredValue(Int(i)))
            graph.inputs.append(id)
            values[Int(i)] = id
        }
        if graph.inputs.isEmpty {
            throw EdgeError(.unsupported, object: source, problem: "has no graph inputs", fix: "convert the model with an input")
        }
        for (index, op) in subgraph.operators.enumerated() {
            var node = TFLiteNode(op: op, index: index, context: self)
            try node.resolveCode()
            try convert(node)
        }
        for i in subgraph.outputs {
            let t = try tensor(i, "subgraph output")
            guard var id = values[Int(i)], !graph[id].isConstant else {
                throw EdgeError(.unsupported, object: "\(source) output '\(t.name)'", problem: "is not computed by any operator",
                                fix: "convert the model so that every output depends on an input")
            }
            if graph.inputs.contains(id) || graph.outputs.contains(id) {
                id = try graph.append1(.reshape(shape: graph[id].shape), [id], name: t.name, outputName: t.name)
                graph[id].quantization = graph[graph.nodes.last!.inputs[0]!].quantization
            }
            graph.outputs.append(id)
        }
        if graph.nodes.isEmpty {
            throw EdgeError(.unsupported, object: source, problem: "computes nothing (it has no operator)", fix: "a model needs at least one op")
        }
        graph.removeDeadNodes()
        try graph.verify()
    }

    /// Tensor `i` of the subgraph, range-checked.
    func tensor(_ i: Int32, _ role: String) throws(EdgeError) -> TFLiteModel.Tensor {
        guard i >= 0, Int(i) < subgraph.tensors.count else {
            throw EdgeError(.input, object: source, problem: "\(role) refers to tensor \(i); the subgraph has \(subgraph.tensors.count)",
                            fix: "the file is damaged: re-convert the model")
        }
        return subgraph.tensors[Int(i)]
    }

    func tensorObject(_ i: Int) -> String { "\(source) tensor \(i) '\(subgraph.tensors[i].name)'" }

    /// The EdgeRun dtype, static shape and quantization tensor `i` declares (no data).
    func declaredValue(_ i: Int) throws(EdgeError) -> Value {
        let t = subgraph.tensors[i]
        let object = tensorObject(i)
        if t.isSparse {
            throw EdgeError(.unsupported, object: object, problem: "is stored sparse", fix: "convert the model with dense weights")
        }
        if t.isVariable {
            throw EdgeError(.unsupported, object: object, problem: "is a variable (state kept between invocations)",
                            fix: "convert the model without resource variables (stateless)")
        }
        let dtype: DType
        switch t.type {
        case TFLiteSchema.TensorType.float32: dtype = .float32
        case TFLiteSchema.TensorType.int8: dtype = .int8
        case TFLiteSchema.TensorType.int32: dtype = .int32
        default:
            throw EdgeError(.unsupported, object: object, problem: "has type \(TFLiteSchema.typeName(t.type)); edgepack imports FLOAT32 and full-integer INT8 models (INT32 biases)",
                            fix: "convert with float32 weights, or with full-integer int8 quantization (inference_input_type/inference_output_type int8)")
        }
        if t.shape.contains(where: { $0 < 1 }) {
            throw EdgeError(.unsupported, object: object, problem: "has dynamic shape \(t.shape.map(String.init).joined(separator: "x"))",
                            fix: "convert the model with a fixed input shape (batch 1)")
        }
        var elements = 1
        for d in t.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
            if overflow || product > Int(Int32.max) {
                throw EdgeError(.input, object: object, problem: "has shape \(t.shape.map(String.init).joined(separator: "x")), more than 2^31 elements",
                                fix: "the file is damaged: re-convert the model")
            }
            elements = product
        }
        var value = Value(name: t.name, dtype: dtype, shape: t.shape.map { Int($0) })
        value.quantization = try quantization(i, t, dtype: dtype, shape: value.shape)
        return value
    }

    /// Tensor `i`'s affine quantization; nil for float tensors (their min/max hints are unused).
    private func quantization(_ i: Int, _ t: TFLiteModel.Tensor, dtype: DType, shape: [Int]) throws(EdgeError) -> Quantization? {
        guard dtype != .float32, let q = t.quantization else { return nil }
        let object = tensorObject(i)
        if q.hasDetails {
            throw EdgeError(.unsupported, object: object, problem: "uses custom (non-affine) quantization", fix: "convert with standard int8 quantization")
        }
        let axis = Int(q.quantizedDimension)
        guard !q.scales.isEmpty, q.zeroPoints.count == q.scales.count,
              q.scales.count == 1 || (axis >= 0 && axis < shape.count && shape[axis] == q.scales.count) else {
            throw EdgeError(.input, object: object,
                            problem: "has \(q.scales.count) scales and \(q.zeroPoints.count) zero points for shape \(shapeText(shape)) (quantized dimension \(axis))",
                            fix: "the file is damaged: re-convert the model")
        }
        for s in q.scales where !(s.isFinite && s > 0) {
            throw EdgeError(.unsupported, object: object, problem: "has scale \(s); scales must be finite and > 0", fix: "re-convert the model")
        }
        var zeroPoints: [Int32] = []
        for z in q.zeroPoints {
            guard z >= -128 && z <= 127 || dtype == .int32 && z == 0 else {
                throw EdgeError(.unsupported, object: object, problem: "has zero point \(z), outside int8", fix: "re-convert the model")
            }
            zeroPoints.append(Int32(z))
        }
        return Quantization(scales: q.scales, zeroPoints: zeroPoints, axis: q.scales.count > 1 ? axis : 0)
    }

    /// The graph value of tensor `i`: an earlier operator's output, a graph input, or a
    /// constant added on first use.
    mutating func value(_ i: Int32, reader: String) throws(EdgeError) -> ValueID {
        if let id = values[Int(i)] { return id }
        let t = try tensor(i, reader)
        let bytes = model.data(t.buffer)
        if bytes.isEmpty {
            throw EdgeError(.input, object: reader, problem: "reads tensor \(i) '\(t.name)', which no earlier operator writes and which has no data",
                            fix: "the operators must be in execution order: re-convert the model")
        }
        var value = try declaredValue(Int(i))
        if bytes.count != value.elementCount * value.dtype.size {
            throw EdgeError(.input, object: tensorObject(Int(i)),
                            problem: "has \(bytes.count) bytes of data for \(value.dtype.name) \(shapeText(value.shape))",
                            fix: "the file is damaged: re-convert the model")
        }
        value.data = Self.decode(bytes, value.dtype)
        let id = graph.addValue(value)
        values[Int(i)] = id
        return id
    }

    static func decode(_ bytes: ArraySlice<UInt8>, _ dtype: DType) -> TensorData {
        let b = Array(bytes)
        func word(_ k: Int) -> UInt32 {
            UInt32(b[4 * k]) | UInt32(b[4 * k + 1]) << 8 | UInt32(b[4 * k + 2]) << 16 | UInt32(b[4 * k + 3]) << 24
        }
        switch dtype {
        case .int8: return .int8(b.map { Int8(bitPattern: $0) })
        case .int32: return .int32((0..<b.count / 4).map { Int32(bitPattern: word($0)) })
        default: return .float32((0..<b.count / 4).map { Float(bitPattern: word($0)) })
        }
    }
}
