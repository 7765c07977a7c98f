import EdgeFormat

/// One converter per TFLite builtin operator. Option field ids and union type numbers are
/// those of schema.fbs (Conv2DOptions 1, DepthwiseConv2DOptions 2, Pool2DOptions 5,
/// FullyConnectedOptions 8, SoftmaxOptions 9, ConcatenationOptions 10, AddOptions 11,
/// MulOptions 21, ReducerOptions 27).
extension TFLiteContext {
    mutating func convert(_ n: TFLiteNode) throws(EdgeError) {
        typealias B = TFLiteSchema.Builtin
        switch n.code {
        case B.conv2D: try convolution(n, depthwise: false)
        case B.depthwiseConv2D: try convolution(n, depthwise: true)
        case B.fullyConnected: try fullyConnected(n)
        case B.add, B.mul:
            let o = try n.options(n.code == B.add ? 11 : 21, n.code == B.add ? "AddOptions" : "MulOptions", required: false)
            let act = try n.activation(try o?.i8(0) ?? 0)
            let a = try input(n, 0), b = try input(n, 1)
            try emit(n.code == B.add ? .add(act) : .mul(act), [a, b], n)
        case B.averagePool2D, B.maxPool2D: try pool(n)
        case B.reshape, B.squeeze, B.expandDims:
            // The output tensor's static shape is the new shape (shape inputs and options agree
            // with it in a converted model; ShapeInference checks the element count).
            let x = try input(n, 0)
            let shape = try declaredValue(Int(n.op.outputs[0])).shape
            try requireSameQuantization(n, x)
            try emit(.reshape(shape: shape), [x], n)
        case B.softmax:
            let beta = try n.options(9, "SoftmaxOptions", required: false)?.f32(0) ?? 0
            try emit(.softmax(beta: beta), [try input(n, 0)], n)
        case B.concatenation:
            let o = try n.options(10, "ConcatenationOptions")!
            let act = try n.activation(try o.i8(1))
            var inputs: [ValueID?] = []
            for k in n.op.inputs.indices { inputs.append(try input(n, k)) }
            let rank = graph[inputs[0]!].rank
            var axis = Int(try o.i32(0))
            if axis < 0 { axis += rank }
            if !act.isNone { throw n.unsupported("has a fused activation; EdgeRun's Concatenation has none") }
            try emit(.concatenation(axis: axis), inputs, n)
        case B.pad:
            let x = try input(n, 0)
            let pads = try constantInts(n, 1, "paddings")
            let rank = graph[x].rank
            guard pads.count == 2 * rank else { throw n.unsupported("paddings have \(pads.count) entries for rank \(rank)") }
            try emit(.pad(before: (0..<rank).map { pads[2 * $0] }, after: (0..<rank).map { pads[2 * $0 + 1] }, value: 0), [x], n)
        case B.relu: try emit(.clamp(.relu), [try input(n, 0)], n)
        case B.relu6: try emit(.clamp(.relu6), [try input(n, 0)], n)
        case B.reluN1To1: try emit(.clamp(Activation(min: -1, max: 1)), [try input(n, 0)], n)
        case B.logistic: try emit(.logistic, [try input(n, 0)], n)
        case B.tanh: try emit(.tanh, [try input(n, 0)], n)
        case B.hardSwish: try emit(.hardSwish, [try input(n, 0)], n)
        case B.quantize: try emit(.quantize, [try input(n, 0)], n)
        case B.dequantize: try emit(.dequantize, [try input(n, 0)], n)
        case B.transpose:
            let x = try input(n, 0)
            try emit(.transpose(perm: try constantInts(n, 1, "perm")), [x], n)
        case B.mean:
            let x = try input(n, 0)
            let rank = graph[x].rank
            let axes = Set(try constantInts(n, 1, "axis").map { $0 < 0 ? $0 + rank : $0 }).sorted()
            let keepDims = try n.options(27, "ReducerOptions", required: false)?.bool(0) ?? false
            try emit(.mean(axes: axes, keepDims: keepDims), [x], n)
        default:
            throw n.unsupported("is not supported by edgepack",
                                fix: "supported TFLite operators: ADD, AVERAGE_POOL_2D, CONCATENATION, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE, EXPAND_DIMS, FULLY_CONNECTED, HARD_SWISH, LOGISTIC, MAX_POOL_2D, MEAN, MUL, PAD, QUANTIZE, RELU, RELU6, RELU_N1_TO_1, RESHAPE, SOFTMAX, SQUEEZE, TANH, TRANSPOSE")
        }
    }

