import EdgeFormat

/// The op dispatch of the ONNX importer and the elementwise and linear ops.
extension ONNXContext {
    mutating func convert(_ node: Onnx_NodeProto, index i: Int) throws(EdgeError) {
        if !node.domain.isEmpty && node.domain != "ai.onnx" {
            throw unsupported(node, "op domain '\(node.domain)' is not supported (only the default ONNX domain)",
                              fix: "export the model without custom or contrib ops")
        }
        let attributes = ONNXAttributes(node, object: nodeObject(node))
        switch node.opType {
        case "Conv": try convertConv(node, attributes, i)
        case "MaxPool", "AveragePool": try convertPool(node, attributes, i)
        case "GlobalAveragePool", "GlobalMaxPool": try convertGlobalPool(node, i)
        case "BatchNormalization": try convertBatchNorm(node, attributes, i)
        case "Gemm": try convertGemm(node, attributes, i)
        case "MatMul": try convertMatMul(node, i)
        case "Relu": define(node, try emit(.clamp(.relu), [try input(node, 0)], node, index: i))
        case "Clip": try convertClip(node, attributes, i)
        case "HardSwish": define(node, try emit(.hardSwish, [try input(node, 0)], node, index: i))
        case "Sigmoid": define(node, try emit(.logistic, [try input(node, 0)], node, index: i))
        case "Tanh": define(node, try emit(.tanh, [try input(node, 0)], node, index: i))
        case "LeakyRelu", "PRelu": try convertLeakyRelu(node, attributes, i)
        case "HardSigmoid": try convertHardSigmoid(node, attributes, i)
        case "Add", "Mul", "Sub", "Div": try convertBinary(node, i)
        case "Softmax": try convertSoftmax(node, attributes, i)
        case "ReduceMean": try convertReduceMean(node, attributes, i)
        case "Concat": try convertConcat(node, attributes, i)
        case "Reshape": try convertReshape(node, attributes, i)
        case "Flatten": try convertFlatten(node, attributes, i)
        case "Squeeze", "Unsqueeze": try convertSqueeze(node, attributes, i)
        case "Transpose": try convertTranspose(node, attributes, i)
        case "Pad": try convertPad(node, attributes, i)
        case "Identity":
            define(node, try input(node, 0))
        case "Dropout": try convertDropout(node, attributes)
        case "Constant": try convertConstant(node, attributes)
        case "Shape": try convertShape(node, attributes)
        case "Gather": try convertGather(node, attributes)
        case "Cast": try convertCast(node, attributes)
        case "Slice": try convertSlice(node, attributes, i)
        case "Resize": try convertResize(node, attributes, i)
        case "QuantizeLinear": try convertQuantizeLinear(node, attributes, i)
        case "DequantizeLinear": try convertDequantizeLinear(node, attributes, i)
        default:
            throw unsupported(node, "op type \(node.opType) is not supported",
                              fix: "edgepack supports Conv, Gemm, MatMul, BatchNormalization, Relu, Clip, HardSwish, HardSigmoid, Sigmoid, Tanh, LeakyRelu, PRelu, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Add, Sub, Mul, Div, Concat, Reshape, Flatten, Pad, Softmax, Transpose, ReduceMean, Resize (nearest, linear), Slice, Identity, Dropout, Constant, Shape, Gather, Cast, QuantizeLinear/DequantizeLinear (QDQ pairs); replace the op or report the model")
        }
        try attributes.checkAllRead(opType: node.opType)
    }

    // MARK: Elementwise

    mutating func convertClip(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        var lo = try attributes.float("min", default: -.infinity)
        var hi = try attributes.float("max", default: .infinity)
        if hasInput(node, 1) { lo = try scalar(node, 1, "min") }
        if hasInput(node, 2) { hi = try scalar(node, 2, "max") }
        if !(lo <= hi) { throw unsupported(node, "clip range [\(lo), \(hi)] is empty") }
        for k in [1, 2] where hasInput(node, k) {
            // Integer bounds travel as float32 params: they must survive the conversion.
            if let c = constant(node.input[k]), let v = c.ints?.first, Int64(exactly: Float(v)) != v {
                throw unsupported(node, "bound \(v) (input \(k)) is not exactly representable as float32", fix: "use a bound below 2^24 in magnitude")
            }
        }
        define(node, try emit(.clamp(Activation(min: lo, max: hi)), [try input(node, 0)], node, index: i))
    }

    func scalar(_ node: Onnx_NodeProto, _ i: Int, _ role: String) throws(EdgeError) -> Float {
        let c = try constantInput(node, i, role)
        guard c.count == 1 else { throw unsupported(node, "input \(i) (\(role)) has \(c.count) values, expected a scalar") }
        return c.asFloats[0]
    }

