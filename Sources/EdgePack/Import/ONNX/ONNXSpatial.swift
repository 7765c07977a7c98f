import EdgeFormat

/// Convolutions, pooling, batch norm and spatial means (NCHW, as ONNX defines them).
extension ONNXContext {
    mutating func convertConv(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        let s = shape(x)
        guard s.count == 4 else {
            throw unsupported(node, "input has shape \(shapeText(s)); only 2-D convolutions (4-D NCHW input) are supported")
        }
        let w = try constantInput(node, 1, "W (weights)")
        guard w.dims.count == 4 else { throw unsupported(node, "weights have shape \(shapeText(w.dims)), expected [O, I/group, kH, kW]") }
        let (outC, kH, kW) = (w.dims[0], w.dims[2], w.dims[3])
        if let k = try attributes.ints("kernel_shape"), k != [kH, kW] {
            throw unsupported(node, "attribute kernel_shape = \(k) differs from the weights' \(kH)x\(kW)")
        }
        let strides = try pair(node, attributes, "strides")
        let dilations = try pair(node, attributes, "dilations")
        let padding = try resolvePadding(node, attributes, size: (s[2], s[3]), kernel: (kH, kW), strides: strides, dilations: dilations)
        let group = try attributes.int("group", default: 1)
        let inC = s[1]
        let conv = ConvAttributes(strideH: strides.0, strideW: strides.1, dilationH: dilations.0, dilationW: dilations.1,
                                  padding: padding, layout: .nchw)
        let op: Op
        if group == 1 {
            op = .conv2D(conv)
        } else if group == inC && w.dims[1] == 1 && outC % inC == 0 {
            op = .depthwiseConv2D(conv, depthMultiplier: outC / inC)
        } else {
            throw unsupported(node, "attribute group = \(group) with \(inC) input channels: only group 1 and depthwise (group = channels) are supported",
                              fix: "split the grouped convolution into per-group Convs and a Concat")
        }
        let weights = try input(node, 1)
        let bias = hasInput(node, 2) ? try input(node, 2) : nil
        if let bias, !graph[bias].isConstant { throw unsupported(node, "bias '\(node.input[2])' is computed at run time; it must be constant") }
        define(node, try emit(op, [x, weights, bias], node, index: i))
    }

    mutating func convertPool(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        var x = try input(node, 0)
        let s = shape(x)
        if s.count == 3 {
            // 1-D pooling as 2-D pooling over [N, C, 1, L].
            let lifted = try lift1D(attributes, node)
            x = try emit(.reshape(shape: [s[0], s[1], 1, s[2]]), [x], node, index: i, output: "\(node.output[0])/as_2d")
            let y = try pool2D(node, lifted, x, i, output: "\(node.output[0])/pooled_2d")
            attributes.adoptReads(of: lifted)
            try lifted.checkAllRead(opType: node.opType)
            define(node, try emit(.reshape(shape: [s[0], s[1], shape(y)[3]]), [y], node, index: i))
            return
        }
        if s.count == 5 {
            define(node, try pool3D(node, attributes, x, i))
            return
        }
        guard s.count == 4 else {
            throw unsupported(node, "input has shape \(shapeText(s)); only 1-D, 2-D and 3-D pooling (3-D, 4-D or 5-D NCHW input) are supported")
        }
        define(node, try pool2D(node, attributes, x, i, output: nil))
    }

