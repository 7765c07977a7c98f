import EdgeFormat

/// Data-movement ops, and the shape arithmetic (Shape, Gather, Unsqueeze, Concat on int64)
/// that exporters emit around Reshape, folded to constants at import.
extension ONNXContext {
    mutating func convertConcat(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        var axis = try attributes.int("axis") ?? 0
        let parts = node.input.filter { !$0.isEmpty }
        // Integer shape arithmetic stays out of the graph.
        let constants = parts.compactMap { constant($0) }
        if constants.count == parts.count, constants.contains(where: { $0.ints != nil }) {
            let rank = constants[0].dims.count
            if axis < 0 { axis += rank }
            guard rank == 1 && axis == 0 else { throw unsupported(node, "concatenates integer constants of rank \(rank)") }
            let ints = constants.flatMap { $0.ints ?? $0.asFloats.map { Int64($0) } }
            define(node, constant: ONNXConstant(dims: [ints.count], ints: ints))
            return
        }
        var inputs: [ValueID?] = []
        for k in node.input.indices where !node.input[k].isEmpty { inputs.append(try input(node, k)) }
        let rank = shape(inputs[0]!).count
        if axis < 0 { axis += rank }
        define(node, try emit(.concatenation(axis: axis), inputs, node, index: i))
    }

    mutating func convertReshape(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let allowZero = try attributes.int("allowzero", default: 0) != 0
        let target = try constantInput(node, 1, "shape").asInts
        let x = try input(node, 0)
        let s = shape(x)
        var out: [Int] = []
        var inferred: Int? = nil
        for (k, d) in target.enumerated() {
            if d == 0 && !allowZero {
                guard k < s.count else { throw unsupported(node, "shape \(target) copies dim \(k), but the input has rank \(s.count)") }
                out.append(s[k])
            } else if d == -1 {
                if inferred != nil { throw unsupported(node, "shape \(target) has more than one -1") }
                inferred = k
                out.append(1)
            } else if d < 0 {
                throw unsupported(node, "shape \(target) has invalid dim \(d)")
            } else {
                out.append(d)
            }
        }
        let known = out.reduce(1, *)
        if let k = inferred {
            guard known > 0, s.reduce(1, *) % known == 0 else {
                throw unsupported(node, "cannot reshape \(shapeText(s)) into \(target)")
            }
            out[k] = s.reduce(1, *) / known
        }
        define(node, try reshape(x, to: out, node, i))
    }

    mutating func convertFlatten(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        let s = shape(x)
        var axis = try attributes.int("axis", default: 1)
        if axis < 0 { axis += s.count }
        guard axis >= 0 && axis <= s.count else { throw unsupported(node, "attribute axis = \(axis) is outside rank \(s.count)") }
        define(node, try reshape(x, to: [s[0..<axis].reduce(1, *), s[axis...].reduce(1, *)], node, i))
    }

    mutating func convertSqueeze(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        var axes = try attributes.ints("axes")
        if hasInput(node, 1) { axes = try constantInput(node, 1, "axes").asInts }
        let squeeze = node.opType == "Squeeze"
        let c = constant(node.input[0])
        var s: [Int]
        if let c { s = c.dims } else { s = shape(try input(node, 0)) }
        var out = s
        if squeeze {
            let rank = s.count
            let list = (axes ?? s.indices.filter { s[$0] == 1 }).map { $0 < 0 ? $0 + rank : $0 }
            for a in list where a < 0 || a >= rank || s[a] != 1 {
                throw unsupported(node, "cannot squeeze axis \(a) of shape \(shapeText(s))")
            }
            out = s.indices.filter { !list.contains($0) }.map { s[$0] }
        } else {
            guard let axes else { throw unsupported(node, "has no axes") }
            let rank = s.count + axes.count
            for a in axes.map({ $0 < 0 ? $0 + rank : $0 }).sorted() {
                guard a >= 0 && a <= out.count else { throw unsupported(node, "axis \(a) is outside rank \(rank)") }
                out.insert(1, at: a)
            }
        }
        if let c, c.ints != nil {
            define(node, constant: ONNXConstant(dims: out, ints: c.ints!))
            return
        }
        define(node, try reshape(try input(node, 0), to: out, node, i))
    }

    /// A Reshape node (or nothing, when the shape does not change).
    mutating func reshape(_ x: ValueID, to target: [Int], _ node: Onnx_NodeProto, _ i: Int) throws(EdgeError) -> ValueID {
        if shape(x) == target && !graph.inputs.contains(x) { return x }
        return try emit(.reshape(shape: target), [x], node, index: i)
    }