    mutating func convertBinary(_ node: Onnx_NodeProto, _ i: Int) throws(EdgeError) {
        guard node.input.count == 2 else { throw unsupported(node, "has \(node.input.count) inputs, expected 2") }
        let a = try input(node, 0)
        var b = try input(node, 1)
        if graph[a].dtype != .float32 || graph[b].dtype != .float32 {
            // Integer arithmetic with ONNX's integer semantics (wraparound, truncating Div).
            guard graph[a].dtype == graph[b].dtype, !graph[a].isConstant, !graph[b].isConstant else {
                throw unsupported(node, "inputs '\(node.input[0])' (\(graph[a].dtype.name)\(graph[a].isConstant ? ", constant" : "")) and '\(node.input[1])' (\(graph[b].dtype.name)\(graph[b].isConstant ? ", constant" : "")): integer \(node.opType) needs two run-time inputs of one integer type",
                                  fix: "feed both operands as inputs of the same integer type, or compute in float32")
            }
            let op: Op = node.opType == "Add" ? .add(.none) : node.opType == "Sub" ? .sub(.none) : node.opType == "Mul" ? .mul(.none) : .div(.none)
            define(node, try emit(op, [a, b], node, index: i))
            return
        }
        switch node.opType {
        case "Add": define(node, try emit(.add(.none), [a, b], node, index: i))
        case "Mul": define(node, try emit(.mul(.none), [a, b], node, index: i))
        case "Sub", "Div":
            // x - c = x + (-c), x / c = x * (1/c): only with a constant right-hand side.
            if graph[a].isConstant && graph[b].isConstant {
                let folded = ONNXContext.fold(node.opType, graph.floats(a)!, shape(a), graph.floats(b)!, shape(b))
                let id = graph.addConstant(node.output[0], shape: ShapeInference.broadcast(shape(a), shape(b)) ?? [], floats: folded)
                define(node, id)
                return
            }
            if node.opType == "Sub" && !graph[b].isConstant {
                try subtractRunTime(node, a, b, i)
                return
            }
            if node.opType == "Div" && !graph[b].isConstant {
                define(node, try emit(.div(.none), [a, b], node, index: i))
                return
            }
            guard let c = graph.floats(b) else {
                throw unsupported(node, "right-hand input '\(node.input[1])' is computed at run time; \(node.opType) needs a constant there",
                                  fix: "rewrite the model to multiply by a constant reciprocal")
            }
            let isSub = node.opType == "Sub"
            b = graph.addConstant("\(node.input[1])/\(isSub ? "negated" : "reciprocal")", shape: shape(b),
                                  floats: c.map { isSub ? -$0 : 1 / $0 })
            define(node, try emit(isSub ? .add(.none) : .mul(.none), [a, b], node, index: i))
        default: break
        }
    }