    /// A 2-D MaxPool or AveragePool of the NCHW value `x`.
    mutating func pool2D(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ x: ValueID, _ i: Int,
                         output: String?) throws(EdgeError) -> ValueID {
        let s = shape(x)
        guard let kernel = try attributes.ints("kernel_shape"), kernel.count == 2 else {
            throw unsupported(node, "attribute kernel_shape must list 2 sizes")
        }
        let strides = try pair(node, attributes, "strides")
        let dilations = try pair(node, attributes, "dilations")
        let ceilMode = try attributes.int("ceil_mode", default: 0) != 0
        let effective = ((kernel[0] - 1) * dilations.0 + 1, (kernel[1] - 1) * dilations.1 + 1)
        var padding = try resolvePadding(node, attributes, size: (s[2], s[3]), kernel: effective,
                                         strides: strides, dilations: (1, 1))
        var ceilPadding = Padding2D.zero
        if ceilMode {
            ceilPadding.bottom = ceilExtra(s[2], effective.0, strides.0, padding.top, padding.bottom)
            ceilPadding.right = ceilExtra(s[3], effective.1, strides.1, padding.left, padding.right)
        }
        if dilations != (1, 1) {
            var countPad = false
            if node.opType == "MaxPool" {
                if try attributes.int("storage_order", default: 0) != 0 { throw unsupported(node, "attribute storage_order = 1 is not supported") }
                try requireUnusedOutputs(node, from: 1)
            } else {
                countPad = try attributes.int("count_include_pad", default: 0) != 0
                if countPad && ceilPadding != .zero && padding != .zero {
                    throw unsupported(node, "attribute count_include_pad = 1 together with ceil_mode = 1 and padding is not supported",
                                      fix: "export with count_include_pad=0 or ceil_mode=0")
                }
            }
            var total = padding
            total.bottom += ceilPadding.bottom
            total.right += ceilPadding.right
            return try dilatedPool(node, x, kernel: (kernel[0], kernel[1]), strides: strides, dilations: dilations,
                                   padding: total, counted: countPad ? total : .zero, i, output: output)
        }
        var source = x
        if node.opType == "AveragePool", try attributes.int("count_include_pad", default: 0) != 0, padding != .zero || ceilPadding != .zero {
            // Padded taps count as zeros (ceil-mode extras too, as ONNX's reference counts
            // them): pad with zeros first, then pool without padding.
            if ceilPadding != .zero && padding != .zero {
                throw unsupported(node, "attribute count_include_pad = 1 together with ceil_mode = 1 and padding is not supported",
                                  fix: "export with count_include_pad=0 or ceil_mode=0")
            }
            source = try emit(.pad(before: [0, 0, padding.top, padding.left],
                                   after: [0, 0, padding.bottom + ceilPadding.bottom, padding.right + ceilPadding.right], value: 0),
                              [x], node, index: i, output: "\(node.output[0])/zero_padded")
            padding = .zero
            ceilPadding = .zero
        }
        padding.bottom += ceilPadding.bottom
        padding.right += ceilPadding.right
        let attrs = PoolAttributes(filterH: kernel[0], filterW: kernel[1], strideH: strides.0, strideW: strides.1,
                                   padding: padding, layout: .nchw)
        let op: Op
        if node.opType == "MaxPool" {
            let columnMajor = try attributes.int("storage_order", default: 0) != 0
            if output == nil && node.output.count > 1 && !node.output[1].isEmpty && source == x {
                // Indices: only for a direct 2-D pool (the 1-D and 3-D rewrites change the planes).
                try requireUnusedOutputs(node, from: 2)
                define(node, try emit(.maxPoolIndices(attrs, columnMajor: columnMajor), [x], node, index: i, output: node.output[1]), output: 1)
            } else {
                if columnMajor { throw unsupported(node, "attribute storage_order = 1 is not supported") }
                try requireUnusedOutputs(node, from: 1)
            }
            op = .maxPool2D(attrs)
        } else {
            op = .averagePool2D(attrs)
        }
        return try emit(op, [source], node, index: i, output: output)
    }