    mutating func convertTranspose(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        let rank = shape(x).count
        let perm = try attributes.ints("perm") ?? Array((0..<rank).reversed())
        guard perm.sorted() == Array(0..<rank) else { throw unsupported(node, "attribute perm = \(perm) is not a permutation of \(rank) axes") }
        define(node, try emit(.transpose(perm: perm), [x], node, index: i))
    }

    mutating func convertPad(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let mode = try attributes.string("mode", default: "constant")
        guard ["constant", "edge", "reflect", "wrap"].contains(mode) else {
            throw unsupported(node, "attribute mode = '\(mode)'; constant, edge, reflect and wrap padding are supported")
        }
        let x = try input(node, 0)
        let rank = shape(x).count
        var pads = try attributes.ints("pads") ?? []
        var value = try attributes.float("value", default: 0)
        if hasInput(node, 1) { pads = try constantInput(node, 1, "pads").asInts }
        if hasInput(node, 2) {
            let c = try constantInput(node, 2, "constant_value")
            value = c.asFloats.first ?? 0
            // Integer pad values travel as a float32 param: they must survive the conversion.
            if let v = c.ints?.first, Int64(exactly: Float(v)) != v {
                throw unsupported(node, "constant_value \(v) is not exactly representable as float32", fix: "use a pad value below 2^24 in magnitude")
            }
        }
        var axes = Array(0..<rank)
        if hasInput(node, 3) { axes = try constantInput(node, 3, "axes").asInts.map { $0 < 0 ? $0 + rank : $0 } }
        guard pads.count == 2 * axes.count else {
            throw unsupported(node, "pads \(pads) do not list begin and end for \(axes.count) axes")
        }
        var before = [Int](repeating: 0, count: rank), after = before
        for (k, a) in axes.enumerated() {
            guard a >= 0 && a < rank else { throw unsupported(node, "axis \(a) is outside rank \(rank)") }
            before[a] = pads[k]
            after[a] = pads[k + axes.count]
        }
        if (before + after).contains(where: { $0 < 0 }) {
            throw unsupported(node, "pads \(pads) are negative (cropping is not supported)")
        }
        if mode != "constant" {
            define(node, try padByGathers(node, x, before: before, after: after, mode: mode, i))
            return
        }
        define(node, try emit(.pad(before: before, after: after, value: value), [x], node, index: i))
    }

    mutating func convertShape(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws(EdgeError) {
        var s: [Int]
        if let c = constant(node.input[0]) { s = c.dims } else { s = shape(try input(node, 0)) }
        let rank = s.count
        var start = try attributes.int("start", default: 0), end = try attributes.int("end", default: rank)
        if start < 0 { start += rank }
        if end < 0 { end += rank }
        start = min(max(start, 0), rank)
        end = min(max(end, start), rank)
        let dims = s[start..<end].map { Int64($0) }
        define(node, constant: ONNXConstant(dims: [dims.count], ints: dims))
    }

    mutating func convertGather(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws(EdgeError) {
        let data = try constantInput(node, 0, "data")
        let indices = try constantInput(node, 1, "indices")
        var axis = try attributes.int("axis", default: 0)
        let rank = data.dims.count
        if axis < 0 { axis += rank }
        guard axis >= 0 && axis < rank else { throw unsupported(node, "axis \(axis) is outside rank \(rank)") }
        let outer = data.dims[0..<axis].reduce(1, *), inner = data.dims[(axis + 1)...].reduce(1, *), n = data.dims[axis]
        var picks: [Int] = []
        for idx in indices.asInts {
            let k = idx < 0 ? idx + n : idx
            guard k >= 0 && k < n else { throw unsupported(node, "index \(idx) is outside 0..<\(n)") }
            picks.append(k)
        }
        var order: [Int] = []
        for o in 0..<outer { for k in picks { for j in 0..<inner { order.append((o * n + k) * inner + j) } } }
        let dims = Array(data.dims[0..<axis]) + indices.dims + Array(data.dims[(axis + 1)...])
        if let ints = data.ints {
            define(node, constant: ONNXConstant(dims: dims, ints: order.map { ints[$0] }))
        } else {
            let floats = data.asFloats
            define(node, constant: ONNXConstant(dims: dims, floats: order.map { floats[$0] }))
        }
    }
}
