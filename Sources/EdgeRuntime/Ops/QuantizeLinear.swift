import CEdgeKernels
import EdgeFormat

/// ONNX QuantizeLinear: inputs x (float32 or float16), scale and zero point (float32 constants
/// of one shape broadcasting to x, rank <= 4); output int4, uint4, int8, uint8, int16, uint16
/// (saturate(round_half_to_even(x / scale) + zero point)) or float8e4m3fn, float8e5m2
/// (x / scale rounded to nearest-even, saturating to the largest finite value; zero point 0).
/// A float16 x is divided in float16 precision, as ONNX does. Optional params: flags (bit 0:
/// float8 without saturation, overflow gives NaN for e4m3fn and infinity for e5m2).
enum QuantizeLinear {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        let flags = c.params.count > 0 ? c.params.int(0) : 0
        if flags & ~1 != 0 { throw c.unsupported("flags % has unknown bits (known: 1, no saturation)", flags) }
        return try c.linearQuantization(quantize: true, saturate: flags & 1 == 0)
    }
}

/// The arithmetic of QuantizeLinear and DequantizeLinear on the broadcast shape of
/// `BinaryCall` (a = x, b = scale; the zero point has the scale's strides).
struct LinearQuantization {
    var quantize: Bool
    /// The quantized side's dtype (an integer or a float8 dtype).
    var dtype: DType
    /// The real side's dtype (float32 or float16).
    var real: DType
    var zeroPoint: UnsafePointer<Float>
    /// float8 outputs: clamp overflow to the largest finite value (ONNX saturate = 1).
    var saturate: Bool

    func execute(_ s: ek_binary_shape, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ out: UnsafeMutableRawPointer) {
        let scale = b.assumingMemoryBound(to: Float.self)
        // Bounds in double: Int32's are not float32 values.
        let range = dtype.integerRange
        let lo = Double(range.min), hi = Double(range.max)
        let float8 = dtype.isNarrowFloat
        s.forEach { n, ia, ib in
            if quantize {
                var x = real == .float16 ? NarrowFloat.decode(a.assumingMemoryBound(to: UInt16.self)[ia], .float16)
                                         : a.assumingMemoryBound(to: Float.self)[ia]
                x /= scale[ib]
                if real == .float16 { x = NarrowFloat.decode(NarrowFloat.encode(x, .float16, saturate: false), .float16) }
                if float8 {
                    out.assumingMemoryBound(to: UInt8.self)[n] = UInt8(truncatingIfNeeded: NarrowFloat.encode(x, dtype, saturate: saturate))
                    return
                }
                let v = Double(x.rounded(.toNearestOrEven)) + Double(zeroPoint[ib])
                // NaN saturates to 0, as ONNX Runtime's conversion does not define it.
                let clamped = v.isNaN ? 0 : Swift.min(Swift.max(v, lo), hi)
                dtype.storeInteger(Int64(clamped), out, n)
            } else {
                let y: Float
                if float8 {
                    y = NarrowFloat.decode(UInt16(a.assumingMemoryBound(to: UInt8.self)[ia]), dtype) * scale[ib]
                } else {
                    y = Float(dtype.loadInteger(a, ia) - Int64(zeroPoint[ib])) * scale[ib]
                }
                if real == .float16 {
                    out.assumingMemoryBound(to: UInt16.self)[n] = NarrowFloat.encode(y, .float16, saturate: false)
                } else {
                    out.assumingMemoryBound(to: Float.self)[n] = y
                }
            }
        }
    }
}

extension PrepareContext {
    /// Checks QuantizeLinear / DequantizeLinear operands and returns the prepared op.
    func linearQuantization(quantize: Bool, saturate: Bool = true) throws(EdgeError) -> PreparedOp {
        let zeroPoint = try input(2)
        let (x, scale, out, shape) = try broadcastOperands(inputs: 3)
        let integer = quantize ? out : x, real = quantize ? x : out
        if real.dtype != .float32 && real.dtype != .float16 {
            throw unsupported("@ tensor % is @, expected float32 or float16", real.index, text: quantize ? "input" : "output", text2: real.dtype.name)
        }
        let float8 = integer.dtype == .float8E4M3FN || integer.dtype == .float8E5M2
        if !(integer.dtype.isPlainInteger || integer.dtype == .int4 || integer.dtype == .uint4 || float8) {
            throw unsupported("@ tensor % is @, expected an integer or float8 tensor", integer.index, text: quantize ? "output" : "input", text2: integer.dtype.name)
        }
        if quantize && integer.dtype == .int32 { throw unsupported("QuantizeLinear to int32 is not defined by ONNX") }
        if !saturate && !float8 { throw unsupported("no-saturation flag on a @ output; it applies to float8 only", text: integer.dtype.name) }
        try require(scale, .float32, "scale")
        try require(zeroPoint, .float32, "zero point")
        if out.shape != x.shape { throw unsupported("output shape @ differs from input shape @", text: out.shape.text, text2: x.shape.text) }
        if zeroPoint.shape != scale.shape || scale.record.storage != .constant || zeroPoint.record.storage != .constant {
            throw unsupported("scale @ and zero point @ must be constants of one shape", text: scale.shape.text, text2: zeroPoint.shape.text)
        }
        if x.isQuantized || out.isQuantized { throw unsupported("QuantizeLinear/DequantizeLinear tensors carry no quantization records") }
        let zp = UnsafePointer(zeroPoint.f32())
        for i in 0..<zeroPoint.shape.elementCount where zp[i] != zp[i].rounded() || !zp[i].isFinite || (float8 && zp[i] != 0) {
            throw unsupported("zero point element \(i) is \(zp[i]), expected \(float8 ? "0 (float8 has no zero point)" : "an integer")")
        }
        return .binary(BinaryCall(shape: shape, a: UnsafeRawPointer(x.data), b: UnsafeRawPointer(scale.data), output: out.data,
                                  kernel: .linear(LinearQuantization(quantize: quantize, dtype: integer.dtype, real: real.dtype, zeroPoint: zp, saturate: saturate))))
    }
}
