import EdgeFormat

/// Resize with ONNX's reference rules (nearest, linear, cubic; antialias; every coordinate
/// transformation mode, tf_crop_and_resize included), separably per resized axis: each output
/// entry of an axis is a weighted sum of a few source entries (edge-clamped). One Gather per
/// tap, each times its constant weights, summed with Add; a pure selection (nearest, integral
/// coordinates) is a single Gather.
extension ONNXContext {
    /// How the output entries of one axis are computed from the source axis: tap k of output
    /// o reads source entry `indices[k][o]` with weight `weights[k][o]`; `constant[o]` is added
    /// (the extrapolation value of tf_crop_and_resize outside the crop).
    struct ResizeTaps {
        var indices: [[Int]] = []
        var weights: [[Float]] = []
        var constant: [Float] = []
    }

    /// The interpolation of one axis, as ONNX's reference resize defines it.
    struct ResizeKernel {
        var mode: String, nearestMode: String
        var cubicA: Float, antialias: Bool, excludeOutside: Bool
        var extrapolation: Float

        /// Coefficients for neighbours base + start ..< base + start + count, where
        /// base = ceil(x) - 1 and ratio = x - base in (0, 1].
        func coefficients(_ ratio: Double, scale: Double) -> (start: Int, values: [Double]) {
            let a = Double(cubicA)
            switch (mode, antialias) {
            case ("nearest", _):
                if ratio == 1 { return (0, [0, 1]) }
                switch nearestMode {
                case "round_prefer_ceil": return (0, ratio >= 0.5 ? [0, 1] : [1, 0])
                case "floor": return (0, [1, 0])
                case "ceil": return (0, [0, 1])
                default: return (0, ratio > 0.5 ? [0, 1] : [1, 0])
                }
            case ("linear", false):
                return (0, [1 - ratio, ratio])
            case ("linear", true):
                let sc = min(scale, 1)
                let start = Int((-1 / sc).rounded(.down)) + 1
                let c = (start..<(2 - start)).map { i in min(max(1 - abs((Double(i) - ratio) * sc), 0), 1) }
                let sum = c.reduce(0, +)
                return (start, c.map { $0 / sum })
            case (_, false):
                let r1 = ratio + 1, q = 1 - ratio, q1 = q + 1
                return (-1, [((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
                             ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
                             ((a + 2) * q - (a + 3)) * q * q + 1,
                             ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a])
            default:
                let sc = min(scale, 1)
                func coeff(_ v: Double) -> Double {
                    let x = abs(v), x2 = x * x, x3 = x2 * x
                    if x <= 1 { return (a + 2) * x3 - (a + 3) * x2 + 1 }
                    if x < 2 { return a * x3 - 5 * a * x2 + 8 * a * x - 4 * a }
                    return 0
                }
                let start = Int((-2 / sc).rounded(.down)) + 1
                let c = (start..<(2 - start)).map { i in coeff(sc * (Double(i) - ratio)) }
                let sum = c.reduce(0, +)
                return (start, c.map { $0 / sum })
            }
        }

        /// Taps of one axis of `size` entries for the source coordinates (nil: outside the
        /// crop, the output is the extrapolation value).
        func taps(_ coordinates: [Double?], size: Int, scale: Double) -> ResizeTaps {
            var t = ResizeTaps()
            for (o, c) in coordinates.enumerated() {
                guard let x = c else {
                    t.constant.append(extrapolation)
                    for k in t.indices.indices { t.indices[k].append(0); t.weights[k].append(0) }
                    if t.indices.isEmpty { t.indices = [[Int](repeating: 0, count: o + 1)]; t.weights = [[Float](repeating: 0, count: o + 1)] }
                    continue
                }
                let base = Int(x.rounded(.up)) - 1
                let (start, raw) = coefficients(x - Double(base), scale: scale)
                var values = raw
                if excludeOutside {
                    for k in values.indices where base + start + k < 0 || base + start + k >= size { values[k] = 0 }
                    let sum = values.reduce(0, +)
                    values = values.map { $0 / sum }
                }
                while t.indices.count < values.count {
                    t.indices.append([Int](repeating: 0, count: o))
                    t.weights.append([Float](repeating: 0, count: o))
                }
                for k in t.indices.indices {
                    let w = k < values.count ? values[k] : 0
                    t.indices[k].append(min(max(base + start + k, 0), size - 1))
                    t.weights[k].append(Float(w))
                }
                t.constant.append(0)
            }
            return t
        }
    }

    mutating func convertResize(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let mode = try attributes.string("mode", default: "nearest")
        let transform = try attributes.string("coordinate_transformation_mode", default: "half_pixel")
        let nearestMode = try attributes.string("nearest_mode", default: "round_prefer_floor")
        let policy = try attributes.string("keep_aspect_ratio_policy", default: "stretch")
        let kernel = ResizeKernel(mode: mode, nearestMode: nearestMode, cubicA: try attributes.float("cubic_coeff_a", default: -0.75),
                                  antialias: try attributes.int("antialias", default: 0) != 0,
                                  excludeOutside: try attributes.int("exclude_outside", default: 0) != 0,
                                  extrapolation: try attributes.float("extrapolation_value", default: 0))
        guard ["nearest", "linear", "cubic"].contains(mode) else {
            throw unsupported(node, "attribute mode = '\(mode)' is not supported (nearest, linear, cubic)")
        }
        if kernel.antialias && mode == "nearest" { throw unsupported(node, "antialias = 1 with mode nearest is invalid") }
        let transforms = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric", "tf_crop_and_resize"]
        guard transforms.contains(transform) else {
            throw unsupported(node, "attribute coordinate_transformation_mode = '\(transform)' is not supported (\(transforms.joined(separator: ", ")))")
        }
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode) else {
            throw unsupported(node, "attribute nearest_mode = '\(nearestMode)' is not supported")
        }
        let x = try input(node, 0)
        let s = shape(x), rank = s.count
        var axes = (try attributes.ints("axes") ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 }
        guard axes.allSatisfy({ $0 >= 0 && $0 < rank }), Set(axes).count == axes.count else {
            throw unsupported(node, "attribute axes = \(axes) are not distinct axes of shape \(shapeText(s))")
        }
        // Per-axis output size and scale (Float when given as scales, as the reference computes).
        var outSize = s
        var scaleF = [Float](repeating: 1, count: rank)
        var scaleD = [Double](repeating: 1, count: rank)
        var fromSizes = false
        let scales = hasInput(node, 2) ? try constantInput(node, 2, "scales") : nil
        if hasInput(node, 3) {
            let sizes = try constantInput(node, 3, "sizes").asInts
            guard sizes.count == axes.count else { throw unsupported(node, "sizes \(sizes) do not list one size per axis \(axes)") }
            fromSizes = true
            for (k, a) in axes.enumerated() { outSize[a] = sizes[k]; scaleD[a] = Double(sizes[k]) / Double(s[a]) }
            if policy != "stretch" {
                guard policy == "not_larger" || policy == "not_smaller" else {
                    throw unsupported(node, "attribute keep_aspect_ratio_policy = '\(policy)' is not supported")
                }
                let chosen = axes.map { scaleD[$0] }
                let scale = policy == "not_larger" ? chosen.min()! : chosen.max()!
                for a in axes { scaleD[a] = scale; outSize[a] = Int(scale * Double(s[a]) + 0.5) }
            }
        } else if let scales, scales.count > 0 {
            guard scales.count == axes.count else { throw unsupported(node, "scales \(scales.asFloats) do not list one scale per axis \(axes)") }
            for (k, a) in axes.enumerated() {
                let f = scales.asFloats[k]
                guard f > 0 else { throw unsupported(node, "scale \(f) of axis \(a) is not positive") }
                scaleF[a] = f
                outSize[a] = Int(f * Float(s[a]))
            }
        } else {
            throw unsupported(node, "has neither scales nor sizes")
        }
        // tf_crop_and_resize: roi lists the starts, then the ends, of the resized axes.
        var roiStart = [Double](repeating: 0, count: rank), roiEnd = [Double](repeating: 1, count: rank)
        if transform == "tf_crop_and_resize" {
            let roi = try constantInput(node, 1, "roi").asFloats
            guard roi.count == 2 * axes.count else { throw unsupported(node, "roi \(roi) does not list a start and an end per axis \(axes)") }
            for (k, a) in axes.enumerated() { roiStart[a] = Double(roi[k]); roiEnd[a] = Double(roi[k + axes.count]) }
        }
        axes.sort()
        var v = x
        var resized: [Int] = []
        for a in axes where !(outSize[a] == s[a] && (fromSizes ? scaleD[a] == 1 : scaleF[a] == 1) && transform != "tf_crop_and_resize") {
            guard outSize[a] >= 1 else { throw unsupported(node, "axis \(a) would resize to \(outSize[a]) entries") }
            resized.append(a)
        }
        if !resized.isEmpty && rank > 4 { throw unsupported(node, "resizes a rank-\(rank) tensor; up to rank 4 is supported") }
        for (k, a) in resized.enumerated() {
            let scale = fromSizes ? scaleD[a] : Double(scaleF[a])
            let coordinates = (0..<outSize[a]).map { o -> Double? in
                if transform == "tf_crop_and_resize" {
                    let inLast = Double(s[a] - 1), outWidth = scale * Double(s[a])
                    var c = outWidth == 1 ? (roiEnd[a] - roiStart[a]) * inLast / 2
                                          : Double(o) * (roiEnd[a] - roiStart[a]) * inLast / (outWidth - 1)
                    c += roiStart[a] * inLast
                    return c < 0 || c > inLast ? nil : c
                }
                return fromSizes ? ONNXContext.sourceCoordinate(o, scaleD[a], s[a], outSize[a], transform)
                                 : Double(ONNXContext.sourceCoordinate(o, scaleF[a], s[a], outSize[a], transform))
            }
            let taps = kernel.taps(coordinates, size: s[a], scale: scale)
            let name = k == resized.count - 1 ? node.output[0] : "\(node.output[0])/axis\(a)"
            v = try resizeAxis(v, axis: a, taps, node, i, output: name)
        }
        define(node, v)
    }

