import CEdgeKernels
import EdgeFormat

struct FullyConnectedCall {
    var shape: ek_fc_shape
    var input: UnsafeRawPointer
    var weights: UnsafeRawPointer
    var bias: UnsafeRawPointer?
    var output: UnsafeMutableRawPointer
    var min: Float
    var max: Float
    var requant: ek_qs8_fc_params
    var f32: KernelTable.F32FC?
    var qs8: KernelTable.QS8FC?
    var kernelName: StaticString
    /// Dynamic-range layer (float32 activations, int8 weights): the weights' scale and the
    /// scratch for the quantized input.
    var hybridScale: Float = 0
    var hybridScratch: UnsafeMutablePointer<Int8>? = nil
    /// Per-output-feature weight scales (edgepack --dynamic); nil: `hybridScale` for all.
    var hybridScales: UnsafeMutablePointer<Float>? = nil

    func execute() {
        withUnsafePointer(to: shape) { shape in
            if let hybridScratch, let hybridScales {
                ek_qd8_f32_qc8w_fc_minmax_1x1__ref(shape, hybridScales, input.assumingMemoryBound(to: Float.self),
                                                   weights.assumingMemoryBound(to: Int8.self), bias?.assumingMemoryBound(to: Float.self),
                                                   hybridScratch, output.assumingMemoryBound(to: Float.self), min, max)
            } else if let hybridScratch {
                ek_qd8_f32_qs8w_fc_minmax_1x1__ref(shape, hybridScale, input.assumingMemoryBound(to: Float.self),
                                                   weights.assumingMemoryBound(to: Int8.self), bias?.assumingMemoryBound(to: Float.self),
                                                   hybridScratch, output.assumingMemoryBound(to: Float.self), min, max)
            } else if let f32 {
                f32(shape, input.assumingMemoryBound(to: Float.self), weights.assumingMemoryBound(to: Float.self),
                    bias?.assumingMemoryBound(to: Float.self), output.assumingMemoryBound(to: Float.self), min, max)
            } else if let qs8 {
                withUnsafePointer(to: requant) { requant in
                    qs8(shape, requant, input.assumingMemoryBound(to: Int8.self), weights.assumingMemoryBound(to: Int8.self),
                        bias?.assumingMemoryBound(to: Int32.self), output.assumingMemoryBound(to: Int8.self))
                }
            }
        }
    }
}

/// FullyConnected: input [..., in] (all leading dims are the batch), weights [out, in],
/// optional bias [out]; params min, max. Output [batch, out] (or any shape of that size).
enum FullyConnected {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 2...3, outputs: 1)
        let input = try c.input(0), weights = try c.input(1), output = c.output(0), bias = c.optionalInput(2)
        try c.require(weights, rank: 2, "weights")
        let outFeatures = Int(weights.dim(0)), inFeatures = Int(weights.dim(1))
        let elements = input.shape.elementCount
        if elements % inFeatures != 0 {
            throw c.unsupported("input @ is not a whole number of rows of % features", Int(inFeatures), text: input.shape.text)
        }
        let batch = elements / inFeatures
        if output.shape.elementCount != batch * outFeatures {
            throw c.unsupported("output @ should hold % x % elements", Int(batch), Int(outFeatures), text: output.shape.text)
        }
        if let bias, bias.shape.elementCount != outFeatures {
            throw c.unsupported("bias has % elements for % outputs", bias.shape.elementCount, Int(outFeatures))
        }
        let p = c.params
        let min = p.f32(0), max = p.f32(1)
        try c.requireRange(min, max)
        var call = FullyConnectedCall(
            shape: ek_fc_shape(batch: Int32(batch), in_features: Int32(inFeatures), out_features: Int32(outFeatures)),
            input: UnsafeRawPointer(input.data), weights: UnsafeRawPointer(weights.data),
            bias: bias.map { UnsafeRawPointer($0.data) }, output: output.data, min: min, max: max,
            requant: ek_qs8_fc_params(), f32: nil, qs8: nil, kernelName: "")
        if weights.record.layout == SparseWeights.layout {
            return try SparseMatMul.fullyConnected(&c, input: input, weights: weights, bias: bias, output: output,
                                                   shape: call.shape, min: min, max: max)
        }
        switch try c.mode(of: input) {
        case .f32 where weights.dtype == .int8:
            // TFLite's dynamic-range FULLY_CONNECTED (symmetric input quantization, ek_hybrid.h).
            try c.require(output, .float32, "output")
            if let bias { try c.require(bias, .float32, "bias") }
            call.hybridScales = try c.hybridScales(weights, channels: outFeatures)
            call.hybridScale = weights.scale
            call.hybridScratch = try c.allocate(Int8.self, count: elements)
            call.kernelName = call.hybridScales == nil ? "ek_qd8_f32_qs8w_fc_minmax_1x1__ref" : "ek_qd8_f32_qc8w_fc_minmax_1x1__ref"
        case .f32:
            try c.require(weights, .float32, "weights")
            try c.require(output, .float32, "output")
            if let bias { try c.require(bias, .float32, "bias") }
            call.f32 = c.kernels.f32FullyConnected.function
            call.kernelName = c.kernels.f32FullyConnected.name
        case .qs8:
            try c.require(weights, .int8, "weights")
            try c.require(output, .int8, "output")
            if let bias { try c.require(bias, .int32, "bias") }
            if weights.quant.count > 1 && weights.record.quantizedDimension != 0 {
                throw c.unsupported("per-channel weight scales must run along axis 0 (output features)")
            }
            call.requant = try c.fullyConnectedRequantization(input: input, weights: weights, output: output,
                                                              outFeatures: outFeatures, min: min, max: max)
            call.qs8 = c.kernels.qs8FullyConnected.function
            call.kernelName = c.kernels.qs8FullyConnected.name
        }
        if weights.record.layout == PackedWeights.neonFCLayout {
            // FORMAT.md "Packed int8 FullyConnected weights for NEON": the folded bias lives in the weights.
            try c.requirePackedWeights(int8: call.qs8 != nil, bias: bias, layout: PackedWeights.neonFCLayout, text: "fully connected")
            call.bias = UnsafeRawPointer(weights.data) + PackedWeights.biasOffset(layout: PackedWeights.neonFCLayout, shape: weights.shape)
            call.qs8 = c.kernels.qs8PackedFullyConnected.function
            call.kernelName = c.kernels.qs8PackedFullyConnected.name
        }
        return .fullyConnected(call)
    }
}