    // MARK: Operators with weights

    private mutating func convolution(_ n: TFLiteNode, depthwise: Bool) throws(EdgeError) {
        let o = try n.options(depthwise ? 2 : 1, depthwise ? "DepthwiseConv2DOptions" : "Conv2DOptions")!
        // Field ids: padding 0, stride_w 1, stride_h 2, then Conv2D: activation 3, dilation_w 4,
        // dilation_h 5; DepthwiseConv2D: depth_multiplier 3, activation 4, dilation_w 5, dilation_h 6.
        let d = depthwise ? 1 : 0
        let scheme = try o.i8(0)
        let strideW = Int(try o.i32(1)), strideH = Int(try o.i32(2))
        let act = try n.activation(try o.i8(3 + d))
        let dilationW = Int(try o.i32(4 + d, default: 1)), dilationH = Int(try o.i32(5 + d, default: 1))
        let x = try input(n, 0), w = try input(n, 1), b = try optionalInput(n, 2)
        let xs = graph[x].shape, ws = graph[w].shape
        guard xs.count == 4, ws.count == 4 else {
            throw n.unsupported("input \(shapeText(xs)) and filter \(shapeText(ws)) must be 4-D (NHWC, \(depthwise ? "1HWC" : "OHWI"))")
        }
        try checkWeights(n, x: x, w: w, b: b, axis: depthwise ? 3 : 0, dynamicRange: !depthwise)
        if graph[w].dtype != graph[x].dtype && (dilationH != 1 || dilationW != 1) {
            throw n.unsupported("is a dynamic-range convolution with dilation \(dilationH)x\(dilationW); TFLite's hybrid kernel runs it without dilation")
        }
        let h = try n.padding(scheme, input: xs[1], kernel: ws[1], stride: strideH, dilation: dilationH)
        let wp = try n.padding(scheme, input: xs[2], kernel: ws[2], stride: strideW, dilation: dilationW)
        let a = ConvAttributes(strideH: strideH, strideW: strideW, dilationH: dilationH, dilationW: dilationW,
                               padding: Padding2D(top: h.before, left: wp.before, bottom: h.after, right: wp.after),
                               activation: act, layout: .nhwc)
        if depthwise {
            // TFLite derives the multiplier from the shapes; the option, when set, must agree.
            let multiplier = xs[3] > 0 && ws[3] % xs[3] == 0 ? ws[3] / xs[3] : 0
            let declared = Int(try o.i32(3))
            if multiplier < 1 || (declared != 0 && declared != multiplier) {
                throw n.unsupported("filter \(shapeText(ws)) and input \(shapeText(xs)) give no depth multiplier matching the option \(declared)")
            }
            try emit(.depthwiseConv2D(a, depthMultiplier: multiplier), [x, w, b], n)
        } else {
            if ws[3] != xs[3] {
                throw n.unsupported("filter \(shapeText(ws)) has \(ws[3]) input channels, input \(shapeText(xs)) has \(xs[3]) (grouped convolution is not supported)")
            }
            try emit(.conv2D(a), [x, w, b], n)
        }
    }

    private mutating func fullyConnected(_ n: TFLiteNode) throws(EdgeError) {
        let o = try n.options(8, "FullyConnectedOptions", required: false)
        let act = try n.activation(try o?.i8(0) ?? 0)
        if let format = try o?.u8(1), format != 0 {
            throw n.unsupported("has weights_format \(format) (shuffled); edgepack reads DEFAULT weights")
        }
        var x = try input(n, 0)
        let w = try input(n, 1), b = try optionalInput(n, 2)
        let ws = graph[w].shape
        guard ws.count == 2, ws[1] > 0 else { throw n.unsupported("weights \(shapeText(ws)) must be [out, in]") }
        try checkWeights(n, x: x, w: w, b: b, axis: 0, dynamicRange: true)
        if graph[w].dtype != graph[x].dtype, try o?.bool(3) == true {
            throw n.unsupported("is a dynamic-range layer with asymmetric_quantize_inputs; EdgeRun runs TFLite's symmetric input quantization")
        }
        // TFLite flattens the input to [elements / in, in]; EdgeRun's FullyConnected takes rank 2.
        let elements = graph[x].elementCount
        if elements % ws[1] != 0 {
            throw n.unsupported("input \(shapeText(graph[x].shape)) is not a whole number of rows of \(ws[1]) features")
        }
        let flat = [elements / ws[1], ws[1]]
        if graph[x].shape != flat { x = try intermediate(.reshape(shape: flat), x, n, suffix: "flatten") }
        let declared = try declaredValue(Int(n.op.outputs[0]))
        if declared.shape == [flat[0], ws[0]] {
            try emit(.fullyConnected(act), [x, w, b], n)
        } else {
            // keep_num_dims: the output keeps the input's leading dims.
            let y = try intermediate(.fullyConnected(act), x, w, b, n, suffix: "matmul", quantization: declared.quantization)
            try emit(.reshape(shape: declared.shape), [y], n)
        }
    }

