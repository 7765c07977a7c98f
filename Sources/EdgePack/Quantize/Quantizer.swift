import EdgeFormat

/// An int8 graph and, for each of its values, the float graph's value with the same meaning
/// (for per-layer error reports).
public struct QuantizedGraph {
    public var graph: Graph
    public var floatCounterpart: [ValueID: ValueID]
}

/// Post-training int8 quantization of a runtime-ready float graph (TFLite's int8 scheme):
/// - activations: asymmetric per-tensor int8 from the calibrated ranges (`QuantizationRules`);
///   Logistic/Softmax/Tanh outputs take the spec's fixed parameters;
/// - values that must share parameters are grouped: pool, Reshape, Transpose and Pad
///   outputs with their input, Concatenation inputs with the output; a group's range is
///   the union of its members'. A Concatenation input whose parameters are fixed (Logistic,
///   Softmax, Tanh, or a pool of one) gets an int8 -> int8 Quantize (requantize) in front
///   instead of imposing them on the other inputs;
/// - Conv2D/DepthwiseConv2D/FullyConnected weights per-channel symmetric int8, biases int32;
/// - with `io: .float`, a Quantize after each graph input and a Dequantize before each graph
///   output keep the model's interface float32.
public enum Quantizer {
    public static func quantize(_ float: Graph, ranges: [ValueID: ValueRange],
                                io: QuantizationOptions.IOType) throws(EdgeError) -> QuantizedGraph {
        var activations = Set(float.inputs)
        for n in float.nodes { activations.formUnion(n.outputs) }

        var groups = ParameterGroups()
        for n in float.nodes {
            if let f = QuantizationRules.fixedOutput(of: n.op) { groups.fix(n.outputs[0], f) }
        }
        var requantized: [Int: Set<Int>] = [:]
        for (i, n) in float.nodes.enumerated() {
            let y = n.outputs[0]
            if QuantizationRules.sharesInputParameters(n.op), let x = n.inputs[0], activations.contains(x) {
                if !groups.union(x, y) { requantized[i, default: []].insert(0) }
            } else if case .concatenation = n.op {
                for (k, v) in n.inputs.enumerated() {
                    guard let v, activations.contains(v) else { continue }
                    // An input with fixed parameters (e.g. a Logistic output) would force them
                    // on every other input: requantize it instead.
                    let fixed = groups.fixed[groups.find(v)]
                    if fixed != nil && fixed != groups.fixed[groups.find(y)] || !groups.union(v, y) {
                        requantized[i, default: []].insert(k)
                    }
                }
            }
        }
        var params: [ValueID: Quantization] = [:]
        var groupRange: [ValueID: ValueRange] = [:]
        for v in activations { groupRange[groups.find(v), default: .empty].include(ranges[v] ?? .empty) }
        for v in activations {
            let root = groups.find(v)
            params[v] = groups.fixed[root] ?? QuantizationRules.activation(groupRange[root]!)
        }

        var q = float
        q.nodes = []
        var counterpart: [ValueID: ValueID] = [:]
        for v in activations {
            q[v].dtype = .int8
            q[v].quantization = params[v]
            counterpart[v] = v
        }
        if io == .float {
            q.inputs = []
            for x in float.inputs {
                let xf = q.addValue(Value(name: float[x].name, dtype: .float32, shape: float[x].shape))
                q[x].name = float[x].name + "/int8"
                q.nodes.append(Node(op: .quantize, inputs: [xf], outputs: [x], name: float[x].name + "/quantize"))
                q.inputs.append(xf)
                counterpart[xf] = x
            }
        }
        for (i, node) in float.nodes.enumerated() {
            var n = node
            let object = node.label
            if case .div = node.op {
                throw EdgeError(.unsupported, object: object, problem: "Div has no int8 kernel",
                                fix: "pack the model as float32 (without --quantize), or divide by a constant (it becomes a Mul)")
            }
            switch node.op {
            case .conv2D, .depthwiseConv2D, .fullyConnected:
                guard let wID = node.input(1), let w = float.floats(wID), let x = node.inputs[0], let inQ = params[x] else {
                    throw EdgeError(.unsupported, object: object, problem: "weights must be float constants and the input an activation",
                                    fix: "report the model")
                }
                var axis = 0
                if case .depthwiseConv2D = node.op { axis = 3 }
                let (data, wq) = QuantizationRules.weights(w, shape: float[wID].shape, axis: axis)
                let newW = q.addConstant(float[wID].name, shape: float[wID].shape, data: .int8(data))
                q[newW].quantization = wq
                n.inputs[1] = newW
                if let bID = node.input(2), let b = float.floats(bID) {
                    let (bData, bq) = QuantizationRules.bias(b, inputScale: inQ.scale, weightScales: wq.scales)
                    let newB = q.addConstant(float[bID].name, shape: float[bID].shape, data: .int32(bData))
                    q[newB].quantization = bq
                    n.inputs[2] = newB
                }
            case .add, .mul, .concatenation:
                for (k, v) in node.inputs.enumerated() {
                    guard let v, let c = float.floats(v) else { continue }
                    var r = ValueRange.empty
                    for x in c { r.include(x) }
                    let cq: Quantization
                    if case .concatenation = node.op { cq = params[node.outputs[0]]! } else { cq = QuantizationRules.activation(r) }
                    let id = q.addConstant(float[v].name, shape: float[v].shape, data: .int8(QuantizationRules.constant(c, cq)))
                    q[id].quantization = cq
                    n.inputs[k] = id
                }
            default:
                for case let v? in node.inputs where float[v].isConstant {
                    throw EdgeError(.unsupported, object: object, problem: "has a constant input '\(float[v].name)' that int8 quantization does not handle",
                                    fix: "report the model")
                }
            }
            for k in (requantized[i] ?? []).sorted() {
                guard let v = n.inputs[k] else { continue }
                let target = params[node.outputs[0]]!
                let r = q.addValue(Value(name: float[v].name + "/requantized", dtype: .int8, shape: float[v].shape, quantization: target))
                q.nodes.append(Node(op: .quantize, inputs: [v], outputs: [r], name: float[v].name + "/requantize"))
                n.inputs[k] = r
                counterpart[r] = v
            }
            q.nodes.append(n)
        }
        if io == .float {
            q.outputs = []
            for y in float.outputs {
                let yf = q.addValue(Value(name: float[y].name, dtype: .float32, shape: float[y].shape))
                q[y].name = float[y].name + "/int8"
                q.nodes.append(Node(op: .dequantize, inputs: [y], outputs: [yf], name: float[y].name + "/dequantize"))
                q.outputs.append(yf)
                counterpart[yf] = y
            }
        }
        try q.verify()
        return QuantizedGraph(graph: q, floatCounterpart: counterpart)
    }
}

/// Union-find over values that must share quantization parameters; a group may carry fixed
/// parameters (Logistic, Softmax, Tanh outputs).
struct ParameterGroups {
    var parent: [ValueID: ValueID] = [:]
    var fixed: [ValueID: Quantization] = [:]

    mutating func find(_ v: ValueID) -> ValueID {
        var root = v
        while let p = parent[root], p != root { root = p }
        var walk = v
        while let p = parent[walk], p != root { parent[walk] = root; walk = p }
        return root
    }

    mutating func fix(_ v: ValueID, _ q: Quantization) { fixed[find(v)] = q }

    /// Joins the groups of `a` and `b`; returns false (and joins nothing) when both carry
    /// different fixed parameters.
    mutating func union(_ a: ValueID, _ b: ValueID) -> Bool {
        let ra = find(a), rb = find(b)
        if ra == rb { return true }
        if let fa = fixed[ra], let fb = fixed[rb], fa != fb { return false }
        parent[rb] = ra
        if fixed[ra] == nil, let fb = fixed[rb] { fixed[ra] = fb }
        fixed[rb] = nil
        return true
    }
}