    /// Dilated pooling: Gathers lay each window's taps out side by side (output row o, tap j
    /// -> input row o * stride + j * dilation - padTop), then a plain pool with stride = kernel
    /// reduces them. `padding` includes ceil-mode extras; `counted` is the part of it whose taps
    /// an average counts (count_include_pad = 1), zero otherwise.
    /// MaxPool: a tap outside the input repeats the window's first inside tap (a max ignores
    /// repeats). AveragePool: the input is zero-padded, the pool averages all kernel taps, and a
    /// constant Mul rescales each output by taps / counted taps.
    mutating func dilatedPool(_ node: Onnx_NodeProto, _ x: ValueID, kernel: (Int, Int), strides: (Int, Int), dilations: (Int, Int),
                              padding: Padding2D, counted: Padding2D, _ i: Int, output: String?) throws(EdgeError) -> ValueID {
        let s = shape(x)
        let isMax = node.opType == "MaxPool"
        /// Per output position along one axis: its taps' input positions and how many count.
        func windows(_ n: Int, _ k: Int, _ st: Int, _ d: Int, _ before: Int, _ after: Int,
                     _ countBefore: Int, _ countAfter: Int) throws(EdgeError) -> (taps: [Int], counts: [Int]) {
            let out = (n + before + after - ((k - 1) * d + 1)) / st + 1
            guard out >= 1 else { throw unsupported(node, "the dilated window does not fit the input \(shapeText(s))") }
            var taps: [Int] = [], counts: [Int] = []
            for o in 0..<out {
                let window = (0..<k).map { o * st + $0 * d - before }
                let inside = window.filter { $0 >= 0 && $0 < n }
                guard let first = inside.first else { throw unsupported(node, "a pooling window lies entirely in the padding") }
                taps += isMax ? window.map { $0 >= 0 && $0 < n ? $0 : first } : window.map { $0 + before }
                counts.append(window.filter { $0 >= -countBefore && $0 < n + countAfter }.count)
            }
            return (taps, counts)
        }
        let rows = try windows(s[2], kernel.0, strides.0, dilations.0, padding.top, padding.bottom, counted.top, counted.bottom)
        let cols = try windows(s[3], kernel.1, strides.1, dilations.1, padding.left, padding.right, counted.left, counted.right)
        let name = output ?? node.output[0]
        var source = x
        if !isMax && padding != .zero {
            let bottom = max(0, (rows.taps.max() ?? 0) + 1 - padding.top - s[2]), right = max(0, (cols.taps.max() ?? 0) + 1 - padding.left - s[3])
            source = try emit(.pad(before: [0, 0, padding.top, padding.left], after: [0, 0, bottom, right], value: 0),
                              [x], node, index: i, output: "\(name)/zero_padded")
        }
        let h = try emit(.gather(axis: 2, indices: rows.taps), [source], node, index: i, output: "\(name)/window_rows")
        let w = try emit(.gather(axis: 3, indices: cols.taps), [h], node, index: i, output: "\(name)/windows")
        let attrs = PoolAttributes(filterH: kernel.0, filterW: kernel.1, strideH: kernel.0, strideW: kernel.1, layout: .nchw)
        if isMax { return try emit(.maxPool2D(attrs), [w], node, index: i, output: output) }
        let factors = rows.counts.flatMap { r in cols.counts.map { c in Float(kernel.0 * kernel.1) / Float(r * c) } }
        if factors.allSatisfy({ $0 == 1 }) { return try emit(.averagePool2D(attrs), [w], node, index: i, output: output) }
        let mean = try emit(.averagePool2D(attrs), [w], node, index: i, output: "\(name)/mean_of_taps")
        let scale = graph.addConstant("\(name)/tap_count_scale", shape: [1, 1, rows.counts.count, cols.counts.count], floats: factors)
        return try emit(.mul(.none), [mean, scale], node, index: i, output: output)
    }

    mutating func convertGlobalPool(_ node: Onnx_NodeProto, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        let s = shape(x)
        guard s.count == 4 else { throw unsupported(node, "input has shape \(shapeText(s)); only 4-D NCHW input is supported") }
        if node.opType == "GlobalAveragePool" {
            define(node, try emit(.mean(axes: [2, 3], keepDims: true), [x], node, index: i))
        } else {
            let attrs = PoolAttributes(filterH: s[2], filterW: s[3], strideH: 1, strideW: 1, layout: .nchw)
            define(node, try emit(.maxPool2D(attrs), [x], node, index: i))
        }
    }

