import CEdgeKernels
import EdgeFormat

/// Add with numpy broadcasting; params min, max (fused activation).
enum Add {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        if let op = try c.integerArithmetic(.add) { return op }
        let (a, b, out, shape, mode) = try c.binaryOperands()
        let min = c.params.f32(0), max = c.params.f32(1)
        try c.requireRange(min, max)
        let kernel: BinaryCall.Kernel
        switch mode {
        case .f32:
            kernel = .f32Add(min: min, max: max)
        case .qs8:
            let (lo, hi) = c.quantizedRange(out, min: min, max: max)
            var p = ek_qs8_add_params()
            ek_qs8_add_prepare(a.scale, a.zeroPoint, b.scale, b.zeroPoint, out.scale, out.zeroPoint, lo, hi, &p)
            kernel = .qs8Add(p, c.kernels.qs8Add)
        }
        return .binary(BinaryCall(shape: shape, a: UnsafeRawPointer(a.data), b: UnsafeRawPointer(b.data), output: out.data, kernel: kernel))
    }
}
