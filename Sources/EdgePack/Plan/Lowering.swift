import EdgeFormat
import EdgeRuntime

/// A graph lowered to model.bin's description, with the tensor each graph value became.
public struct LoweredModel {
    public var description: ModelDescription
    /// Tensor index of every lowered value.
    public var tensorIndex: [ValueID: Int]
    /// Bytes of constant data (weights, biases).
    public var constantBytes: Int
}

/// Turns a runtime-ready graph (NHWC, runtime ops only, topologically ordered) into a
/// `ModelDescription`: one tensor per used value, one op record per node in graph order,
/// params encoded as FORMAT.md's op table, arena offsets from `MemoryPlanner`.
public enum Lowering {
    public static func lower(_ g: Graph, name: String, producer: String, labels: [String] = [],
                             keyValues: [(String, String)] = [], target: PackTarget = .canonical) throws(EdgeError) -> LoweredModel {
        var model = ModelDescription(name: name, producer: producer)
        var index: [ValueID: Int] = [:]
        var constantBytes = 0
        func tensor(_ v: ValueID) throws(EdgeError) -> Int {
            if let i = index[v] { return i }
            let value = g[v]
            if value.rank > FormatV1.maxRank {
                throw EdgeError(.unsupported, object: "tensor '\(value.name)'", problem: "has rank \(value.rank), model.bin holds up to 6",
                                fix: "reshape the model to fewer dimensions")
            }
            var t = ModelDescription.Tensor(name: value.name, dtype: value.dtype, shape: value.shape)
            if let data = value.data {
                if data.dtype != value.dtype { throw internalError("constant '\(value.name)' holds \(data.dtype.name) data for dtype \(value.dtype.name)") }
                t.constantData = data.littleEndianBytes
                if let bw = value.sparseBlockWidth, case .int8(let q) = data {
                    t.constantData = SparseWeights.encode(q, rows: value.shape[0], columns: value.shape[value.rank - 1],
                                                          blockHeight: value.sparseBlockHeight, blockWidth: bw)
                    t.layout = SparseWeights.layout
                }
                constantBytes += t.byteSize
            }
            // int32 biases carry no QUANT records: their scale is input scale x weight scale,
            // which the kernels derive, so records would only repeat it (8 B per channel).
            if let q = value.quantization, value.dtype != .int32 {
                t.quantization = zip(q.scales, q.zeroPoints).map { QuantParams(scale: $0, zeroPoint: $1) }
                t.quantizedDimension = q.scales.count > 1 ? q.axis : 0
            }
            model.tensors.append(t)
            index[v] = model.tensors.count - 1
            return model.tensors.count - 1
        }

        for v in g.inputs { model.inputs.append(try tensor(v)) }
        var scratch: [(tensor: Int, op: Int)] = []
        var packedFor: String? = nil
        for (opIndex, node) in g.nodes.enumerated() {
            guard let kind = node.op.kind else { throw internalError("\(node.label) is an import-level op and cannot be lowered") }
            var inputs: [Int?] = []
            if let packed = WeightPacking.packedConv(g, node, target: target) ?? WeightPacking.packedFC(g, node, target: target),
               let x = node.inputs[0] {
                // Weights in the target's layout with the bias folded in: input 2 is absent.
                inputs.append(try tensor(x))
                constantBytes += packed.byteSize
                model.tensors.append(packed)
                inputs.append(model.tensors.count - 1)
                packedFor = target.name
            } else {
                for v in node.inputs { inputs.append(try v.map { (v: ValueID) throws(EdgeError) in try tensor(v) }) }
            }
            if case .gather(_, let indices) = node.op {
                // The indices live in model.bin as an int32 constant input (FORMAT.md, Gather).
                var t = ModelDescription.Tensor(name: "\(node.name)/indices", dtype: .int32, shape: [indices.count])
                t.constantData = TensorData.int32(indices.map { Int32($0) }).littleEndianBytes
                constantBytes += t.byteSize
                model.tensors.append(t)
                inputs.append(model.tensors.count - 1)
            }
            var outputs: [Int] = []
            for v in node.outputs { outputs.append(try tensor(v)) }
            if let bytes = sparseConvScratchBytes(g, node) {
                // Arena scratch of the pixel-panel sparse 1x1 kernel: a second output, alive
                // during this op only (FORMAT.md, Conv2D).
                model.tensors.append(ModelDescription.Tensor(name: "\(node.name)/scratch", dtype: .int8, shape: [bytes]))
                outputs.append(model.tensors.count - 1)
                scratch.append((model.tensors.count - 1, opIndex))
            }
            model.ops.append(ModelDescription.Op(kind: kind, name: node.name, inputs: inputs, outputs: outputs,
                                                 params: try params(node)))
        }
        for v in g.outputs { model.outputs.append(try tensor(v)) }
        for (v, i) in index where model.tensors[i].constantData == nil && g[v].isConstant {
            throw internalError("value '\(g[v].name)' is both constant and written")
        }
        try plan(g, &model, index, scratch: scratch)
        model.labels = labels
        // Which CPU the packed weight layouts are for (FORMAT.md, "Packed int8 Conv2D weights").
        model.keyValues = keyValues + (packedFor.map { [("weight layouts", "packed for \($0)")] } ?? [])
        return LoweredModel(description: model, tensorIndex: index, constantBytes: constantBytes)
    }

