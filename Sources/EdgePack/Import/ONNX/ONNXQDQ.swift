import EdgeFormat

/// QuantizeLinear / DequantizeLinear as ONNX Runtime's `quantize_static` (QDQ format) and
/// PyTorch export write them. The float graph keeps real numbers: DequantizeLinear of a
/// constant (weights, int32 biases) folds to float; a QuantizeLinear -> DequantizeLinear pair on
/// an activation becomes a Clamp to its quantized range (its saturation; the rounding is what
/// int8 packing then does) carrying the range (`Value.sourceRange`), so int8 packing gives the
/// activation the model's own parameters and runs native int8 ops.
/// A quantized tensor used any other way (a graph output, an op other than
/// DequantizeLinear) is rejected: the runtime's graph inputs and outputs are float32 or int8.
extension ONNXContext {
    func quantizedUse(_ name: String, _ object: String) -> EdgeError {
        EdgeError(.unsupported, object: object,
                  problem: "uses '\(name)', the quantized output of a QuantizeLinear, other than through a DequantizeLinear",
                  fix: "edgepack reads QuantizeLinear only in QDQ pairs (onnxruntime quantize_static, QuantFormat.QDQ); pack the float model with --quantize int8 instead")
    }

    /// Per-tensor or per-axis scale and zero point of a Q/DQ node, and the integer range of its
    /// quantized type (int8 or uint8).
    func qdqParameters(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, rank: Int)
        throws(EdgeError) -> (scales: [Float], zeroPoints: [Int], axis: Int, qmin: Int, qmax: Int) {
        if try attributes.int("block_size", default: 0) != 0 { throw unsupported(node, "blocked quantization (block_size) is not supported") }
        if try attributes.int("saturate", default: 1) != 1 { throw unsupported(node, "attribute saturate = 0 is not supported") }
        attributes.ignore("output_dtype")
        var axis = try attributes.int("axis", default: 1)
        if axis < 0 { axis += rank }
        let scale = try constantInput(node, 1, "scale")
        let scales = scale.asFloats
        var zeroPoints = [Int](repeating: 0, count: scales.count)
        var type = Onnx_TensorProto.DataType.uint8.rawValue
        if hasInput(node, 2) {
            let zp = try constantInput(node, 2, "zero_point")
            guard zp.count == scales.count else { throw unsupported(node, "zero point has \(zp.count) values for \(scales.count) scales") }
            zeroPoints = zp.asInts
            type = Int(zp.dataType)
        }
        let (qmin, qmax): (Int, Int)
        switch type {
        case Onnx_TensorProto.DataType.int8.rawValue: (qmin, qmax) = (-128, 127)
        case Onnx_TensorProto.DataType.uint8.rawValue: (qmin, qmax) = (0, 255)
        case Onnx_TensorProto.DataType.int32.rawValue where node.opType == "DequantizeLinear": (qmin, qmax) = (Int(Int32.min), Int(Int32.max))
        default:
            let name = Onnx_TensorProto.DataType(rawValue: type).map { "\($0)" } ?? "\(type)"
            throw unsupported(node, "quantized type \(name) is not supported (int8, uint8)")
        }
        guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw unsupported(node, "scales \(scales) must be positive") }
        if scales.count > 1 && (axis < 0 || axis >= rank) { throw unsupported(node, "axis \(axis) is outside rank \(rank)") }
        return (scales, zeroPoints, axis, qmin, qmax)
    }

    /// Whether `v` is >= 0 by construction (a clamp at >= 0, Logistic, Softmax, or a pool,
    /// mean or data movement of such values), so a Relu before it would change nothing.
    func isNonNegative(_ v: ValueID) -> Bool {
        guard let node = graph.nodes.last(where: { $0.outputs.contains(v) }) else { return false }
        switch node.op {
        case .logistic, .softmax: return true
        case .maxPool2D, .averagePool2D, .mean, .reshape, .transpose, .gather, .concatenation:
            if let a = node.op.activation, a.min >= 0 { return true }
            return node.inputs.allSatisfy { $0.map { isNonNegative($0) } ?? true }
        default:
            if let a = node.op.activation, a.min >= 0 { return true }
            return false
        }
    }

    mutating func convertQuantizeLinear(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let x = try input(node, 0)
        if graph[x].isConstant {
            throw unsupported(node, "quantizes a constant at run time", fix: "store the weights quantized (QDQ: DequantizeLinear of an int8 initializer)")
        }
        // Per-tensor int8/uint8: a QDQ pair when a DequantizeLinear reads it (else standalone,
        // on first other use); anything else runs standalone now.
        guard let p = try? qdqParameters(node, attributes, rank: shape(x).count), p.scales.count == 1 else {
            attributes.ignore("axis", "block_size", "saturate", "output_dtype")
            try quantizeStandalone(node, i)
            return
        }
        pendingQuantize[node.output[0]] = (node, i)
        let s = p.scales[0], z = Float(p.zeroPoints[0])
        quantizedOutputs[node.output[0]] = (x, ValueRange(min: (Float(p.qmin) - z) * s, max: (Float(p.qmax) - z) * s))
    }

    mutating func convertDequantizeLinear(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ i: Int) throws(EdgeError) {
        let name = node.input[0]
        if let q = quantizedOutputs[name] {
            let p = try qdqParameters(node, attributes, rank: shape(q.id).count)
            let s = p.scales[0], z = Float(p.zeroPoints[0])
            let range = ValueRange(min: (Float(p.qmin) - z) * s, max: (Float(p.qmax) - z) * s)
            guard p.scales.count == 1, range == q.range else {
                throw unsupported(node, "dequantizes '\(name)' with other parameters than its QuantizeLinear")
            }
            if graph[q.id].sourceRange == nil { graph[q.id].sourceRange = range }
            // A range starting at 0 stands for a Relu (or Clip) the quantizer dropped: a Clamp
            // keeps it in float (fused into the producer it costs nothing). Other ranges are
            // calibrated min/max, whose saturation the int8 model applies by itself.
            guard range.min >= 0 && !isNonNegative(q.id) else {
                define(node, q.id)
                return
            }
            let clamped = try emit(.clamp(Activation(min: range.min, max: range.max)), [q.id], node, index: i)
            graph[clamped].sourceRange = range
            define(node, clamped)
            return
        }
        guard let c = constant(name) else {
            if case .value(let id)? = tensors[name], graph[id].dtype != .float32 {
                attributes.ignore("axis", "block_size", "saturate", "output_dtype")
                define(node, try linearQuantization(node, id, quantize: false, i))
                return
            }
            throw unsupported(node, "dequantizes '\(name)', which is neither a constant, an integer input nor a QuantizeLinear output")
        }
        let p = try qdqParameters(node, attributes, rank: c.dims.count)
        // float8 constants decode to their values (zero point 0); integers subtract in integers.
        let float8 = c.dataType == Int32(Onnx_TensorProto.DataType.float8E4M3Fn.rawValue) || c.dataType == Int32(Onnx_TensorProto.DataType.float8E5M2.rawValue)
        if float8 && p.zeroPoints.contains(where: { $0 != 0 }) { throw unsupported(node, "float8 zero point is not 0", fix: "use 0") }
        let q = float8 ? [] : c.asInts
        var real = [Float](repeating: 0, count: c.count)
        let inner = p.scales.count > 1 ? c.dims[(p.axis + 1)...].reduce(1, *) : 1
        for k in real.indices {
            let ch = p.scales.count > 1 ? (k / inner) % c.dims[p.axis] : 0
            real[k] = float8 ? c.floats![k] * p.scales[ch] : Float(q[k] - p.zeroPoints[ch]) * p.scales[ch]
        }
        define(node, constant: ONNXConstant(dims: c.dims, floats: real))
    }
}
