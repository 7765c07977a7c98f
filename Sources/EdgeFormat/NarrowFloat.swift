/// Conversions between float32 and the narrow float dtypes (float16, float8e4m3fn, float8e5m2),
/// bit-exact with the ONNX specification (Cast / QuantizeLinear, "Float stored in 8 bits"):
/// round to nearest, ties to even, through subnormals. The element bits are the low 16 (float16)
/// or 8 (float8) bits of a UInt16.
public enum NarrowFloat {
    /// Exponent and mantissa widths; `infinities`: IEEE-style all-ones exponent (inf and NaNs),
    /// else only the all-ones pattern is NaN ("fn": finite, float8e4m3fn).
    struct Layout {
        var exponentBits: Int
        var mantissaBits: Int
        var infinities: Bool
        var bias: Int { (1 << (exponentBits - 1)) - 1 }
        var signBit: UInt16 { 1 << UInt16(exponentBits + mantissaBits) }
        var magnitudeMask: UInt16 { signBit - 1 }
        /// The largest finite magnitude's bits.
        var maxFinite: UInt16 { infinities ? (UInt16((1 << exponentBits) - 1) << UInt16(mantissaBits)) - 1 : magnitudeMask - 1 }
        var infinity: UInt16 { UInt16((1 << exponentBits) - 1) << UInt16(mantissaBits) }
        /// The NaN written for NaN inputs: float16's canonical quiet NaN 0x7E00; float8: all
        /// ones (0x7F, what the ONNX reference writes).
        var nan: UInt16 { exponentBits + mantissaBits == 15 ? 0x7E00 : magnitudeMask }
    }

    static func layout(_ dtype: DType) -> Layout {
        switch dtype {
        case .float16: return Layout(exponentBits: 5, mantissaBits: 10, infinities: true)
        case .float8E5M2: return Layout(exponentBits: 5, mantissaBits: 2, infinities: true)
        default: return Layout(exponentBits: 4, mantissaBits: 3, infinities: false)
        }
    }

    /// The value of `bits` in `dtype` (float16, float8E4M3FN or float8E5M2); exact.
    public static func decode(_ bits: UInt16, _ dtype: DType) -> Float {
        let l = layout(dtype)
        let negative = bits & l.signBit != 0
        let magnitude = bits & l.magnitudeMask
        let exponent = Int(magnitude >> UInt16(l.mantissaBits))
        let mantissa = Int(magnitude) & ((1 << l.mantissaBits) - 1)
        let allOnes = (1 << l.exponentBits) - 1
        var value: Float
        if l.infinities && exponent == allOnes {
            value = mantissa == 0 ? .infinity : .nan
        } else if !l.infinities && magnitude == l.magnitudeMask {
            value = .nan
        } else if exponent == 0 {
            value = Float(mantissa) * Float(sign: .plus, exponent: 1 - l.bias - l.mantissaBits, significand: 1)
        } else {
            value = Float((1 << l.mantissaBits) + mantissa) * Float(sign: .plus, exponent: exponent - l.bias - l.mantissaBits, significand: 1)
        }
        return negative ? -value : value
    }

    /// `x` rounded to nearest-even in `dtype`. NaN gives NaN. A magnitude above the largest
    /// finite value after rounding (infinity included) gives, with `saturate`, the largest
    /// finite value of that sign; without it infinity (float16, float8E5M2) or NaN
    /// (float8E4M3FN), as ONNX Cast's saturate = 0 table says. float16 ignores `saturate` (IEEE
    /// conversion: overflow to infinity). onnx 1.17's Python reference agrees everywhere except
    /// two overflow bands without saturation, where its bit arithmetic slips: e4m3fn
    /// [480, 512) gives 448 there (NaN here), e5m2 [61440, 65536) gives NaN (infinity here).
    public static func encode(_ x: Float, _ dtype: DType, saturate: Bool) -> UInt16 {
        let l = layout(dtype)
        let saturating = saturate && dtype != .float16
        let sign: UInt16 = x.sign == .minus ? l.signBit : 0
        if x.isNaN { return sign | l.nan }
        let overflow = sign | (saturating ? l.maxFinite : (l.infinities ? l.infinity : l.nan))
        if x.isInfinite { return overflow }
        let a = Double(x.magnitude)
        if a == 0 { return sign }
        let minExponent = 1 - l.bias
        var e = Swift.max(Int(a.exponent), minExponent)
        // a / quantum and q * quantum are exact in Double: powers of two, far from its limits.
        var quantum = Double(sign: .plus, exponent: e - l.mantissaBits, significand: 1)
        var q = Int((a / quantum).rounded(.toNearestOrEven))
        let implicit = 1 << l.mantissaBits
        if q == 2 * implicit {
            q = implicit
            e += 1
            quantum *= 2
        }
        if Double(q) * quantum > Double(decode(l.maxFinite, dtype)) { return overflow }
        if q < implicit { return sign | UInt16(q) } // subnormal (or zero), e == minExponent
        return sign | UInt16(e + l.bias) << UInt16(l.mantissaBits) | UInt16(q - implicit)
    }
}