    /// The op's parameter blob (FORMAT.md op table).
    static func params(_ node: Node) throws(EdgeError) -> [UInt8] {
        var w = ParamsWriter()
        func clamp(_ a: Activation) { w.f32(a.min); w.f32(a.max) }
        func nhwc(_ layout: Layout) throws(EdgeError) {
            if layout != .nhwc { throw internalError("\(node.label) is still \(layout.rawValue) at lowering") }
        }
        switch node.op {
        case .conv2D(let a), .depthwiseConv2D(let a, _):
            try nhwc(a.layout)
            for v in [a.strideH, a.strideW, a.dilationH, a.dilationW, a.padding.top, a.padding.left, a.padding.bottom, a.padding.right] { w.int(v) }
            clamp(a.activation)
            if case .depthwiseConv2D(_, let m) = node.op { w.int(m) }
        case .fullyConnected(let a), .add(let a), .mul(let a), .clamp(let a), .div(let a), .sub(let a):
            clamp(a)
        case .averagePool2D(let a), .maxPool2D(let a):
            try nhwc(a.layout)
            for v in [a.filterH, a.filterW, a.strideH, a.strideW, a.padding.top, a.padding.left, a.padding.bottom, a.padding.right] { w.int(v) }
            clamp(a.activation)
        case .maxPoolIndices(let a, let columnMajor):
            for v in [a.filterH, a.filterW, a.strideH, a.strideW, a.padding.top, a.padding.left, a.padding.bottom, a.padding.right] { w.int(v) }
            w.int(columnMajor ? 1 : 0)
        case .mean(let axes, let keepDims):
            w.i32(Int32(bitPattern: axes.reduce(UInt32(0)) { $0 | 1 << UInt32($1) }))
            w.int(keepDims ? 1 : 0)
        case .concatenation(let axis):
            w.int(axis)
        case .pad(let before, let after, let value):
            for d in 0..<FormatV1.maxRank { w.int(d < before.count ? before[d] : 0) }
            for d in 0..<FormatV1.maxRank { w.int(d < after.count ? after[d] : 0) }
            w.f32(value)
        case .softmax(let beta):
            w.f32(beta)
        case .transpose(let perm):
            for d in 0..<FormatV1.maxRank { w.int(d < perm.count ? perm[d] : d) }
        case .gather(let axis, _):
            w.int(axis)
        case .quantizeLinear(_, let saturate):
            // The optional flags field (FORMAT.md, kind 43), written only when it is not 0.
            if !saturate { w.int(1) }
        case .reshape, .hardSwish, .logistic, .tanh, .quantize, .dequantize, .dequantizeLinear, .sqrt:
            break
        case .batchNormalization:
            throw internalError("\(node.label) is an import-level op and cannot be lowered")
        }
        return w.bytes
    }