    private mutating func pool(_ n: TFLiteNode) throws(EdgeError) {
        let o = try n.options(5, "Pool2DOptions")!
        let scheme = try o.i8(0)
        let strideW = Int(try o.i32(1)), strideH = Int(try o.i32(2))
        let filterW = Int(try o.i32(3)), filterH = Int(try o.i32(4))
        let act = try n.activation(try o.i8(5))
        let x = try input(n, 0)
        let xs = graph[x].shape
        guard xs.count == 4 else { throw n.unsupported("input \(shapeText(xs)) must be 4-D (NHWC)") }
        let h = try n.padding(scheme, input: xs[1], kernel: filterH, stride: strideH, dilation: 1)
        let w = try n.padding(scheme, input: xs[2], kernel: filterW, stride: strideW, dilation: 1)
        let a = PoolAttributes(filterH: filterH, filterW: filterW, strideH: strideH, strideW: strideW,
                               padding: Padding2D(top: h.before, left: w.before, bottom: h.after, right: w.after),
                               activation: act, layout: .nhwc)
        try emit(n.code == TFLiteSchema.Builtin.averagePool2D ? .averagePool2D(a) : .maxPool2D(a), [x], n)
    }

    /// Float models take float weights and biases; int8 models int8 weights with zero point 0
    /// (per-tensor or per-channel along `axis`) and int32 biases. Dynamic-range ("hybrid")
    /// layers, int8 weights under float activations, are taken where `dynamicRange` (Conv2D and
    /// FullyConnected with one weight scale, which the runtime runs as TFLite's EvalHybrid and
    /// EvalHybridDense) and rejected elsewhere.
    private func checkWeights(_ n: TFLiteNode, x: ValueID, w: ValueID, b: ValueID?, axis: Int, dynamicRange: Bool) throws(EdgeError) {
        let xv = graph[x], wv = graph[w]
        guard wv.isConstant else { throw n.unsupported("has weights '\(wv.name)' computed at run time; edgepack needs constant weights") }
        switch (xv.dtype, wv.dtype) {
        case (.float32, .float32):
            if let b, graph[b].dtype != .float32 { throw n.unsupported("has a \(graph[b].dtype.name) bias with float32 weights") }
        case (.int8, .int8):
            guard let q = wv.quantization, q.zeroPoints.allSatisfy({ $0 == 0 }) else {
                throw n.unsupported("has int8 weights '\(wv.name)' without symmetric quantization (zero point 0)")
            }
            if !q.isPerTensor && q.axis != axis {
                throw n.unsupported("has per-channel weight scales along axis \(q.axis); TFLite and EdgeRun use axis \(axis)")
            }
            if let b, graph[b].dtype != .int32 { throw n.unsupported("has a \(graph[b].dtype.name) bias; int8 models use int32 biases") }
        case (.float32, .int8) where dynamicRange:
            guard let q = wv.quantization, q.isPerTensor, q.zeroPoint == 0 else {
                throw n.unsupported("has dynamic-range int8 weights '\(wv.name)' with per-channel or asymmetric scales; EdgeRun runs one symmetric scale")
            }
            if let b, graph[b].dtype != .float32 { throw n.unsupported("has a \(graph[b].dtype.name) bias with float32 activations") }
        case (.float32, .int8):
            throw n.unsupported("has int8 weights under float32 activations (dynamic-range quantization)",
                                fix: "convert the model as float32, or with full-integer int8 quantization (a representative dataset)")
        default:
            throw n.unsupported("has \(xv.dtype.name) input and \(wv.dtype.name) weights; edgepack maps float32 or int8 models")
        }
    }

