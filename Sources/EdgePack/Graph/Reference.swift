import EdgeFormat
import Foundation

/// The float reference semantics of every op: plain loops, no tricks, the specification the
/// passes must preserve. Used for constant folding and by tests that check a rewritten graph
/// against the original (batch-norm folding, layout conversion). Float graphs only.
public enum Reference {
    /// Runs `graph` on `inputs` (one array per graph input, row-major) and returns the values
    /// of every tensor it computed, keyed by value.
    public static func run(_ graph: Graph, inputs: [[Float]]) throws(EdgeError) -> [ValueID: [Float]] {
        var env: [ValueID: [Float]] = [:]
        for (i, v) in graph.inputs.enumerated() { env[v] = inputs[i] }
        for v in graph.valueIDs { if let f = graph[v].data?.floats { env[v] = f } }
        for node in graph.nodes {
            let results = try evaluate(node, graph) { env[$0] }
            for (o, r) in zip(node.outputs, results) { env[o] = r }
        }
        return env
    }

    /// The outputs of `node`, reading its inputs through `value`.
    public static func evaluate(_ node: Node, _ graph: Graph, _ value: (ValueID) -> [Float]?) throws(EdgeError) -> [[Float]] {
        var xs: [[Float]?] = []
        for id in node.inputs { xs.append(id.flatMap(value)) }
        func shape(_ i: Int) -> [Int] { node.input(i).map { graph[$0].shape } ?? [] }
        func unavailable(_ problem: String) -> EdgeError {
            EdgeError(.unsupported, object: node.label, problem: problem, fix: "the float reference evaluates float graphs only")
        }
        for (i, id) in node.inputs.enumerated() where id != nil && xs[i] == nil {
            throw unavailable("input \(i) has no float value")
        }
        let x = xs[0]!
        let outShape = graph[node.outputs[0]].shape
        switch node.op {
        case .conv2D(let a):
            return [conv(x, shape(0), xs[1]!, shape(1), xs.count > 2 ? xs[2] : nil, outShape, a, depthwise: false)]
        case .depthwiseConv2D(let a, _):
            return [conv(x, shape(0), xs[1]!, shape(1), xs.count > 2 ? xs[2] : nil, outShape, a, depthwise: true)]
        case .fullyConnected(let act):
            let w = xs[1]!, bias = xs.count > 2 ? xs[2] : nil
            let batch = shape(0)[0], inF = shape(1)[1], outF = shape(1)[0]
            var out = [Float](repeating: 0, count: batch * outF)
            for b in 0..<batch {
                for o in 0..<outF {
                    var acc: Float = bias?[o] ?? 0
                    for i in 0..<inF { acc += x[b * inF + i] * w[o * inF + i] }
                    out[b * outF + o] = act.apply(acc)
                }
            }
            return [out]
        case .add(let act):
            return [binary(x, shape(0), xs[1]!, shape(1), outShape) { act.apply($0 + $1) }]
        case .mul(let act):
            return [binary(x, shape(0), xs[1]!, shape(1), outShape) { act.apply($0 * $1) }]
        case .div(let act):
            return [binary(x, shape(0), xs[1]!, shape(1), outShape) { act.apply($0 / $1) }]
        case .sub(let act):
            return [binary(x, shape(0), xs[1]!, shape(1), outShape) { act.apply($0 - $1) }]
        case .maxPoolIndices(let a, let columnMajor):
            return [Reference.maxPoolIndices(x, shape(0), outShape, a, columnMajor: columnMajor)]
        case .sqrt:
            return [x.map { $0.squareRoot() }]
        case .quantizeLinear(let to, let saturate):
            let half = node.inputs[0].map { graph[$0].dtype == .float16 } ?? false
            let quotient = binary(x, shape(0), xs[1]!, shape(1), outShape) { half ? Reference.narrow($0 / $1, .float16) : $0 / $1 }
            if to.isNarrowFloat { return [quotient.map { Reference.narrow($0, to, saturate: saturate) }] }
            let range = Reference.integerRange(to)
            return [binary(quotient, outShape, xs[2]!, shape(2), outShape) { Swift.min(Swift.max($0.rounded(.toNearestOrEven) + $1, range.0), range.1) }]
        case .dequantizeLinear(let to):
            let shifted = binary(x, shape(0), xs[2]!, shape(2), outShape) { $0 - $1 }
            let y = binary(shifted, outShape, xs[1]!, shape(1), outShape) { $0 * $1 }
            return [to == .float16 ? y.map { Reference.narrow($0, .float16) } : y]
        case .averagePool2D(let a):
            return [pool(x, shape(0), outShape, a, average: true)]
        case .maxPool2D(let a):
            return [pool(x, shape(0), outShape, a, average: false)]
        case .mean(let axes, _):
            let s = shape(0)
            var out = [Float](repeating: 0, count: outShape.reduce(1, *))
            let kept = (0..<s.count).filter { !axes.contains($0) }
            let n = axes.map { s[$0] }.reduce(1, *)
            forEachIndex(s) { flat, idx in
                var o = 0
                for k in kept { o = o * s[k] + idx[k] }
                out[o] += x[flat]
            }
            return [out.map { $0 / Float(n) }]
        case .reshape:
            return [x]
        case .concatenation(let axis):
            let s = shape(0)
            let outer = s[0..<axis].reduce(1, *), inner = s[(axis + 1)...].reduce(1, *)
            var out: [Float] = []
            out.reserveCapacity(outShape.reduce(1, *))
            for o in 0..<outer {
                for (i, part) in xs.enumerated() {
                    let rows = shape(i)[axis] * inner
                    out.append(contentsOf: part![(o * rows)..<((o + 1) * rows)])
                }
            }
            return [out]
        case .pad(let before, _, let value):
            let s = shape(0)
            var out = [Float](repeating: value, count: outShape.reduce(1, *))
            forEachIndex(s) { flat, idx in
                var o = 0
                for d in 0..<s.count { o = o * outShape[d] + idx[d] + before[d] }
                out[o] = x[flat]
            }
            return [out]
        case .clamp(let act):
            return [x.map(act.apply)]
        case .hardSwish:
            return [x.map { $0 * Swift.min(Swift.max($0 + 3, 0), 6) / 6 }]
        case .logistic:
            return [x.map { 1 / (1 + Foundation.exp(-$0)) }]
        case .tanh:
            return [x.map { Foundation.tanh($0) }]
        case .softmax(let beta):
            let depth = shape(0).last ?? 1
            var out = x
            for row in 0..<(x.count / Swift.max(depth, 1)) {
                let slice = x[(row * depth)..<((row + 1) * depth)]
                let m = slice.max() ?? 0
                var sum: Float = 0
                for i in slice.indices { out[i] = Foundation.exp(beta * (x[i] - m)); sum += out[i] }
                for i in slice.indices { out[i] /= sum }
            }
            return [out]
        case .transpose(let perm):
            return [transpose(x, shape(0), perm)]
        case .gather(let axis, let indices):
            let s = shape(0)
            let outer = s[0..<axis].reduce(1, *), inner = s[(axis + 1)...].reduce(1, *)
            var out: [Float] = []
            out.reserveCapacity(outer * indices.count * inner)
            for o in 0..<outer {
                for k in indices { out.append(contentsOf: x[((o * s[axis] + k) * inner)..<((o * s[axis] + k + 1) * inner)]) }
            }
            return [out]
        case .batchNormalization(let epsilon, let layout):
            let s = shape(0)
            let axis = layout == .nchw ? 1 : s.count - 1
            let inner = s[(axis + 1)...].reduce(1, *), channels = s[axis]
            let scale = xs[1]!, bias = xs[2]!, mean = xs[3]!, variance = xs[4]!
            var out = x
            for i in 0..<x.count {
                let c = (i / inner) % channels
                out[i] = (x[i] - mean[c]) / (variance[c] + epsilon).squareRoot() * scale[c] + bias[c]
            }
            return [out]
        case .quantize, .dequantize:
            throw unavailable("quantized ops have no float reference")
        }
    }