    /// Source coordinate of output entry `o` (ONNX Resize, `_interpolate_1d_with_x`).
    static func sourceCoordinate<T: BinaryFloatingPoint>(_ o: Int, _ scale: T, _ inSize: Int, _ outInt: Int, _ transform: String) -> T {
        let outWidth = scale * T(inSize)
        let x = T(o)
        switch transform {
        case "align_corners": return outWidth == 1 ? 0 : x * T(inSize - 1) / (outWidth - 1)
        case "asymmetric": return x / scale
        case "pytorch_half_pixel": return outWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5
        case "half_pixel_symmetric":
            let adjustment = T(outInt) / outWidth
            let offset = T(inSize) / 2 * (1 - adjustment)
            return offset + (x + 0.5) / scale - 0.5
        default: return (x + 0.5) / scale - 0.5
        }
    }

    /// One resized axis: a single Gather when every output entry copies one source entry,
    /// else the sum over taps of Gather times weights (plus the extrapolation constant).
    mutating func resizeAxis(_ x: ValueID, axis: Int, _ t: ResizeTaps, _ node: Onnx_NodeProto, _ i: Int,
                             output: String) throws(EdgeError) -> ValueID {
        let outCount = t.constant.count
        let selection = t.constant.allSatisfy { $0 == 0 } && (0..<outCount).allSatisfy { o in
            let nonzero = t.weights.indices.filter { t.weights[$0][o] != 0 }
            return nonzero.count == 1 && t.weights[nonzero[0]][o] == 1
        }
        if selection {
            let picks = (0..<outCount).map { o in t.indices[t.weights.indices.first { t.weights[$0][o] != 0 }!][o] }
            return try emit(.gather(axis: axis, indices: picks), [x], node, index: i, output: output)
        }
        var weightShape = [Int](repeating: 1, count: shape(x).count)
        weightShape[axis] = outCount
        var used = t.weights.indices.filter { k in t.weights[k].contains { $0 != 0 } }
        if used.isEmpty { used = [0] }
        let hasConstant = t.constant.contains { $0 != 0 }
        var sum: ValueID? = nil
        for (n, k) in used.enumerated() {
            let last = n == used.count - 1 && !hasConstant
            let g = try emit(.gather(axis: axis, indices: t.indices[k]), [x], node, index: i, output: "\(output)/tap\(k)")
            let w = constant(node, "axis\(axis)_tap\(k)_weights", shape: weightShape, t.weights[k])
            let term = try emit(.mul(.none), [g, w], node, index: i, output: last && sum == nil ? output : "\(output)/tap\(k)_weighted")
            if let previous = sum {
                sum = try emit(.add(.none), [previous, term], node, index: i, output: last ? output : "\(output)/sum\(k)")
            } else {
                sum = term
            }
        }
        if hasConstant {
            let c = constant(node, "axis\(axis)_extrapolation", shape: weightShape, t.constant)
            return try emit(.add(.none), [sum!, c], node, index: i, output: output)
        }
        return sum!
    }
}
