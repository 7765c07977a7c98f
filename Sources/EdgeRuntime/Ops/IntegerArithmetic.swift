import CEdgeKernels
import EdgeFormat

/// Plain integer arithmetic (ONNX semantics) on tensors that carry no quantization: int8,
/// uint8, int16, uint16 and int32 graph values of models whose inputs are integers. Add, Sub and
/// Mul wrap around (two's complement, as numpy and ONNX Runtime compute uint8 + uint8); Div
/// truncates toward zero, a zero divisor (undefined in ONNX) gives 0, and the one overflowing
/// quotient, min / -1, wraps to min. The fused clamp [min, max] applies after, rounded inward
/// to integers.
struct IntegerArithmetic {
    enum Operation { case add, sub, mul, div, clamp }

    var operation: Operation
    var dtype: DType
    /// Inclusive clamp bounds, already within the dtype's range.
    var lo: Int32
    var hi: Int32

    /// One element: computed in Int64 (exact for every operand pair of a dtype up to 32 bits),
    /// wrapped into the dtype, then clamped.
    func apply(_ x: Int64, _ y: Int64) -> Int64 {
        let r: Int64
        switch operation {
        case .add: r = x + y
        case .sub: r = x - y
        case .mul: r = x * y
        // Int64 division truncates toward zero; min / -1 becomes -min, which wraps back to min.
        case .div: r = y == 0 ? 0 : x / y
        case .clamp: r = x
        }
        return Swift.min(Swift.max(dtype.wrapInteger(r), Int64(lo)), Int64(hi))
    }

    /// Runs on the broadcast shape of `BinaryCall` (the clamp passes `b` = `a`).
    func execute(_ s: ek_binary_shape, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ out: UnsafeMutableRawPointer) {
        s.forEach { n, ia, ib in
            dtype.storeInteger(apply(dtype.loadInteger(a, ia), dtype.loadInteger(b, ib)), out, n)
        }
    }
}

extension ek_binary_shape {
    /// Calls `body(n, ia, ib)` for every output element n in order, with the element indices
    /// of both operands.
    func forEach(_ body: (Int, Int, Int) -> Void) {
        let (d0, d1, d2, d3) = (Int(dims.0), Int(dims.1), Int(dims.2), Int(dims.3))
        let (a0, a1, a2, a3) = (Int(a_strides.0), Int(a_strides.1), Int(a_strides.2), Int(a_strides.3))
        let (b0, b1, b2, b3) = (Int(b_strides.0), Int(b_strides.1), Int(b_strides.2), Int(b_strides.3))
        var n = 0
        for i0 in 0..<d0 {
            for i1 in 0..<d1 {
                for i2 in 0..<d2 {
                    for i3 in 0..<d3 {
                        body(n, i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3, i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3)
                        n += 1
                    }
                }
            }
        }
    }
}

private extension Int32 {
    /// A dtype bound as an integer (2^31 stands for Int32.max).
    init(bound: Float) { self = bound >= 2147483648 ? .max : Int32(bound) }
}

extension PrepareContext {
    /// The integer form of Add, Sub, Mul, Div or Clamp when input 0 is an unquantized integer
    /// tensor; nil for float32 and quantized int8 (the op's own kernels).
    func integerArithmetic(_ operation: IntegerArithmetic.Operation) throws(EdgeError) -> PreparedOp? {
        let a = try input(0)
        guard a.dtype.isPlainInteger && !a.isQuantized else { return nil }
        let (lo, hi) = try integerBounds(a.dtype, min: params.f32(0), max: params.f32(1))
        let kernel = IntegerArithmetic(operation: operation, dtype: a.dtype, lo: lo, hi: hi)
        if operation == .clamp {
            try expectArity(inputs: 1...1, outputs: 1)
            let out = output(0)
            try requireSameShape(a, out)
            try require(out, a.dtype, "output")
            if out.isQuantized { throw unsupported("output tensor % of an integer clamp must not be quantized", out.index) }
            let n = Int32(a.shape.elementCount)
            let shape = ek_binary_shape(dims: (1, 1, 1, n), a_strides: (0, 0, 0, 1), b_strides: (0, 0, 0, 1))
            return .binary(BinaryCall(shape: shape, a: UnsafeRawPointer(a.data), b: UnsafeRawPointer(a.data), output: out.data,
                                      kernel: .integer(kernel)))
        }
        let (x, y, out, shape) = try broadcastOperands()
        try require(y, x.dtype, "second input")
        try require(out, x.dtype, "output")
        if y.isQuantized || out.isQuantized { throw unsupported("integer arithmetic tensors must not be quantized") }
        return .binary(BinaryCall(shape: shape, a: UnsafeRawPointer(x.data), b: UnsafeRawPointer(y.data), output: out.data,
                                  kernel: .integer(kernel)))
    }

    /// A fused clamp [min, max] (float params) as inclusive bounds of `dtype`, rounded inward;
    /// bounds at or beyond the dtype's range clamp nothing.
    func integerBounds(_ dtype: DType, min: Float, max: Float) throws(EdgeError) -> (Int32, Int32) {
        if !(min <= max) { throw unsupported("clamp range [\(min), \(max)] is empty") }
        let (dlo, dhi): (Float, Float)
        switch dtype {
        case .int8: (dlo, dhi) = (-128, 127)
        case .uint8: (dlo, dhi) = (0, 255)
        case .int16: (dlo, dhi) = (-32768, 32767)
        case .uint16: (dlo, dhi) = (0, 65535)
        default: (dlo, dhi) = (-2147483648, 2147483648)
        }
        if min > dhi || max < dlo { throw unsupported("clamp range [\(min), \(max)] lies outside the \(dtype.name) range") }
        let lo = min <= dlo ? Int32(bound: dlo) : Int32(min.rounded(.up))
        let hi = max >= dhi ? Int32(bound: dhi) : Int32(max.rounded(.down))
        return (lo, hi)
    }
}

extension DType {
    /// The dtypes `IntegerArithmetic` and `IntegerMaxPool` compute on.
    var isPlainInteger: Bool { self == .int8 || self == .uint8 || self == .int16 || self == .uint16 || self == .int32 }
}
