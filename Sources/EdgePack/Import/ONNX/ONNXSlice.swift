import EdgeFormat

/// Slice with constant starts/ends/axes/steps: one Gather per sliced axis, or a folded
/// constant when the data is known (shape arithmetic such as Shape -> Slice -> Concat).
extension ONNXContext {
    mutating func convertSlice(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let starts = try constantInput(node, 1, "starts").asInts
        let ends = try constantInput(node, 2, "ends").asInts
        let known = constant(node.input[0])
        let dims: [Int]
        if let known { dims = known.dims } else { dims = shape(try input(node, 0)) }
        let rank = dims.count
        var axes = hasInput(node, 3) ? try constantInput(node, 3, "axes").asInts : Array(0..<starts.count)
        let steps = hasInput(node, 4) ? try constantInput(node, 4, "steps").asInts : [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw unsupported(node, "starts \(starts), ends \(ends), axes \(axes) and steps \(steps) differ in length")
        }
        axes = axes.map { $0 < 0 ? $0 + rank : $0 }
        guard axes.allSatisfy({ $0 >= 0 && $0 < rank }), Set(axes).count == axes.count else {
            throw unsupported(node, "axes \(axes) are not distinct axes of shape \(shapeText(dims))")
        }
        var picks: [(axis: Int, indices: [Int])] = []
        for k in axes.indices {
            let indices = try ONNXContext.sliceIndices(dims[axes[k]], starts[k], ends[k], steps[k], node, self)
            if indices != Array(0..<dims[axes[k]]) { picks.append((axes[k], indices)) }
        }
        if let known {
            var c = known
            for p in picks { c = ONNXContext.gather(c, axis: p.axis, p.indices) }
            define(node, constant: c)
            return
        }
        var v = try input(node, 0)
        if picks.isEmpty {
            define(node, v)
            return
        }
        for (k, p) in picks.enumerated() {
            let last = k == picks.count - 1
            v = try emit(.gather(axis: p.axis, indices: p.indices), [v], node, index: i,
                         output: last ? nil : "\(node.output[0])/axis\(p.axis)")
        }
        define(node, v)
    }

    /// The entries ONNX Slice picks from an axis of size `n` (negative starts/ends count from
    /// the end; out-of-range values clamp; a negative step walks backwards).
    static func sliceIndices(_ n: Int, _ start: Int, _ end: Int, _ step: Int, _ node: Onnx_NodeProto,
                             _ context: ONNXContext) throws(EdgeError) -> [Int] {
        guard step != 0 else { throw context.unsupported(node, "a step of 0 is invalid") }
        var s = start < 0 ? start + n : start, e = end < 0 ? end + n : end
        if step > 0 {
            s = min(max(s, 0), n)
            e = min(max(e, 0), n)
        } else {
            s = min(max(s, 0), n - 1)
            e = min(max(e, -1), n - 1)
        }
        var indices: [Int] = []
        var k = s
        while step > 0 ? k < e : k > e {
            indices.append(k)
            k += step
        }
        return indices
    }

    /// `c` with entries `indices` of `axis`.
    static func gather(_ c: ONNXConstant, axis: Int, _ indices: [Int]) -> ONNXConstant {
        let outer = c.dims[0..<axis].reduce(1, *), inner = c.dims[(axis + 1)...].reduce(1, *), n = c.dims[axis]
        var order: [Int] = []
        for o in 0..<outer { for k in indices { for j in 0..<inner { order.append((o * n + k) * inner + j) } } }
        var dims = c.dims
        dims[axis] = indices.count
        if let ints = c.ints { return ONNXConstant(dims: dims, ints: order.map { ints[$0] }) }
        let floats = c.asFloats
        return ONNXConstant(dims: dims, floats: order.map { floats[$0] })
    }
}