    /// Calls `body(flatIndex, multiIndex)` for every element of `shape` in row-major order.
    static func forEachIndex(_ shape: [Int], _ body: (Int, [Int]) -> Void) {
        let count = shape.reduce(1, *)
        var idx = [Int](repeating: 0, count: shape.count)
        for flat in 0..<count {
            body(flat, idx)
            var d = shape.count - 1
            while d >= 0 {
                idx[d] += 1
                if idx[d] < shape[d] { break }
                idx[d] = 0
                d -= 1
            }
        }
    }

    public static func transpose(_ x: [Float], _ shape: [Int], _ perm: [Int]) -> [Float] {
        let outShape = perm.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
        var out = [Float](repeating: 0, count: x.count)
        forEachIndex(outShape) { flat, idx in
            var src = 0
            for d in 0..<perm.count { src += idx[d] * inStrides[perm[d]] }
            out[flat] = x[src]
        }
        return out
    }

    static func binary(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], _ outShape: [Int],
                       _ f: (Float, Float) -> Float) -> [Float] {
        let rank = outShape.count
        func strides(_ s: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: rank - s.count) + s
            var st = [Int](repeating: 0, count: rank)
            var acc = 1
            for d in stride(from: rank - 1, through: 0, by: -1) {
                st[d] = padded[d] == 1 ? 0 : acc
                acc *= padded[d]
            }
            return st
        }
        let sa = strides(aShape), sb = strides(bShape)
        var out = [Float](repeating: 0, count: outShape.reduce(1, *))
        forEachIndex(outShape) { flat, idx in
            var ia = 0, ib = 0
            for d in 0..<rank { ia += idx[d] * sa[d]; ib += idx[d] * sb[d] }
            out[flat] = f(a[ia], b[ib])
        }
        return out
    }

    /// Index of (n, c, h, w) in a 4-D tensor of the given logical dims and layout.
    static func index(_ layout: Layout, _ n: Int, _ c: Int, _ h: Int, _ w: Int, C: Int, H: Int, W: Int) -> Int {
        layout == .nchw ? ((n * C + c) * H + h) * W + w : ((n * H + h) * W + w) * C + c
    }

    /// (N, C, H, W) of a 4-D shape in `layout`.
    static func dims(_ s: [Int], _ layout: Layout) -> (Int, Int, Int, Int) {
        layout == .nchw ? (s[0], s[1], s[2], s[3]) : (s[0], s[3], s[1], s[2])
    }

    static func conv(_ x: [Float], _ xShape: [Int], _ w: [Float], _ wShape: [Int], _ bias: [Float]?, _ outShape: [Int],
                     _ a: ConvAttributes, depthwise: Bool) -> [Float] {
        let (n, inC, inH, inW) = dims(xShape, a.layout)
        let (_, outC, outH, outW) = dims(outShape, a.layout)
        let kH = a.layout == .nchw ? wShape[2] : wShape[1], kW = a.layout == .nchw ? wShape[3] : wShape[2]
        let multiplier = outC / inC
        var out = [Float](repeating: 0, count: outShape.reduce(1, *))
        for b in 0..<n {
            for o in 0..<outC {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var acc: Float = bias?[o] ?? 0
                        for ky in 0..<kH {
                            let iy = oy * a.strideH - a.padding.top + ky * a.dilationH
                            if iy < 0 || iy >= inH { continue }
                            for kx in 0..<kW {
                                let ix = ox * a.strideW - a.padding.left + kx * a.dilationW
                                if ix < 0 || ix >= inW { continue }
                                if depthwise {
                                    let c = o / multiplier
                                    let wi = a.layout == .nchw ? (o * kH + ky) * kW + kx : (ky * kW + kx) * outC + o
                                    acc += x[index(a.layout, b, c, iy, ix, C: inC, H: inH, W: inW)] * w[wi]
                                } else {
                                    for c in 0..<inC {
                                        let wi = a.layout == .nchw ? ((o * inC + c) * kH + ky) * kW + kx : ((o * kH + ky) * kW + kx) * inC + c
                                        acc += x[index(a.layout, b, c, iy, ix, C: inC, H: inH, W: inW)] * w[wi]
                                    }
                                }
                            }
                        }
                        out[index(a.layout, b, o, oy, ox, C: outC, H: outH, W: outW)] = a.activation.apply(acc)
                    }
                }
            }
        }
        return out
    }

    static func pool(_ x: [Float], _ xShape: [Int], _ outShape: [Int], _ a: PoolAttributes, average: Bool) -> [Float] {
        let (n, c, inH, inW) = dims(xShape, a.layout)
        let (_, _, outH, outW) = dims(outShape, a.layout)
        var out = [Float](repeating: 0, count: outShape.reduce(1, *))
        for b in 0..<n {
            for ch in 0..<c {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var acc: Float = average ? 0 : -.greatestFiniteMagnitude
                        var taps = 0
                        for ky in 0..<a.filterH {
                            let iy = oy * a.strideH - a.padding.top + ky
                            if iy < 0 || iy >= inH { continue }
                            for kx in 0..<a.filterW {
                                let ix = ox * a.strideW - a.padding.left + kx
                                if ix < 0 || ix >= inW { continue }
                                let v = x[index(a.layout, b, ch, iy, ix, C: c, H: inH, W: inW)]
                                acc = average ? acc + v : Swift.max(acc, v)
                                taps += 1
                            }
                        }
                        if average { acc = taps > 0 ? acc / Float(taps) : 0 }
                        out[index(a.layout, b, ch, oy, ox, C: c, H: outH, W: outW)] = a.activation.apply(acc)
                    }
                }
            }
        }
        return out
    }
}

