import CEdgeKernels
import EdgeFormat

/// ONNX QuantizeLinear: inputs x (float32), scale and zero point (float32 constants of one
/// shape broadcasting to x, rank <= 4); output int8, uint8, int16 or int32:
/// saturate(round_half_to_even(x / scale) + zero point). No params.
enum QuantizeLinear {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.linearQuantization(quantize: true)
    }
}

/// The arithmetic of QuantizeLinear and DequantizeLinear on the broadcast shape of
/// `BinaryCall` (a = x, b = scale; the zero point has the scale's strides).
struct LinearQuantization {
    var quantize: Bool
    /// The integer side's dtype.
    var dtype: DType
    var zeroPoint: UnsafePointer<Float>

    func execute(_ s: ek_binary_shape, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ out: UnsafeMutableRawPointer) {
        let scale = b.assumingMemoryBound(to: Float.self)
        // Bounds in double: Int32's are not float32 values.
        let range = dtype.integerRange
        let lo = Double(range.min), hi = Double(range.max)
        s.forEach { n, ia, ib in
            if quantize {
                let q = (a.assumingMemoryBound(to: Float.self)[ia] / scale[ib]).rounded(.toNearestOrEven)
                let v = Double(q) + Double(zeroPoint[ib])
                // NaN saturates to 0, as ONNX Runtime's conversion does not define it.
                let clamped = v.isNaN ? 0 : Swift.min(Swift.max(v, lo), hi)
                dtype.storeInteger(Int64(clamped), out, n)
            } else {
                let diff = dtype.loadInteger(a, ia) - Int64(zeroPoint[ib])
                out.assumingMemoryBound(to: Float.self)[n] = Float(diff) * scale[ib]
            }
        }
    }
}

extension PrepareContext {
    /// Checks QuantizeLinear / DequantizeLinear operands and returns the prepared op.
    func linearQuantization(quantize: Bool) throws(EdgeError) -> PreparedOp {
        let zeroPoint = try input(2)
        let (x, scale, out, shape) = try broadcastOperands(inputs: 3)
        let integer = quantize ? out : x
        try require(quantize ? x : out, .float32, quantize ? "input" : "output")
        if !integer.dtype.isPlainInteger { throw unsupported("\(quantize ? "output" : "input") tensor \(integer.index) must be an integer tensor") }
        try require(scale, .float32, "scale")
        try require(zeroPoint, .float32, "zero point")
        if out.shape != x.shape { throw unsupported("output shape \(out.shape.text) differs from input shape \(x.shape.text)") }
        if zeroPoint.shape != scale.shape || scale.record.storage != .constant || zeroPoint.record.storage != .constant {
            throw unsupported("scale \(scale.shape.text) and zero point \(zeroPoint.shape.text) must be constants of one shape")
        }
        if x.isQuantized || out.isQuantized { throw unsupported("QuantizeLinear/DequantizeLinear tensors carry no quantization records") }
        let zp = UnsafePointer(zeroPoint.f32())
        for i in 0..<zeroPoint.shape.elementCount where zp[i] != zp[i].rounded() || !zp[i].isFinite {
            throw unsupported("zero point element \(i) is \(zp[i]), expected an integer")
        }
        return .binary(BinaryCall(shape: shape, a: UnsafeRawPointer(x.data), b: UnsafeRawPointer(scale.data), output: out.data,
                                  kernel: .linear(LinearQuantization(quantize: quantize, dtype: integer.dtype, zeroPoint: zp))))
    }
}