    mutating func convertBatchNorm(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let epsilon = try attributes.float("epsilon", default: 1e-5)
        if try attributes.int("training_mode", default: 0) != 0 {
            try batchNormTraining(node, epsilon: epsilon, momentum: try attributes.float("momentum", default: 0.9), i)
            return
        }
        attributes.ignore("momentum")
        if try attributes.int("spatial", default: 1) != 1 { throw unsupported(node, "attribute spatial = 0 is not supported") }
        try requireUnusedOutputs(node, from: 1)
        var inputs: [ValueID?] = [try input(node, 0)]
        for (k, role) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
            _ = try constantInput(node, k, role)
            inputs.append(try input(node, k))
        }
        define(node, try emit(.batchNormalization(epsilon: epsilon, layout: .nchw), inputs, node, index: i))
    }

    mutating func convertReduceMean(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        let s = shape(x)
        var axes = try attributes.ints("axes") ?? []
        if hasInput(node, 1) { axes = try constantInput(node, 1, "axes").asInts }
        let keepDims = try attributes.int("keepdims", default: 1) != 0
        let noop = try attributes.int("noop_with_empty_axes", default: 0) != 0
        if axes.isEmpty {
            if noop { define(node, x); return }
            axes = Array(0..<s.count)
        }
        axes = axes.map { $0 < 0 ? $0 + s.count : $0 }.sorted()
        guard axes.allSatisfy({ $0 >= 0 && $0 < s.count }), Set(axes).count == axes.count else {
            throw unsupported(node, "axes \(axes) are not distinct axes of shape \(shapeText(s))")
        }
        if s.count == 4 && axes == [2, 3] {
            define(node, try emit(.mean(axes: axes, keepDims: keepDims), [x], node, index: i))
        } else {
            try meanOverAxes(node, x, axes: axes, keepDims: keepDims, i)
        }
    }

    // MARK: Window helpers

    /// A two-element attribute (strides, dilations), default (1, 1).
    func pair(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ name: String) throws(EdgeError) -> (Int, Int) {
        guard let v = try attributes.ints(name) else { return (1, 1) }
        guard v.count == 2, v.allSatisfy({ $0 >= 1 }) else { throw unsupported(node, "attribute \(name) = \(v), expected two values >= 1") }
        return (v[0], v[1])
    }

    /// Explicit padding from `pads` or `auto_pad` (SAME_UPPER puts the odd pixel at the end).
    func resolvePadding(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, size: (Int, Int), kernel: (Int, Int),
                        strides: (Int, Int), dilations: (Int, Int)) throws(EdgeError) -> Padding2D {
        let autoPad = try attributes.string("auto_pad", default: "NOTSET")
        let pads = try attributes.ints("pads")
        switch autoPad {
        case "NOTSET":
            guard let p = pads else { return .zero }
            guard p.count == 4, p.allSatisfy({ $0 >= 0 }) else { throw unsupported(node, "attribute pads = \(p), expected 4 non-negative values") }
            return Padding2D(top: p[0], left: p[1], bottom: p[2], right: p[3])
        case "VALID":
            return .zero
        case "SAME_UPPER", "SAME_LOWER":
            func same(_ n: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (n + s - 1) / s
                let total = max(0, (out - 1) * s + (k - 1) * d + 1 - n)
                return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            let h = same(size.0, kernel.0, strides.0, dilations.0), w = same(size.1, kernel.1, strides.1, dilations.1)
            return Padding2D(top: h.0, left: w.0, bottom: h.1, right: w.1)
        default:
            throw unsupported(node, "attribute auto_pad = '\(autoPad)' is not supported (NOTSET, VALID, SAME_UPPER, SAME_LOWER)")
        }
    }

    /// End padding that turns floor-mode output size into ceil mode (ONNX/PyTorch rule: the
    /// last window must start inside the input or the leading padding).
    func ceilExtra(_ n: Int, _ k: Int, _ s: Int, _ before: Int, _ after: Int) -> Int {
        let span = n + before + after - k
        guard span >= 0 else { return 0 }
        var out = (span + s - 1) / s + 1
        if (out - 1) * s >= n + before { out -= 1 }
        return max(0, (out - 1) * s + k - (n + before + after))
    }
}
