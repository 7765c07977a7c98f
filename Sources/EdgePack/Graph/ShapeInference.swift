import EdgeFormat

/// Output dtypes and shapes of every op, and the checks that the inputs fit it. The same
/// rules the runtime's prepare enforces, applied while the graph is built so that a model
/// that does not fit fails at pack time naming the source node.
public enum ShapeInference {
    public struct TensorType: Equatable {
        public var dtype: DType
        public var shape: [Int]
    }

    public static func outputs(of node: Node, in graph: Graph) throws(EdgeError) -> [TensorType] {
        let types = try opOutputs(of: node, in: graph)
        // Empty tensors (a dimension of size 0, FORMAT.md): an op with only empty outputs
        // computes nothing; an empty input cannot produce a non-empty output.
        if types.contains(where: { $0.shape.reduce(1, *) != 0 }) {
            for case let id? in node.inputs where graph[id].shape.reduce(1, *) == 0 {
                throw EdgeError(.unsupported, object: node.label,
                                problem: "input '\(graph[id].name)' of shape \(shapeText(graph[id].shape)) is empty but the output is not; empty tensors are supported only where the output is empty too",
                                fix: "change the model, or report it")
            }
        }
        return types
    }

    private static func opOutputs(of node: Node, in graph: Graph) throws(EdgeError) -> [TensorType] {
        func fail(_ problem: String) -> EdgeError {
            EdgeError(.unsupported, object: node.label, problem: problem,
                      fix: "change the model so the layer fits, or report the model if it is valid ONNX")
        }
        func input(_ i: Int) throws(EdgeError) -> Value {
            guard let id = node.input(i) else { throw fail("input \(i) is missing") }
            return graph[id]
        }
        let x = try input(0)
        let inputType = TensorType(dtype: x.dtype, shape: x.shape)

        switch node.op {
        case .conv2D(let a), .depthwiseConv2D(let a, _):
            let w = try input(1)
            guard x.rank == 4, w.rank == 4 else { throw fail("input \(shapeText(x.shape)) and weights \(shapeText(w.shape)) must both be 4-D") }
            let depthwise: Bool
            if case .depthwiseConv2D = node.op { depthwise = true } else { depthwise = false }
            let (hAxis, wAxis) = a.layout.spatialAxes
            let inC = x.shape[a.layout.channelAxis]
            let outC: Int, kH: Int, kW: Int
            switch (a.layout, depthwise) {
            case (.nchw, false): (outC, kH, kW) = (w.shape[0], w.shape[2], w.shape[3])
                if w.shape[1] != inC { throw fail("weights \(shapeText(w.shape)) expect \(w.shape[1]) input channels, input has \(inC)") }
            case (.nhwc, false): (outC, kH, kW) = (w.shape[0], w.shape[1], w.shape[2])
                if w.shape[3] != inC { throw fail("weights \(shapeText(w.shape)) expect \(w.shape[3]) input channels, input has \(inC)") }
            case (.nchw, true): (outC, kH, kW) = (w.shape[0], w.shape[2], w.shape[3])
                if w.shape[1] != 1 { throw fail("depthwise weights \(shapeText(w.shape)) must have 1 input channel per group") }
            case (.nhwc, true): (outC, kH, kW) = (w.shape[3], w.shape[1], w.shape[2])
                if w.shape[0] != 1 { throw fail("depthwise weights \(shapeText(w.shape)) must start with 1") }
            }
            if case .depthwiseConv2D(_, let m) = node.op, outC != inC * m {
                throw fail("depthwise weights give \(outC) channels, expected \(inC) x multiplier \(m)")
            }
            if let b = node.input(2), graph[b].elementCount != outC {
                throw fail("bias has \(graph[b].elementCount) elements for \(outC) output channels")
            }
            let outH = try windowOutput(x.shape[hAxis], kH, a.strideH, a.dilationH, a.padding.top, a.padding.bottom, fail)
            let outW = try windowOutput(x.shape[wAxis], kW, a.strideW, a.dilationW, a.padding.left, a.padding.right, fail)
            let shape = a.layout == .nchw ? [x.shape[0], outC, outH, outW] : [x.shape[0], outH, outW, outC]
            return [TensorType(dtype: x.dtype, shape: shape)]

        case .fullyConnected:
            let w = try input(1)
            guard w.rank == 2 else { throw fail("weights \(shapeText(w.shape)) must be [out, in]") }
            guard x.rank == 2, x.shape[1] == w.shape[1] else {
                throw fail("input \(shapeText(x.shape)) must be [batch, \(w.shape[1])] for weights \(shapeText(w.shape))")
            }
            if let b = node.input(2), graph[b].elementCount != w.shape[0] {
                throw fail("bias has \(graph[b].elementCount) elements for \(w.shape[0]) outputs")
            }
            return [TensorType(dtype: x.dtype, shape: [x.shape[0], w.shape[0]])]

        case .add, .mul, .div, .sub:
            let b = try input(1)
            guard b.dtype == x.dtype else { throw fail("inputs are \(x.dtype.name) and \(b.dtype.name); both must have one dtype") }
            guard let shape = broadcast(x.shape, b.shape), shape.count <= 4 else {
                throw fail("shapes \(shapeText(x.shape)) and \(shapeText(b.shape)) do not broadcast within rank 4")
            }
            return [TensorType(dtype: x.dtype, shape: shape)]

        case .averagePool2D(let a), .maxPool2D(let a):
            guard x.rank == 4 else { throw fail("input \(shapeText(x.shape)) must be 4-D") }
            let (hAxis, wAxis) = a.layout.spatialAxes
            let outH = try windowOutput(x.shape[hAxis], a.filterH, a.strideH, 1, a.padding.top, a.padding.bottom, fail)
            let outW = try windowOutput(x.shape[wAxis], a.filterW, a.strideW, 1, a.padding.left, a.padding.right, fail)
            var shape = x.shape
            shape[hAxis] = outH
            shape[wAxis] = outW
            return [TensorType(dtype: x.dtype, shape: shape)]

        case .mean(let axes, let keepDims):
            if axes.isEmpty || axes.contains(where: { $0 < 0 || $0 >= x.rank }) || axes != axes.sorted() || Set(axes).count != axes.count {
                throw fail("axes \(axes) are not distinct sorted axes of \(shapeText(x.shape))")
            }
            var shape: [Int] = []
            for (i, d) in x.shape.enumerated() {
                if !axes.contains(i) { shape.append(d) } else if keepDims { shape.append(1) }
            }
            return [TensorType(dtype: x.dtype, shape: shape)]

        case .reshape(let shape):
            if shape.reduce(1, *) != x.elementCount || shape.contains(where: { $0 < 0 }) {
                throw fail("cannot reshape \(shapeText(x.shape)) into \(shapeText(shape))")
            }
            return [TensorType(dtype: x.dtype, shape: shape)]

        case .concatenation(let axis):
            guard axis >= 0 && axis < x.rank else { throw fail("axis \(axis) is outside rank \(x.rank)") }
            var reference = x.shape
            reference[axis] = 0
            var shape = reference
            for i in node.inputs.indices {
                let t = try input(i)
                var other = t.shape
                if other.count == x.rank { other[axis] = 0 }
                if other != reference || t.dtype != x.dtype {
                    throw fail("input \(i) \(t.dtype.name) \(shapeText(t.shape)) does not match input 0 \(shapeText(x.shape)) off axis \(axis)")
                }
                shape[axis] += t.shape[axis]
            }
            return [TensorType(dtype: x.dtype, shape: shape)]

        case .pad(let before, let after, _):
            guard before.count == x.rank, after.count == x.rank, !(before + after).contains(where: { $0 < 0 }) else {
                throw fail("pads \(before) / \(after) do not fit rank \(x.rank) (negative pads are not supported)")
            }
            return [TensorType(dtype: x.dtype, shape: (0..<x.rank).map { x.shape[$0] + before[$0] + after[$0] })]

        case .clamp, .hardSwish, .logistic, .tanh, .softmax:
            return [inputType]

        case .maxPoolIndices(let a, _):
            guard x.rank == 4 else { throw fail("input \(shapeText(x.shape)) must be 4-D NCHW") }
            let outH = try windowOutput(x.shape[2], a.filterH, a.strideH, 1, a.padding.top, a.padding.bottom, fail)
            let outW = try windowOutput(x.shape[3], a.filterW, a.strideW, 1, a.padding.left, a.padding.right, fail)
            return [TensorType(dtype: .int64, shape: [x.shape[0], x.shape[1], outH, outW])]

        case .sqrt:
            guard x.dtype == .float32 else { throw fail("input is \(x.dtype.name), expected float32") }
            return [inputType]

        case .quantize:
            guard x.dtype == .float32 || x.dtype == .int8 else { throw fail("input is \(x.dtype.name), expected float32 or int8") }
            return [TensorType(dtype: .int8, shape: x.shape)]

        case .dequantize:
            guard x.dtype == .int8 else { throw fail("input is \(x.dtype.name), expected int8") }
            return [TensorType(dtype: .float32, shape: x.shape)]

        case .quantizeLinear, .dequantizeLinear:
            let scale = try input(1), zeroPoint = try input(2)
            var isQuantize = true
            if case .dequantizeLinear = node.op { isQuantize = false }
            guard (x.dtype == .float32 || x.dtype == .float16) == isQuantize, scale.dtype == .float32, zeroPoint.dtype == .float32,
                  scale.shape == zeroPoint.shape, broadcast(x.shape, scale.shape) == x.shape, x.rank <= 4 else {
                throw fail("takes \(x.dtype.name) \(shapeText(x.shape)) with scale \(shapeText(scale.shape)) and zero point \(shapeText(zeroPoint.shape)): expected \(isQuantize ? "float32 or float16" : "integer or float8") x of rank <= 4, float32 scale and zero point of one shape broadcasting to x")
            }
            if case .quantizeLinear(let to, _) = node.op {
                guard to != .float32 && to != .float16 else { throw fail("quantizes to \(to.name)") }
                return [TensorType(dtype: to, shape: x.shape)]
            }
            if case .dequantizeLinear(let to) = node.op {
                guard to == .float32 || to == .float16 else { throw fail("dequantizes to \(to.name)") }
                return [TensorType(dtype: to, shape: x.shape)]
            }
            return [TensorType(dtype: .float32, shape: x.shape)]

        case .transpose(let perm):
            guard perm.count == x.rank, perm.sorted() == Array(0..<x.rank) else {
                throw fail("perm \(perm) is not a permutation of \(x.rank) axes")
            }
            return [TensorType(dtype: x.dtype, shape: perm.map { x.shape[$0] })]

        case .gather(let axis, let indices):
            guard axis >= 0 && axis < x.rank, indices.allSatisfy({ $0 >= 0 && $0 < x.shape[axis] }) else {
                throw fail("gather of \(indices.count) indices along axis \(axis) does not fit \(shapeText(x.shape))")
            }
            var shape = x.shape
            shape[axis] = indices.count
            return [TensorType(dtype: x.dtype, shape: shape)]

        case .batchNormalization(_, let layout):
            guard x.rank >= 2 else { throw fail("input \(shapeText(x.shape)) needs a channel axis") }
            let channels = x.shape[layout == .nchw ? 1 : x.rank - 1]
            for i in 1...4 {
                let count = try input(i).elementCount
                if count != channels { throw fail("parameter input \(i) has \(count) elements for \(channels) channels") }
            }
            return [inputType]
        }
    }

    /// Output size of a sliding window with explicit padding (floor mode).
    static func windowOutput(_ size: Int, _ kernel: Int, _ stride: Int, _ dilation: Int, _ padBefore: Int, _ padAfter: Int,
                             _ fail: (String) -> EdgeError) throws(EdgeError) -> Int {
        let effective = (kernel - 1) * dilation + 1
        let span = size + padBefore + padAfter - effective
        if kernel < 1 || stride < 1 || dilation < 1 || padBefore < 0 || padAfter < 0 || span < 0 {
            throw fail("window \(kernel) (stride \(stride), dilation \(dilation), pads \(padBefore)+\(padAfter)) does not fit size \(size)")
        }
        return span / stride + 1
    }

    /// Numpy broadcasting of two shapes, or nil.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for i in 0..<rank {
            if pa[i] == pb[i] || pb[i] == 1 { out.append(pa[i]) } else if pa[i] == 1 { out.append(pb[i]) } else { return nil }
        }
        return out
    }
}
