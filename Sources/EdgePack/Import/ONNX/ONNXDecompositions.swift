import EdgeFormat

/// ONNX ops the runtime has no kind for, rewritten into runtime ops with the same numbers in
/// float32 (every step rounds exactly as ONNX's reference formula does) and a sensible int8
/// form (each step is an ordinary quantized op).
extension ONNXContext {
    /// A float constant for `node`, named after its output so names stay unique.
    mutating func constant(_ node: Onnx_NodeProto, _ suffix: String, shape: [Int], _ values: [Float]) -> ValueID {
        graph.addConstant("\(node.output[0])/\(suffix)", shape: shape, floats: values)
    }

    /// LeakyRelu(x) = relu(x) + alpha * min(x, 0); PRelu(x, slope) = relu(x) + slope * min(x, 0).
    /// One of the two terms is always exactly 0, so the sum is the ONNX value.
    mutating func convertLeakyRelu(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        let slope: ValueID
        if node.opType == "LeakyRelu" {
            let alpha = try attributes.float("alpha", default: 0.01)
            slope = constant(node, "alpha", shape: [1], [alpha])
        } else {
            slope = try input(node, 1)
            guard ShapeInference.broadcast(shape(x), shape(slope)) == shape(x) else {
                throw unsupported(node, "slope of shape \(shapeText(shape(slope))) does not broadcast to the input \(shapeText(shape(x)))")
            }
        }
        let out = node.output[0]
        let positive = try emit(.clamp(.relu), [x], node, index: i, output: "\(out)/positive")
        let negative = try emit(.clamp(Activation(min: -.infinity, max: 0)), [x], node, index: i, output: "\(out)/negative")
        let scaled = try emit(.mul(.none), [negative, slope], node, index: i, output: "\(out)/negative_scaled")
        define(node, try emit(.add(.none), [positive, scaled], node, index: i))
    }

    /// HardSigmoid(x) = clip(alpha * x + beta, 0, 1): Mul, then Add with a fused [0, 1] clamp.
    mutating func convertHardSigmoid(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let alpha = try attributes.float("alpha", default: 0.2), beta = try attributes.float("beta", default: 0.5)
        let x = try input(node, 0)
        let a = constant(node, "alpha", shape: [1], [alpha]), b = constant(node, "beta", shape: [1], [beta])
        let scaled = try emit(.mul(.none), [x, a], node, index: i, output: "\(node.output[0])/scaled")
        define(node, try emit(.add(Activation(min: 0, max: 1)), [scaled, b], node, index: i))
    }

    /// a - b with b computed at run time: a + (-1 * b) (negation is exact).
    mutating func subtractRunTime(_ node: Onnx_NodeProto, _ a: ValueID, _ b: ValueID, _ i: Int) throws(EdgeError) {
        let minusOne = constant(node, "minus_one", shape: [1], [-1])
        let negated = try emit(.mul(.none), [b, minusOne], node, index: i, output: "\(node.output[0])/negated")
        define(node, try emit(.add(.none), [a, negated], node, index: i))
    }

    /// 1-D pooling ([N, C, L]) runs as 2-D pooling of [N, C, 1, L]: the attributes gain a
    /// leading 1 (kernel, strides, dilations) or 0 (pads).
    func lift1D(_ attributes: ONNXAttributes, _ node: Onnx_NodeProto) throws(EdgeError) -> ONNXAttributes {
        var n = node
        for k in n.attribute.indices {
            switch n.attribute[k].name {
            case "kernel_shape", "strides", "dilations":
                n.attribute[k].ints.insert(1, at: 0)
            case "pads":
                let p = n.attribute[k].ints
                guard p.count == 2 else { throw unsupported(node, "attribute pads = \(p), expected 2 values for 1-D pooling") }
                n.attribute[k].ints = [0, p[0], 0, p[1]]
            default: break
            }
        }
        return ONNXAttributes(n, object: nodeObject(node))
    }

    /// ReduceMean over any axes: Transpose the reduced axes in front of the kept ones, view
    /// the result as [1, reduced, 1, kept], take the runtime's spatial Mean, Reshape to the
    /// ONNX output shape (identity Transposes and Reshapes are removed by Simplify).
    mutating func meanOverAxes(_ node: Onnx_NodeProto, _ x: ValueID, axes: [Int], keepDims: Bool, _ i: Int) throws(EdgeError) {
        define(node, try meanValue(node, x, axes: axes, keepDims: keepDims, i, output: node.output[0]))
    }

    /// The mean of `x` over `axes`, as the value named `output`.
    mutating func meanValue(_ node: Onnx_NodeProto, _ x: ValueID, axes: [Int], keepDims: Bool, _ i: Int,
                            output out: String) throws(EdgeError) -> ValueID {
        let s = shape(x)
        let kept = s.indices.filter { !axes.contains($0) }
        let reducedCount = axes.map { s[$0] }.reduce(1, *), keptCount = kept.map { s[$0] }.reduce(1, *)
        var v = x
        if axes + kept != Array(s.indices) {
            v = try emit(.transpose(perm: axes + kept), [v], node, index: i, output: "\(out)/reduced_first")
        }
        v = try emit(.reshape(shape: [1, reducedCount, 1, keptCount]), [v], node, index: i, output: "\(out)/as_4d")
        v = try emit(.mean(axes: [1, 2], keepDims: true), [v], node, index: i, output: "\(out)/mean")
        let final = keepDims ? s.indices.map { axes.contains($0) ? 1 : s[$0] } : kept.map { s[$0] }
        return try emit(.reshape(shape: final), [v], node, index: i, output: out)
    }
}

extension ONNXContext {
    /// Pad in edge, reflect or wrap mode: one Gather per padded axis picks, for every output
    /// position j (from -before to n + after), the input index ONNX copies (edge: the nearest
    /// end; reflect: mirrored about the end elements, which are not repeated; wrap: j mod n).
    /// A pure data move, so it is exact for every dtype.
    mutating func padByGathers(_ node: Onnx_NodeProto, _ x: ValueID, before: [Int], after: [Int], mode: String,
                               _ i: Int) throws(EdgeError) -> ValueID {
        var v = x
        let axes = before.indices.filter { before[$0] > 0 || after[$0] > 0 }
        for (k, axis) in axes.enumerated() {
            let n = shape(v)[axis]
            let indices = (-before[axis]..<(n + after[axis])).map { j -> Int in
                switch mode {
                case "edge": return min(max(j, 0), n - 1)
                case "wrap": return ((j % n) + n) % n
                default:
                    guard n > 1 else { return 0 }
                    let period = 2 * (n - 1)
                    let r = ((j % period) + period) % period
                    return r < n ? r : period - r
                }
            }
            let name = k == axes.count - 1 ? nil : "\(node.output[0])/padded_axis\(axis)"
            v = try emit(.gather(axis: axis, indices: indices), [v], node, index: i, output: name)
        }
        return axes.isEmpty ? try emit(.reshape(shape: shape(x)), [x], node, index: i) : v
    }
}