    // MARK: Inputs and outputs

    /// Input `k` as a graph value.
    mutating func input(_ n: TFLiteNode, _ k: Int) throws(EdgeError) -> ValueID {
        guard let i = n.inputIndex(k) else { throw n.unsupported("input \(k) is missing") }
        return try value(i, reader: n.object)
    }

    mutating func optionalInput(_ n: TFLiteNode, _ k: Int) throws(EdgeError) -> ValueID? {
        guard let i = n.inputIndex(k) else { return nil }
        return try value(i, reader: n.object)
    }

    /// Input `k` as constant int32 values (shape-like operands: paddings, perm, axes).
    mutating func constantInts(_ n: TFLiteNode, _ k: Int, _ role: String) throws(EdgeError) -> [Int] {
        let id = try input(n, k)
        guard case .int32(let v)? = graph[id].data else {
            throw n.unsupported("input \(k) (\(role)) must be a constant int32 tensor")
        }
        return v.map { Int($0) }
    }

    /// Int8 operators that only move values (Reshape) must keep the parameters.
    private func requireSameQuantization(_ n: TFLiteNode, _ x: ValueID) throws(EdgeError) {
        let y = try declaredValue(Int(n.op.outputs[0]))
        if graph[x].dtype == .int8, graph[x].quantization != y.quantization {
            throw n.unsupported("changes quantization from \(describe(graph[x].quantization)) to \(describe(y.quantization))")
        }
    }

    private func describe(_ q: Quantization?) -> String {
        guard let q else { return "none" }
        return "scale \(q.scale) zero point \(q.zeroPoint)"
    }

    /// Appends `op` as the operator's output: the node's inferred dtype and shape must equal the
    /// tensor's declared ones; the value takes the tensor's name and quantization.
    mutating func emit(_ op: Op, _ inputs: [ValueID?], _ n: TFLiteNode) throws(EdgeError) {
        let index = Int(n.op.outputs[0])
        guard index >= 0, index < subgraph.tensors.count else { throw n.unsupported("writes tensor \(index), which does not exist") }
        if values[index] != nil { throw n.unsupported("writes tensor \(index) '\(subgraph.tensors[index].name)', which is already written") }
        let declared = try declaredValue(index)
        let id = try append(op, inputs, n, name: n.name, outputName: declared.name)
        if graph[id].dtype != declared.dtype || graph[id].shape != declared.shape {
            throw n.unsupported("computes \(graph[id].dtype.name) \(shapeText(graph[id].shape)) but the model declares \(declared.dtype.name) \(shapeText(declared.shape))")
        }
        if declared.dtype == .int8 && declared.quantization?.isPerTensor != true {
            throw n.unsupported("writes int8 tensor '\(declared.name)' without per-tensor quantization")
        }
        graph[id].quantization = declared.quantization
        values[index] = id
    }

    /// A helper value inside one operator (a flattening Reshape, FullyConnected before
    /// keep_num_dims); int8 values keep `quantization` (default: the input's).
    private mutating func intermediate(_ op: Op, _ inputs: ValueID?..., n: TFLiteNode, suffix: String,
                                       quantization: Quantization? = nil) throws(EdgeError) -> ValueID {
        let id = try append(op, inputs, n, name: "\(n.name)/\(suffix)", outputName: "\(n.name)/\(suffix)")
        graph[id].quantization = quantization ?? graph[inputs[0]!].quantization
        return id
    }

    private mutating func intermediate(_ op: Op, _ x: ValueID, _ n: TFLiteNode, suffix: String) throws(EdgeError) -> ValueID {
        try intermediate(op, x, n: n, suffix: suffix)
    }

    private mutating func intermediate(_ op: Op, _ x: ValueID, _ w: ValueID, _ b: ValueID?, _ n: TFLiteNode, suffix: String,
                                       quantization: Quantization?) throws(EdgeError) -> ValueID {
        try intermediate(op, x, w, b, n: n, suffix: suffix, quantization: quantization)
    }

    private mutating func append(_ op: Op, _ inputs: [ValueID?], _ n: TFLiteNode, name: String, outputName: String) throws(EdgeError) -> ValueID {
        do {
            return try graph.append1(op, inputs, name: name, outputName: outputName)
        } catch {
            throw EdgeError(error.kind, object: n.object, problem: error.problem, fix: error.fix)
        }
    }
}