extension Reference {
    /// `x` rounded to a narrow float dtype (float8 saturating unless told otherwise).
    static func narrow(_ x: Float, _ dtype: DType, saturate: Bool = true) -> Float {
        NarrowFloat.decode(NarrowFloat.encode(x, dtype, saturate: saturate), dtype)
    }

    /// The values an integer dtype holds, as floats.
    static func integerRange(_ dtype: DType) -> (Float, Float) {
        switch dtype {
        case .int8: return (-128, 127)
        case .uint8: return (0, 255)
        case .int16: return (-32768, 32767)
        case .uint16: return (0, 65535)
        case .int32: return (-2147483648, 2147483647)
        case .bool: return (0, 1)
        case .int64: return (-9.223372e18, 9.223372e18)
        case .int4: return (-8, 7)
        case .uint4: return (0, 15)
        case .float32, .float16, .float8E4M3FN, .float8E5M2: return (-.infinity, .infinity)
        }
    }
}

extension Reference {
    /// ONNX MaxPool's Indices (NCHW, first largest tap, flat index into x).
    static func maxPoolIndices(_ x: [Float], _ s: [Int], _ o: [Int], _ a: PoolAttributes, columnMajor: Bool) -> [Float] {
        var out: [Float] = []
        for plane in 0..<(s[0] * s[1]) {
            for oy in 0..<o[2] {
                for ox in 0..<o[3] {
                    var best = -Float.infinity, index = -1
                    for fy in 0..<a.filterH {
                        for fx in 0..<a.filterW {
                            let h = oy * a.strideH + fy - a.padding.top, w = ox * a.strideW + fx - a.padding.left
                            guard h >= 0 && h < s[2] && w >= 0 && w < s[3] else { continue }
                            let v = x[(plane * s[2] + h) * s[3] + w]
                            if index < 0 || v > best { best = v; index = columnMajor ? h + w * s[2] : h * s[3] + w }
                        }
                    }
                    out.append(Float(plane * s[2] * s[3] + index))
                }
            }
        }
        return out
    }
}
