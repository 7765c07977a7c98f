import CEdgeKernels
import EdgeFormat

/// Div (a / b) with numpy broadcasting; params min, max (fused activation). float32 only.
enum Div {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        if let op = try c.integerArithmetic(.div) { return op }
        let (a, b, out, shape, mode) = try c.binaryOperands()
        let min = c.params.f32(0), max = c.params.f32(1)
        try c.requireRange(min, max)
        if mode != .f32 { throw c.unsupported("int8 Div is not supported; Div runs on float32") }
        return .binary(BinaryCall(shape: shape, a: UnsafeRawPointer(a.data), b: UnsafeRawPointer(b.data), output: out.data,
                                  kernel: .f32Div(min: min, max: max)))
    }
}
