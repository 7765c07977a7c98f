import EdgeFormat

/// Training-mode BatchNormalization (deterministic: it normalizes with the batch's own
/// statistics): y = (x - m) / sqrt(v + epsilon) x scale + B with m, v the mean and biased
/// variance over every axis but the channel axis 1; optional outputs 1 and 2 are the updated
/// running statistics, input_mean x momentum + m x (1 - momentum) (and the same for v).
extension ONNXContext {
    mutating func batchNormTraining(_ node: Onnx_NodeProto, epsilon: Float, momentum: Float, _ i: Int) throws(EdgeError) {
        try requireUnusedOutputs(node, from: 3)
        let x = try input(node, 0)
        let s = shape(x)
        guard s.count >= 2 else { throw unsupported(node, "input has shape \(shapeText(s)); it needs a channel axis") }
        let c = s[1], out = node.output[0]
        let axes = s.indices.filter { $0 != 1 }
        let stats = s.indices.map { $0 == 1 ? c : 1 }
        var params: [[Float]] = []
        for (k, role) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
            let p = try constantInput(node, k, role)
            guard p.count == c else { throw unsupported(node, "\(role) has \(p.count) values for \(c) channels") }
            params.append(p.asFloats)
        }
        let mean = try meanValue(node, x, axes: axes, keepDims: true, i, output: "\(out)/batch_mean")
        let negated = try emit(.mul(.none), [mean, constant(node, "minus_one", shape: [1], [-1])], node, index: i, output: "\(out)/negated_mean")
        let centered = try emit(.add(.none), [x, negated], node, index: i, output: "\(out)/centered")
        let squares = try emit(.mul(.none), [centered, centered], node, index: i, output: "\(out)/squares")
        let variance = try meanValue(node, squares, axes: axes, keepDims: true, i, output: "\(out)/batch_var")
        let shifted = try emit(.add(.none), [variance, constant(node, "epsilon", shape: [1], [epsilon])], node, index: i, output: "\(out)/var_eps")
        let deviation = try emit(.sqrt, [shifted], node, index: i, output: "\(out)/std")
        let gain = try emit(.div(.none), [constant(node, "scale", shape: stats, params[0]), deviation], node, index: i, output: "\(out)/gain")
        let scaled = try emit(.mul(.none), [centered, gain], node, index: i, output: "\(out)/scaled")
        define(node, try emit(.add(.none), [scaled, constant(node, "B", shape: stats, params[1])], node, index: i))
        for (k, statistic, running) in [(1, mean, params[2]), (2, variance, params[3])] where k < node.output.count && !node.output[k].isEmpty {
            let name = node.output[k]
            let flat = try emit(.reshape(shape: [c]), [statistic], node, index: i, output: "\(name)/batch")
            let weighted = try emit(.mul(.none), [flat, constant(node, "\(name)_keep", shape: [1], [1 - momentum])], node, index: i, output: "\(name)/weighted")
            let prior = constant(node, "\(name)_prior", shape: [c], running.map { $0 * momentum })
            define(node, try emit(.add(.none), [weighted, prior], node, index: i, output: name), output: k)
        }
    }
}
