import EdgeFormat

/// Rewrites NCHW spatial ops to NHWC (the runtime's layout) while keeping every graph input
/// and output in the source model's shape and layout.
///
/// Each value's data is tracked as stored under a permutation `q` of its logical (source)
/// axes: stored dims[i] = logical dims[q[i]]. One forward walk decides the cheapest storage:
/// - spatial ops (Conv2D, DepthwiseConv2D, pools, 4-D batch norm) read and write NHWC,
///   `q = [0, 2, 3, 1]`; their weights are transposed at pack time (OIHW -> OHWI,
///   `[C*M, 1, kH, kW]` -> `[1, kH, kW, C*M]`);
/// - elementwise ops keep their input's storage (constant operands are permuted to match);
///   Concatenation, Pad and Mean remap their axes; source Transposes cost nothing (they
///   only change `q`);
/// - Reshape, FullyConnected, Softmax over a moved axis, and graph outputs need the logical
///   order: a Transpose back is inserted there (a Reshape when only size-1 axes move, as
///   for `[N, C, 1, 1]` after a global pool).
/// Converted values are cached, so each value is transposed at most once per permutation.
public enum LayoutConversion {
    static let toNHWC = [0, 2, 3, 1]

    public static func run(_ source: Graph) throws(EdgeError) -> Graph {
        var c = Converter(source: source)
        for node in source.nodes { try c.convert(node) }
        for o in source.outputs {
            let before = c.stored[o]
            let stored = try c.materialize(o, identity(source[o].rank))
            if let before, stored != before, !source.inputs.contains(before) {
                // The converted copy is what the user sees: it takes the source name.
                c.out[before].name = source[o].name + "/nhwc"
                c.out[stored].name = source[o].name
            }
            c.out.outputs.append(stored)
        }
        try c.out.verify()
        return c.out
    }

    static func identity(_ rank: Int) -> [Int] { Array(0..<rank) }

    /// A transpose (perm `m` of `shape`) that keeps the order of all axes longer than 1 moves
    /// no data: it is a reshape.
    static func movesOnlyUnitAxes(_ m: [Int], _ shape: [Int]) -> Bool {
        let order = m.filter { shape[$0] > 1 }
        return order == order.sorted()
    }