extension PrepareContext {
    /// TFLite's FULLY_CONNECTED int8 requantizes with a double scale per output feature
    /// (input scale x weight scale / output scale), not a fixed-point multiplier.
    mutating func fullyConnectedRequantization(input: TensorInfo, weights: TensorInfo, output: TensorInfo,
                                               outFeatures: Int, min: Float, max: Float) throws(EdgeError) -> ek_qs8_fc_params {
        try requirePerTensor(input, "input")
        try requirePerTensor(output, "output")
        // The int8 spec's range; the SIMD kernels rely on it (x - zero point fits int16).
        if input.zeroPoint < -128 || input.zeroPoint > 127 {
            throw unsupported("int8 input zero point % is outside [-128, 127]", Int(input.zeroPoint))
        }
        if weights.quant.count != 1 && weights.quant.count != outFeatures {
            throw unsupported("weights have % scales for % output features", weights.quant.count, Int(outFeatures))
        }
        for q in weights.quant where q.zeroPoint != 0 {
            throw unsupported("int8 weights must be symmetric (zero point 0), found %", Int(q.zeroPoint))
        }
        let filterScales = try allocate(Float.self, count: outFeatures)
        for c in 0..<outFeatures { filterScales[c] = weights.quant[weights.quant.count == 1 ? 0 : c].scale }
        let scales = try allocate(Double.self, count: outFeatures)
        ek_qs8_fc_prepare(outFeatures, input.scale, filterScales, output.scale, scales)
        let (lo, hi) = quantizedRange(output, min: min, max: max)
        return ek_qs8_fc_params(input_zero_point: input.zeroPoint, output_zero_point: output.zeroPoint,
                                output_min: lo, output_max: hi, scale: UnsafePointer(scales))
    }
}

extension PrepareContext {
    /// Checks dynamic-range weights (symmetric int8, one scale or one per output channel along
    /// axis 0) and returns the per-channel scales as the kernel reads them, or nil for one scale.
    mutating func hybridScales(_ weights: TensorInfo, channels: Int) throws(EdgeError) -> UnsafeMutablePointer<Float>? {
        let count = weights.quant.count
        if count != 1 && (count != channels || weights.record.quantizedDimension != 0) {
            throw unsupported("dynamic-range int8 weights need one scale or one per output channel on axis 0, found % scales on axis %", count, Int(weights.record.quantizedDimension))
        }
        for q in weights.quant where q.zeroPoint != 0 {
            throw unsupported("dynamic-range int8 weights need zero point 0, found %", Int(q.zeroPoint))
        }
        if count == 1 { return nil }
        let scales = try allocate(Float.self, count: count)
        for (i, q) in weights.quant.enumerated() { scales[i] = q.scale }
        return scales
    }
}
