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
/// - Conv2D/DepthwiseConv2D weights per-channel symmetric int8, FullyConnected weights
///   per-tensor symmetric int8 (`Settings.perTensorFullyConnected`), biases int32;
/// - with `io: .float`, a Quantize after each graph input and a Dequantize before each graph
///   output keep the model's interface float32;
/// - nodes named in `floatNodes` stay float32 between a Dequantize and a Quantize (mixed
///   precision); a Quantize whose output only feeds Dequantizes is then bypassed, so
///   neighbouring float nodes exchange float32 directly;
/// - with channel means (bias correction), each layer's bias absorbs the expected output
///   shift its weight rounding causes: b -= (dequantized W - W) * E[x] per output channel.
public enum Quantizer {
    public struct Settings {
        public var io: QuantizationOptions.IOType = .float
        /// Names of nodes that stay float32.
        public var floatNodes: Set<String> = []
        /// Per-channel means of the float model's values (`CalibrationStatistics`); nil turns
        /// bias correction off.
        public var channelMeans: [ValueID: [Double]]?
        /// FullyConnected weights take one scale, as TFLite's converter writes them, instead of
        /// one per output feature (8 B of QUANT record each: 13 KB on the MLPerf Tiny
        /// autoencoder). Measured by `make mlperf-ptq`, the model-level agreement with float
        /// stays ahead of the official int8 models either way.
        public var perTensorFullyConnected = true

        public init(io: QuantizationOptions.IOType = .float) { self.io = io }
    }

    public static func quantize(_ float: Graph, ranges: [ValueID: ValueRange],
                                io: QuantizationOptions.IOType) throws(EdgeError) -> QuantizedGraph {
        try quantize(float, ranges: ranges, settings: Settings(io: io))
    }