    static func inverse(_ p: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: p.count)
        for (i, a) in p.enumerated() { inv[a] = i }
        return inv
    }

    struct Converter {
        let source: Graph
        var out = Graph()
        /// Logical (source) value -> the value in `out` that holds its data, and its permutation.
        var stored: [ValueID: ValueID] = [:]
        var perm: [ValueID: [Int]] = [:]
        var cache: [ValueID: [[Int]: ValueID]] = [:]

        init(source: Graph) {
            self.source = source
            out.values = source.values
            out.inputs = source.inputs
            for v in source.valueIDs where source[v].isConstant || source.inputs.contains(v) {
                stored[v] = v
                perm[v] = LayoutConversion.identity(source[v].rank)
            }
        }

        /// The value in `out` holding logical value `v` stored under `target`.
        mutating func materialize(_ v: ValueID, _ target: [Int]) throws(EdgeError) -> ValueID {
            guard let s = stored[v], let q = perm[v] else { throw internalError("layout: '\(source[v].name)' used before it is written") }
            if q == target { return s }
            if let hit = cache[v]?[target] { return hit }
            let qInverse = LayoutConversion.inverse(q)
            let m = target.map { qInverse[$0] }
            let storedShape = out[s].shape
            let newShape = m.map { storedShape[$0] }
            let suffix = target == LayoutConversion.toNHWC ? "/nhwc" : (target == LayoutConversion.identity(target.count) ? "/restored" : "/permuted")
            let name = source[v].name + suffix
            let result: ValueID
            if let data = out[s].data?.floats {
                result = out.addConstant(name, shape: newShape, floats: Reference.transpose(data, storedShape, m))
            } else if movesOnlyUnitAxes(m, storedShape) {
                result = try out.append1(.reshape(shape: newShape), [s], name: name, outputName: name)
            } else {
                result = try out.append1(.transpose(perm: m), [s], name: name, outputName: name)
            }
            // A permuted copy holds the same numbers: the same source int8 range (QDQ models).
            if out[result].sourceRange == nil { out[result].sourceRange = source[v].sourceRange }
            cache[v, default: [:]][target] = result
            return result
        }

        func movesOnlyUnitAxes(_ m: [Int], _ shape: [Int]) -> Bool { LayoutConversion.movesOnlyUnitAxes(m, shape) }

        mutating func emit(_ node: Node, _ op: Op, _ inputs: [ValueID?], outputPerm: [Int]) throws(EdgeError) {
            let y = node.outputs[0]
            let id = try out.append1(op, inputs, name: node.name, outputName: source[y].name)
            stored[y] = id
            perm[y] = outputPerm
        }

        /// Inputs in logical order (ops that do not care about layout conversion).
        mutating func logical(_ node: Node) throws(EdgeError) -> [ValueID?] {
            var ids: [ValueID?] = []
            for v in node.inputs {
                if let v { ids.append(try materialize(v, LayoutConversion.identity(source[v].rank))) } else { ids.append(nil) }
            }
            return ids
        }

        mutating func convert(_ node: Node) throws(EdgeError) {
            let x = node.inputs[0]!
            let rank = source[x].rank
            let q = perm[x] ?? LayoutConversion.identity(rank)
            switch node.op {
            case .conv2D(var a) where a.layout == .nchw:
                a.layout = .nhwc
                try emitSpatial(node, .conv2D(a), weightPerm: [0, 2, 3, 1])
            case .depthwiseConv2D(var a, let m) where a.layout == .nchw:
                a.layout = .nhwc
                try emitSpatial(node, .depthwiseConv2D(a, depthMultiplier: m), weightPerm: [1, 2, 3, 0])
            case .averagePool2D(var a) where a.layout == .nchw:
                a.layout = .nhwc
                try emitSpatial(node, .averagePool2D(a), weightPerm: nil)
            case .maxPool2D(var a) where a.layout == .nchw:
                a.layout = .nhwc
                try emitSpatial(node, .maxPool2D(a), weightPerm: nil)
            case .batchNormalization(let eps, .nchw) where rank == 4:
                try emitSpatial(node, .batchNormalization(epsilon: eps, layout: .nhwc), weightPerm: nil)

            case .clamp, .hardSwish, .logistic, .tanh, .quantize, .dequantize, .sqrt:
                try emit(node, node.op, [try materialize(x, q)], outputPerm: q)

            case .add, .mul, .div, .sub:
                let outRank = source[node.outputs[0]].rank
                var target = LayoutConversion.identity(outRank)
                for case let v? in node.inputs where source[v].rank == outRank && !source[v].isConstant {
                    if let p = perm[v], p != target { target = p; break }
                }
                var ids: [ValueID?] = []
                for case let v? in node.inputs { ids.append(try broadcastOperand(v, rank: outRank, target: target, node)) }
                try emit(node, node.op, ids, outputPerm: target)

            case .concatenation(let axis):
                var target = LayoutConversion.identity(rank)
                for case let v? in node.inputs where !source[v].isConstant {
                    if let p = perm[v], p != target { target = p; break }
                }
                var ids: [ValueID?] = []
                for case let v? in node.inputs { ids.append(try materialize(v, target)) }
                try emit(node, .concatenation(axis: target.firstIndex(of: axis)!), ids, outputPerm: target)

            case .pad(let before, let after, let value):
                try emit(node, .pad(before: q.map { before[$0] }, after: q.map { after[$0] }, value: value),
                         [try materialize(x, q)], outputPerm: q)

            case .gather(let axis, let indices):
                try emit(node, .gather(axis: q.firstIndex(of: axis)!, indices: indices), [try materialize(x, q)], outputPerm: q)

            case .mean(let axes, let keepDims):
                // The runtime reduces H and W of NHWC: store NCHW inputs as NHWC first.
                let target = rank == 4 && axes == [2, 3] ? LayoutConversion.toNHWC : q
                let storedAxes = axes.map { target.firstIndex(of: $0)! }.sorted()
                var outPerm = target
                if !keepDims {
                    let kept = target.filter { !axes.contains($0) }
                    outPerm = kept.map { a in kept.filter { $0 < a }.count }
                }
                try emit(node, .mean(axes: storedAxes, keepDims: keepDims), [try materialize(x, target)], outputPerm: outPerm)

            case .softmax:
                let target = q.last == rank - 1 ? q : LayoutConversion.identity(rank)
                try emit(node, node.op, [try materialize(x, target)], outputPerm: target)

            case .transpose(let p):
                // Free: the data stays where it is, only its meaning changes.
                let pInverse = LayoutConversion.inverse(p)
                stored[node.outputs[0]] = stored[x]
                perm[node.outputs[0]] = q.map { pInverse[$0] }

            case .conv2D, .depthwiseConv2D, .averagePool2D, .maxPool2D, .batchNormalization,
                 .fullyConnected, .reshape, .quantizeLinear, .dequantizeLinear, .maxPoolIndices:
                try emit(node, node.op, try logical(node), outputPerm: LayoutConversion.identity(source[node.outputs[0]].rank))
            }
        }

        /// An NCHW spatial op rewritten as NHWC: input stored NHWC, weights transposed.
        mutating func emitSpatial(_ node: Node, _ op: Op, weightPerm: [Int]?) throws(EdgeError) {
            var ids: [ValueID?] = [try materialize(node.inputs[0]!, LayoutConversion.toNHWC)]
            for (k, v) in node.inputs.enumerated().dropFirst() {
                guard let v else { ids.append(nil); continue }
                if k == 1, let weightPerm {
                    guard let w = source[v].data?.floats else {
                        throw EdgeError(.unsupported, object: node.label, problem: "weights '\(source[v].name)' are not constant",
                                        fix: "export the model with constant weights")
                    }
                    let s = source[v].shape
                    ids.append(out.addConstant(source[v].name, shape: weightPerm.map { s[$0] }, floats: Reference.transpose(w, s, weightPerm)))
                } else {
                    ids.append(try materialize(v, LayoutConversion.identity(source[v].rank)))
                }
            }
            try emit(node, op, ids, outputPerm: LayoutConversion.toNHWC)
        }

        /// An Add/Mul operand stored under `target` (lower-rank operands are first extended
        /// with leading 1s, numpy's broadcasting rule, so their axes can be permuted).
        mutating func broadcastOperand(_ v: ValueID, rank: Int, target: [Int], _ node: Node) throws(EdgeError) -> ValueID {
            let s = source[v].shape
            if s.count == rank { return try materialize(v, target) }
            let padded = [Int](repeating: 1, count: rank - s.count) + s
            if target == LayoutConversion.identity(rank) { return try materialize(v, LayoutConversion.identity(s.count)) }
            if let data = source[v].data?.floats {
                return out.addConstant(source[v].name + "/permuted", shape: target.map { padded[$0] },
                                       floats: Reference.transpose(data, padded, target))
            }
            let base = try materialize(v, LayoutConversion.identity(s.count))
            let name = source[v].name + "/rank\(rank)"
            let extended = try out.append1(.reshape(shape: padded), [base], name: name, outputName: name)
            let m = target
            let newShape = m.map { padded[$0] }
            let tname = source[v].name + "/permuted"
            if movesOnlyUnitAxes(m, padded) {
                return try out.append1(.reshape(shape: newShape), [extended], name: tname, outputName: tname)
            }
            return try out.append1(.transpose(perm: m), [extended], name: tname, outputName: tname)
        }
    }
}
