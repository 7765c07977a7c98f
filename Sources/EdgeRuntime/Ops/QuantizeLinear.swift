import CEdgeKernels
import EdgeFormat

/// ONNX QuantizeLinear: inputs x (float32), scale and zero point (float32 constants of one
/// shape broadcasting to x, rank <= 4); output int8, uint8, int16 or int32:
/// saturate(round_half_to_even(x / scale) + zero point). No params.
enum QuantizeLinear {
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
        switch dtype {
        case .int8: run(s, a, b, out, Int8.self)
        case .uint8: run(s, a, b, out, UInt8.self)
        case .int16: run(s, a, b, out, Int16.self)
        case .uint16: run(s, a, b, out, UInt16.self)
        case .int32: run(s, a, b, out, Int32.self)
        case .float32, .bool, .int64: break
        }
    }

    private func run<T: FixedWidthInteger>(_ s: ek_binary_shape, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer,
                                           _ out: UnsafeMutableRawPointer, _: T.Type) {
        let scale = b.assumingMemoryBound(to: Float.self)
        let (d0, d1, d2, d3) = (Int(s.dims.0), Int(s.dims.1), Int(s.dims.2), Int(s.dims.3))
        let (a0, a1, a2, a3) = (Int(s.a_strides.0), Int(s.a_strides.1), Int(s.a_strides.2), Int(s.a_strides.3))
        let (b0, b1, b2, b3) = (Int(s.b_strides.0), Int(s.b_strides.1), Int(s.b_strides.2), Int(s.b_strides.3))
        // Bounds in double: Int32's are not float32 values.
        let lo = Double(T.min), hi = Double(T.max)
        var n = 0
        for i0 in 0..<d0 {
            for i1 in 0..<d1 {
                for i2 in 0..<d2 {
                    for i3 in 0..<d3 {
                        let ia = i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3
                        let ib = i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3
                        if quantize {
                            let q = (a.assumingMemoryBound(to: Float.self)[ia] / scale[ib]).rounded(.toNearestOrEven)
                            let v = Double(q) + Double(zeroPoint[ib])
                            // NaN saturates to 0, as ONNX Runtime's conversion does not define it.
                            let clamped = v.isNaN ? 0 : Swift.min(Swift.max(v, lo), hi)
                            out.assumingMemoryBound(to: T.self)[n] = T(clamped)
                        } else {
                            let q = a.assumingMemoryBound(to: T.self)[ia]
                            let diff = Int64(q) - Int64(zeroPoint[ib])
                            out.assumingMemoryBound(to: Float.self)[n] = Float(diff) * scale[ib]
                        }
                        n += 1
                    }
                }
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