    public static func quantize(_ float: Graph, ranges: [ValueID: ValueRange],
                                settings: Settings) throws(EdgeError) -> QuantizedGraph {
        let io = settings.io
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
            // Div has no int8 kernel: it runs in float32 between a Dequantize and a Quantize.
            if settings.floatNodes.contains(node.name) || node.op.kind == .div {
                keepFloat(node, in: &q, activations: activations, counterpart: &counterpart)
                continue
            }
            switch node.op {
            case .conv2D, .depthwiseConv2D, .fullyConnected:
                guard let wID = node.input(1), let w = realValues(float, wID), let x = node.inputs[0], let inQ = params[x] else {
                    throw EdgeError(.unsupported, object: object, problem: "weights must be float constants and the input an activation",
                                    fix: "report the model")
                }
                var axis = 0
                if case .depthwiseConv2D = node.op { axis = 3 }
                var (data, wq) = QuantizationRules.weights(w, shape: float[wID].shape, axis: axis)
                if case .fullyConnected = node.op, settings.perTensorFullyConnected {
                    (data, wq) = QuantizationRules.weights(w, shape: [1, w.count], axis: 0)
                }
                let newW = q.addConstant(float[wID].name, shape: float[wID].shape, data: .int8(data))
                q[newW].quantization = wq
                n.inputs[1] = newW
                var bias = float.floats(node.input(2))
                if let means = settings.channelMeans?[x] {
                    let channels = float[wID].shape[axis]
                    let scales = wq.scales.count == 1 ? [Float](repeating: wq.scales[0], count: channels) : wq.scales
                    let shift = BiasCorrection.outputShift(node.op, weights: w, quantized: data, scales: scales,
                                                           shape: float[wID].shape, inputMeans: means)
                    bias = (bias ?? [Float](repeating: 0, count: shift.count)).enumerated().map { $1 - Float(shift[$0]) }
                }
                if let b = bias {
                    let (bData, bq) = QuantizationRules.bias(b, inputScale: inQ.scale, weightScales: wq.scales)
                    let name = node.input(2).map { float[$0].name } ?? node.name + ".bias"
                    let newB = q.addConstant(name, shape: [b.count], data: .int32(bData))
                    q[newB].quantization = bq
                    if n.inputs.count < 3 { n.inputs.append(nil) }
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
        if !settings.floatNodes.isEmpty { bypassRoundTrips(&q) }
        try q.verify()
        return QuantizedGraph(graph: q, floatCounterpart: counterpart)
    }

    /// A constant's real values: float data as is, int8 data (the weights of a TFLite
    /// dynamic-range layer in a float model) dequantized with its per-tensor or per-channel scales.
    static func realValues(_ g: Graph, _ v: ValueID) -> [Float]? {
        if let f = g.floats(v) { return f }
        guard case .int8(let data)? = g[v].data, let q = g[v].quantization else { return nil }
        let shape = g[v].shape
        let inner = q.axis + 1 < shape.count ? shape[(q.axis + 1)...].reduce(1, *) : 1
        return data.enumerated().map { i, x in
            let c = q.scales.count == 1 ? 0 : (i / inner) % q.scales.count
            return q.scales[c] * Float(Int32(x) - q.zeroPoints[c])
        }
    }

    /// Emits `node` in float32: its int8 activation inputs are dequantized, its output is
    /// quantized back into the int8 value the rest of the graph reads.
    static func keepFloat(_ node: Node, in q: inout Graph, activations: Set<ValueID>, counterpart: inout [ValueID: ValueID]) {
        var n = node
        for (k, v) in node.inputs.enumerated() {
            guard let v, activations.contains(v) else { continue }
            let f = q.addValue(Value(name: q[v].name + "/float", dtype: .float32, shape: q[v].shape))
            q.nodes.append(Node(op: .dequantize, inputs: [v], outputs: [f], name: q[v].name + "/dequantize"))
            n.inputs[k] = f
            counterpart[f] = v
        }
        for (k, y) in node.outputs.enumerated() {
            let f = q.addValue(Value(name: q[y].name + "/float", dtype: .float32, shape: q[y].shape))
            n.outputs[k] = f
            counterpart[f] = y
        }
        q.nodes.append(n)
        for (k, y) in node.outputs.enumerated() {
            q.nodes.append(Node(op: .quantize, inputs: [n.outputs[k]], outputs: [y], name: q[y].name + "/quantize"))
        }
    }

    /// Removes float -> int8 -> float round trips: a Quantize whose int8 output is read only
    /// by Dequantizes (and is no graph output) is skipped, its readers read the float value.
    static func bypassRoundTrips(_ q: inout Graph) {
        let consumers = q.consumers()
        for node in q.nodes {
            guard case .quantize = node.op, let x = node.inputs[0], q[x].dtype == .float32 else { continue }
            let y = node.outputs[0]
            let readers = consumers[y] ?? []
            guard !readers.isEmpty, !q.isGraphOutput(y),
                  readers.allSatisfy({ if case .dequantize = q.nodes[$0].op { return true } else { return false } }) else { continue }
            for r in readers { q.replaceUses(of: q.nodes[r].outputs[0], with: x) }
        }
        q.removeDeadNodes()
    }
}

/// Bias correction (Nagel et al., "Data-Free Quantization", empirical form): the expected
/// change of each output channel caused by rounding the weights, for inputs whose
/// per-channel means are known.
enum BiasCorrection {
    /// (dequantized W - W) * E[x], per output channel. Weight layouts as the runtime stores
    /// them: Conv2D OHWI, DepthwiseConv2D 1HW(C*M), FullyConnected [out, in].
    static func outputShift(_ op: Op, weights w: [Float], quantized: [Int8], scales: [Float], shape: [Int],
                            inputMeans mean: [Double]) -> [Double] {
        switch op {
        case .depthwiseConv2D(_, let m):
            let channels = shape[3]
            var shift = [Double](repeating: 0, count: channels)
            for i in w.indices {
                let c = i % channels
                shift[c] += (Double(quantized[i]) * Double(scales[c]) - Double(w[i])) * mean[min(c / m, mean.count - 1)]
            }
            return shift
        default:
            let outputs = shape[0], inner = w.count / outputs, inputs = shape.last!
            var shift = [Double](repeating: 0, count: outputs)
            for i in w.indices {
                let o = i / inner
                shift[o] += (Double(quantized[i]) * Double(scales[o]) - Double(w[i])) * mean[min(i % inputs, mean.count - 1)]
            }
            return shift
        }
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
