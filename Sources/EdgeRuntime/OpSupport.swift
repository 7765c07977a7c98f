import CEdgeKernels
import EdgeFormat

/// Checks shared by ops' prepare functions.
extension PrepareContext {
    /// The op's numeric mode, decided by its first input: float32 or int8.
    enum Mode { case f32, qs8 }

    func mode(of t: TensorInfo) throws(EdgeError) -> Mode {
        switch t.dtype {
        case .float32: return .f32
        case .int8: return .qs8
        default: throw unsupported("input dtype @ is not supported (float32 or int8)", text: t.dtype.name)
        }
    }

    func require(_ t: TensorInfo, _ dtype: DType, _ role: String) throws(EdgeError) {
        if t.dtype != dtype { throw unsupported("\(role) tensor \(t.index) is \(t.dtype.name), expected \(dtype.name)") }
    }

    func require(_ t: TensorInfo, rank: Int, _ role: String) throws(EdgeError) {
        if t.rank != rank { throw unsupported("@ tensor % has shape @, expected rank %", t.index, rank, text: role, text2: t.shape.text) }
    }

    /// int8 tensors must carry per-tensor quantization (activations).
    func requirePerTensor(_ t: TensorInfo, _ role: String) throws(EdgeError) {
        if t.quant.count != 1 {
            throw unsupported("@ tensor % has % quantization records, expected 1 (per-tensor)", t.index, t.quant.count, text: role)
        }
    }

    func requireSameQuant(_ a: TensorInfo, _ b: TensorInfo) throws(EdgeError) {
        if a.scale != b.scale || a.zeroPoint != b.zeroPoint {
            throw unsupported("input (scale \(a.scale), zero point \(a.zeroPoint)) and output (scale \(b.scale), zero point \(b.zeroPoint)) must share quantization")
        }
    }

    /// A fused activation range [min, max] must not be empty (nor NaN).
    @inline(never)
    func requireRange(_ min: Float, _ max: Float) throws(EdgeError) {
        if !(min <= max) { throw unsupported("activation range [\(min), \(max)] is empty") }
    }

    func requireSameShape(_ a: TensorInfo, _ b: TensorInfo) throws(EdgeError) {
        if a.shape != b.shape { throw unsupported("output shape @ differs from input shape @", text: b.shape.text, text2: a.shape.text) }
    }

    /// TFLite's fixed output quantization of Logistic/Softmax (1/256, -128) and Tanh (1/128, 0).
    func requireFixedOutput(_ t: TensorInfo, scale: Float, zeroPoint: Int32) throws(EdgeError) {
        let d = t.scale - scale
        if t.zeroPoint != zeroPoint || (d < 0 ? -d : d) > scale * 0.001 {
            throw unsupported("int8 output must have scale \(scale) and zero point \(zeroPoint) (TFLite spec), has \(t.scale) and \(t.zeroPoint)")
        }
    }

    /// The fused activation [min, max] (real units) as an int8 clamp on `output`.
    func quantizedRange(_ output: TensorInfo, min: Float, max: Float) -> (Int32, Int32) {
        var lo: Int32 = 0
        var hi: Int32 = 0
        ek_qs8_activation_range(min, max, output.scale, output.zeroPoint, &lo, &hi)
        return (lo, hi)
    }

    /// Per-channel requantization multipliers for Conv and DepthwiseConv: one (multiplier,
    /// shift) per output channel, real value input scale x weight scale[c] / output scale,
    /// computed in double as TFLite's PopulateConvolutionQuantizationParams.
    mutating func requantization(input: TensorInfo, weights: TensorInfo, output: TensorInfo, channels: Int,
                                 min: Float, max: Float) throws(EdgeError) -> ek_qs8_requant_params {
        try requirePerTensor(input, "input")
        try requirePerTensor(output, "output")
        if weights.quant.count != 1 && weights.quant.count != channels {
            throw unsupported("weights have % scales for % output channels", weights.quant.count, channels)
        }
        for q in weights.quant where q.zeroPoint != 0 {
            throw unsupported("int8 weights must be symmetric (zero point 0), found %", Int(q.zeroPoint))
        }
        let multipliers = try allocate(Int32.self, count: channels)
        let shifts = try allocate(Int32.self, count: channels)
        for c in 0..<channels {
            let w = weights.quant.count == 1 ? weights.quant[0].scale : weights.quant[c].scale
            ek_quantize_multiplier(Double(input.scale) * Double(w) / Double(output.scale), multipliers + c, shifts + c)
        }
        let range = quantizedRange(output, min: min, max: max)
        return ek_qs8_requant_params(input_zero_point: input.zeroPoint, output_zero_point: output.zeroPoint,
                                     output_min: range.0, output_max: range.1,
                                     multiplier: UnsafePointer(multipliers), shift: UnsafePointer(shifts))
    }
}