    /// Lifetimes and arena offsets of the arena tensors; Reshape outputs share their input's
    /// bytes (one buffer, merged lifetime) when the input is an arena tensor.
    /// Scratch bytes of a Conv2D whose int8 weights are stored block-sparse, else nil.
    static func sparseConvScratchBytes(_ g: Graph, _ node: Node) -> Int? {
        guard case .conv2D = node.op, node.inputs.count > 1, let w = node.inputs[1], let bw = g[w].sparseBlockWidth,
              case .int8(let q)? = g[w].data else { return nil }
        let rows = g[w].shape[0], columns = g[w].shape[g[w].rank - 1]
        var values = 0
        for r in 0..<rows {
            for c in 0..<(columns / bw) where (0..<bw).contains(where: { q[r * columns + c * bw + $0] != 0 }) { values += bw }
        }
        return SparseKernels.panelScratchBytes(inFeatures: columns, outFeatures: rows, valueCount: values)
    }

    static func plan(_ g: Graph, _ model: inout ModelDescription, _ index: [ValueID: Int],
                     scratch: [(tensor: Int, op: Int)] = []) throws(EdgeError) {
        let opCount = g.nodes.count
        let arena = index.filter { model.tensors[$0.value].constantData == nil }
        var first: [ValueID: Int] = [:], last: [ValueID: Int] = [:]
        for v in g.inputs { first[v] = 0; last[v] = 0 }
        for (i, node) in g.nodes.enumerated() {
            for o in node.outputs { first[o] = i; last[o] = max(last[o] ?? i, i) }
            for case let v? in node.inputs where arena[v] != nil { last[v] = max(last[v] ?? i, i) }
        }
        // Graph inputs and outputs live for the whole run: an inference never overwrites its
        // input, so repeated invocations see the same input (FORMAT.md, PLAN).
        for v in g.outputs { last[v] = opCount - 1 }
        for v in g.inputs where arena[v] != nil { first[v] = 0; last[v] = opCount - 1 }

        // Alias groups: a Reshape's output joins its input's group when both are arena
        // tensors and the group is still a single tensor (the loader accepts pairs only).
        var group: [ValueID: Int] = [:]
        var members: [[ValueID]] = []
        for v in arena.keys.sorted() {
            group[v] = members.count
            members.append([v])
        }
        for node in g.nodes {
            guard case .reshape = node.op, let x = node.inputs[0], arena[x] != nil else { continue }
            let y = node.outputs[0]
            let gx = group[x]!, gy = group[y]!
            guard members[gx].count == 1, members[gy].count == 1 else { continue }
            members[gx].append(y)
            members[gy] = []
            group[y] = gx
        }
        var buffers: [MemoryPlanner.Buffer] = []
        var bufferMembers: [[ValueID]] = []
        for m in members where !m.isEmpty {
            let f = m.map { first[$0]! }.min()!, l = m.map { last[$0]! }.max()!
            buffers.append(MemoryPlanner.Buffer(size: model.tensors[index[m[0]]!].byteSize, firstOp: f, lastOp: l))
            bufferMembers.append(m)
        }
        let valueBuffers = buffers.count
        for s in scratch { buffers.append(MemoryPlanner.Buffer(size: model.tensors[s.tensor].byteSize, firstOp: s.op, lastOp: s.op)) }
        let plan = MemoryPlanner.plan(buffers, alignment: FormatV1.tensorAlignment, overRead: FormatV1.overReadBytes)
        var entries: [PlanEntry] = []
        for (b, m) in bufferMembers.enumerated() {
            for v in m {
                model.tensors[index[v]!].arenaOffset = plan.offsets[b]
                entries.append(PlanEntry(tensor: index[v]!, firstOp: buffers[b].firstOp, lastOp: buffers[b].lastOp))
            }
        }
        for (k, s) in scratch.enumerated() {
            model.tensors[s.tensor].arenaOffset = plan.offsets[valueBuffers + k]
            entries.append(PlanEntry(tensor: s.tensor, firstOp: s.op, lastOp: s.op))
        }
        model.lifetimes = entries.sorted { $0.tensor < $1.tensor }
        model.arenaBytes = plan.arenaBytes
    }
}
