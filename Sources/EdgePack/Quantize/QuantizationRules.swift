import EdgeFormat

/// Parameter choices of the TFLite int8 quantization spec, as the TFLite converter makes them.
public enum QuantizationRules {
    /// Asymmetric int8 activation parameters for a calibrated range. The range is widened to
    /// include 0 (so zero padding is exact) and the zero point nudged to an integer
    /// (`tflite::ChooseQuantizationParams`).
    public static func activation(_ range: ValueRange) -> Quantization {
        var lo = Double(min(range.min, 0)), hi = Double(max(range.max, 0))
        if !(lo.isFinite && hi.isFinite) || hi - lo < 1e-12 {
            // A constant-zero (or never observed) tensor: any scale represents it.
            lo = 0
            hi = 1
        }
        let qmin = -128.0, qmax = 127.0
        let scale = (hi - lo) / (qmax - qmin)
        let fromMin = qmin - lo / scale, fromMax = qmax - hi / scale
        let errorMin = abs(qmin) + abs(lo / scale), errorMax = abs(qmax) + abs(hi / scale)
        let zero = errorMin < errorMax ? fromMin : fromMax
        let nudged = zero < qmin ? qmin : (zero > qmax ? qmax : zero.rounded(.toNearestOrAwayFromZero))
        return Quantization(scale: Float(scale), zeroPoint: Int32(nudged))
    }

    /// Fixed output parameters of ops whose int8 output range the spec prescribes.
    public static func fixedOutput(of op: Op) -> Quantization? {
        switch op {
        case .logistic, .softmax: return Quantization(scale: 1.0 / 256, zeroPoint: -128)
        case .tanh: return Quantization(scale: 1.0 / 128, zeroPoint: 0)
        default: return nil
        }
    }

    /// Ops whose int8 output must carry the input's parameters (they move or select values
    /// without rescaling them; TFLite requires it for pools).
    public static func sharesInputParameters(_ op: Op) -> Bool {
        switch op {
        case .maxPool2D, .averagePool2D, .reshape, .transpose, .pad, .gather: return true
        default: return false
        }
    }

    /// Per-channel symmetric int8 weights along `axis`: scale = max|w| / 127, zero point 0,
    /// values in [-127, 127].
    public static func weights(_ w: [Float], shape: [Int], axis: Int) -> (data: [Int8], quantization: Quantization) {
        let channels = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var maxAbs = [Float](repeating: 0, count: channels)
        for (i, x) in w.enumerated() {
            let c = (i / inner) % channels
            maxAbs[c] = max(maxAbs[c], abs(x))
        }
        let scales = maxAbs.map { $0 > 0 ? $0 / 127 : 1 }
        let data = w.enumerated().map { i, x -> Int8 in
            let q = (x / scales[(i / inner) % channels]).rounded(.toNearestOrAwayFromZero)
            return Int8(max(-127, min(127, q)))
        }
        return (data, Quantization(scales: scales, zeroPoints: [Int32](repeating: 0, count: channels), axis: axis))
    }

    /// int32 bias with scale input scale x weight scale[c], zero point 0.
    public static func bias(_ b: [Float], inputScale: Float, weightScales: [Float]) -> (data: [Int32], quantization: Quantization) {
        let scales = b.indices.map { inputScale * weightScales[weightScales.count == 1 ? 0 : $0] }
        let data = b.indices.map { c -> Int32 in
            let q = (Double(b[c]) / Double(scales[c])).rounded(.toNearestOrAwayFromZero)
            return Int32(max(Double(Int32.min), min(Double(Int32.max), q)))
        }
        return (data, Quantization(scales: scales, zeroPoints: [Int32](repeating: 0, count: b.count), axis: 0))
    }

    /// Asymmetric int8 data for a constant activation-like operand (Add/Mul/Concatenation).
    public static func constant(_ values: [Float], _ q: Quantization) -> [Int8] {
        values.map { x in
            let v = (x / q.scale).rounded(.toNearestOrAwayFromZero) + Float(q.zeroPoint)
            return Int8(max(-128, min(127, v)))
        }
    }
}