    static func fold(_ op: String, _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int]) -> [Float] {
        let out = ShapeInference.broadcast(aShape, bShape) ?? []
        return Reference.binary(a, aShape, b, bShape, out) { op == "Sub" ? $0 - $1 : $0 / $1 }
    }

    mutating func convertSoftmax(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        let s = shape(x)
        let rank = s.count
        var axis = try attributes.int("axis", default: opset >= 13 ? -1 : 1)
        if axis < 0 { axis += rank }
        guard axis >= 0 && axis < max(rank, 1) else { throw unsupported(node, "axis \(axis) is outside rank \(rank)") }
        if axis == rank - 1 {
            define(node, try emit(.softmax(beta: 1), [x], node, index: i))
        } else if opset < 13 {
            // Opsets 11-12 flatten [0, axis) and [axis, rank) and normalize each row.
            let rows = s[0..<axis].reduce(1, *), depth = s[axis...].reduce(1, *)
            let flat = try emit(.reshape(shape: [rows, depth]), [x], node, index: i, output: "\(node.output[0])/2d")
            let y = try emit(.softmax(beta: 1), [flat], node, index: i, output: "\(node.output[0])/softmax")
            define(node, try emit(.reshape(shape: s), [y], node, index: i))
        } else {
            // Move the axis last, normalize, move it back.
            var perm = Array(0..<rank)
            perm.remove(at: axis)
            perm.append(axis)
            let inverse = (0..<rank).map { perm.firstIndex(of: $0)! }
            let t = try emit(.transpose(perm: perm), [x], node, index: i, output: "\(node.output[0])/axis_last")
            let y = try emit(.softmax(beta: 1), [t], node, index: i, output: "\(node.output[0])/softmax")
            define(node, try emit(.transpose(perm: inverse), [y], node, index: i))
        }
    }

    // MARK: Linear

    mutating func convertGemm(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let alpha = try attributes.float("alpha", default: 1), beta = try attributes.float("beta", default: 1)
        let transA = try attributes.int("transA", default: 0), transB = try attributes.int("transB", default: 0)
        var a = try input(node, 0)
        guard shape(a).count == 2 else { throw unsupported(node, "input A has shape \(shapeText(shape(a))), Gemm needs 2-D") }
        if transA != 0 {
            a = try emit(.transpose(perm: [1, 0]), [a], node, index: i, output: "\(node.output[0])/A_transposed")
        }
        let b = try constantInput(node, 1, "B (weights)")
        guard b.dims.count == 2 else { throw unsupported(node, "B has shape \(shapeText(b.dims)), expected 2-D") }
        // Weights [out, in] = B (transB) or B^T, scaled by alpha.
        var w = transB != 0 ? b.asFloats : Reference.transpose(b.asFloats, b.dims, [1, 0])
        let outF = transB != 0 ? b.dims[0] : b.dims[1], inF = transB != 0 ? b.dims[1] : b.dims[0]
        if alpha != 1 { w = w.map { $0 * alpha } }
        guard inF == shape(a)[1] else {
            throw unsupported(node, "A \(shapeText(shape(a))) and B \(shapeText(b.dims)) (transB \(transB)) do not multiply")
        }
        var bias: ValueID? = nil
        if hasInput(node, 2) && beta != 0 {
            let c = try constantInput(node, 2, "C (bias)")
            let values: [Float]
            if c.count == outF && (c.dims.count <= 1 || c.dims.last == outF) {
                values = c.asFloats
            } else if c.count == 1 {
                values = [Float](repeating: c.asFloats[0], count: outF)
            } else {
                // A bias per row (or per element): FullyConnected without bias, then Add.
                let m = shape(a)[0]
                guard ShapeInference.broadcast([m, outF], c.dims) == [m, outF] else {
                    throw unsupported(node, "bias C of shape \(shapeText(c.dims)) does not broadcast to the output \(m)x\(outF)")
                }
                let weights = graph.addConstant(node.input[1], shape: [outF, inF], floats: w)
                let y = try emit(.fullyConnected(.none), [a, weights, nil], node, index: i, output: "\(node.output[0])/product")
                let matrix = graph.addConstant(node.input[2], shape: c.dims, floats: c.asFloats.map { $0 * beta })
                define(node, try emit(.add(.none), [y, matrix], node, index: i))
                return
            }
            bias = graph.addConstant(node.input[2], shape: [outF], floats: values.map { $0 * beta })
        }
        let weights = graph.addConstant(node.input[1], shape: [outF, inF], floats: w)
        define(node, try emit(.fullyConnected(.none), [a, weights, bias], node, index: i))
    }

    mutating func convertMatMul(_ node: Onnx_NodeProto, _ i: Int) throws(EdgeError) {
        let a = try input(node, 0)
        let b = try constantInput(node, 1, "B (weights)")
        let s = shape(a)
        if b.dims.count > 2 && s.count == b.dims.count && Array(s.dropLast(2)) == Array(b.dims.dropLast(2)) {
            try batchedMatMul(node, a, b, i)
            return
        }
        guard b.dims.count == 2 else {
            throw unsupported(node, "B has shape \(shapeText(b.dims)); only a constant 2-D right-hand side, or one matrix per batch of A, is supported")
        }
        let inF = b.dims[0], outF = b.dims[1]
        guard let last = s.last, last == inF else {
            throw unsupported(node, "A \(shapeText(s)) and B \(shapeText(b.dims)) do not multiply")
        }
        let weights = graph.addConstant(node.input[1], shape: [outF, inF], floats: Reference.transpose(b.asFloats, b.dims, [1, 0]))
        if s.count == 2 {
            define(node, try emit(.fullyConnected(.none), [a, weights, nil], node, index: i))
            return
        }
        let rows = s.dropLast().reduce(1, *)
        let flat = try emit(.reshape(shape: [rows, inF]), [a], node, index: i, output: "\(node.output[0])/2d")
        let y = try emit(.fullyConnected(.none), [flat, weights, nil], node, index: i, output: "\(node.output[0])/fc")
        define(node, try emit(.reshape(shape: Array(s.dropLast()) + [outF]), [y], node, index: i))
    }

    /// A [batch..., M, K] x B [batch..., K, N] with constant B: per batch entry, a Gather of
    /// A's rows, a FullyConnected with that entry's matrix, then a Concatenation.
    mutating func batchedMatMul(_ node: Onnx_NodeProto, _ a: ValueID, _ b: ONNXConstant, _ i: Int) throws(EdgeError) {
        let s = shape(a), rank = s.count
        let m = s[rank - 2], k = s[rank - 1], n = b.dims[rank - 1]
        guard b.dims[rank - 2] == k else { throw unsupported(node, "A \(shapeText(s)) and B \(shapeText(b.dims)) do not multiply") }
        let batch = s.dropLast(2).reduce(1, *)
        let out = node.output[0]
        let flat = try emit(.reshape(shape: [batch, m, k]), [a], node, index: i, output: "\(out)/batched")
        let weights = b.asFloats
        var parts: [ValueID?] = []
        for e in 0..<batch {
            let rows = try emit(.gather(axis: 0, indices: [e]), [flat], node, index: i, output: "\(out)/batch\(e)")
            let x = try emit(.reshape(shape: [m, k]), [rows], node, index: i, output: "\(out)/batch\(e)_2d")
            let matrix = Array(weights[(e * k * n)..<((e + 1) * k * n)])
            let w = graph.addConstant("\(node.input[1])/\(e)", shape: [n, k], floats: Reference.transpose(matrix, [k, n], [1, 0]))
            let y = try emit(.fullyConnected(.none), [x, w, nil], node, index: i, output: "\(out)/batch\(e)_product")
            parts.append(try emit(.reshape(shape: [1, m, n]), [y], node, index: i, output: "\(out)/batch\(e)_3d"))
        }
        let joined = batch == 1 ? parts[0]! : try emit(.concatenation(axis: 0), parts, node, index: i, output: "\(out)/joined")
        define(node, try emit(.reshape(shape: Array(s.dropLast(2)) + [m, n]), [joined], node, index: i))
    }

    // MARK: Inference no-ops and constants

    mutating func convertDropout(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws(EdgeError) {
        attributes.ignore("seed", "ratio")
        if hasInput(node, 2) {
            let training = try constantInput(node, 2, "training_mode")
            // Training-mode dropout with ratio 0 keeps every element: the identity.
            let ratio = hasInput(node, 1) ? try constantInput(node, 1, "ratio").asFloats.first ?? 0.5 : 0.5
            if training.asFloats.contains(where: { $0 != 0 }) && ratio != 0 {
                throw unsupported(node, "training_mode is true with ratio \(ratio) (random output)", fix: "export the model in eval mode (model.eval())")
            }
        }
        try requireUnusedOutputs(node, from: 2)
        let x = try input(node, 0)
        if node.output.count > 1 && !node.output[1].isEmpty {
            // The mask keeps every element (inference, or ratio 0): a constant all-true tensor,
            // copied into the arena so it can be a graph output.
            let ones = graph.addConstant(node.output[1] + "/all_true", shape: shape(x), data: .bool([Bool](repeating: true, count: graph[x].elementCount)))
            do {
                define(node, try graph.append1(.reshape(shape: shape(x)), [ones], name: nodeName(node, 0), outputName: node.output[1]), output: 1)
            } catch {
                throw EdgeError(error.kind, object: nodeObject(node), problem: error.problem, fix: error.fix)
            }
        }
        define(node, x)
    }

    mutating func convertConstant(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws(EdgeError) {
        if let t = try attributes.tensor("value") {
            define(node, constant: try ONNXConstant(t, object: nodeObject(node)))
        } else if let f = try attributes.float("value_float") {
            define(node, constant: ONNXConstant(dims: [], floats: [f]))
        } else if let f = try attributes.floats("value_floats") {
            define(node, constant: ONNXConstant(dims: [f.count], floats: f))
        } else if let v = try attributes.int("value_int") {
            define(node, constant: ONNXConstant(dims: [], ints: [Int64(v)]))
        } else if let v = try attributes.ints("value_ints") {
            define(node, constant: ONNXConstant(dims: [v.count], ints: v.map { Int64($0) }))
        } else {
            throw unsupported(node, "has no supported value attribute (value, value_float(s), value_int(s))")
        }
    }

    mutating func convertCast(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws(EdgeError) {
        let to = try attributes.int("to", default: 0)
        attributes.ignore("saturate", "round_mode")
        let isFloat = to == Onnx_TensorProto.DataType.float.rawValue || to == Onnx_TensorProto.DataType.double.rawValue
        if let c = constant(node.input[0]) {
            define(node, constant: isFloat ? ONNXConstant(dims: c.dims, floats: c.asFloats)
                                           : ONNXConstant(dims: c.dims, ints: c.ints ?? c.asFloats.map { Int64($0) }))
        } else if isFloat, graph[try input(node, 0)].dtype == .float32 {
            define(node, try input(node, 0))
        } else {
            throw unsupported(node, "casts a run-time tensor to data type \(to); only float32 activations are supported")
        }
    }
}
