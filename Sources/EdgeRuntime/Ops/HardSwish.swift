import CEdgeKernels
import EdgeFormat

/// HardSwish: x * relu6(x + 3) / 6.
enum HardSwish {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        let (input, output, mode) = try c.elementwiseOperands()
        switch mode {
        case .f32:
            return c.elementwise(input, output, .f32HardSwish)
        case .qs8:
            var p = ek_qs8_hswish_params()
            ek_qs8_hswish_prepare(input.scale, input.zeroPoint, output.scale, output.zeroPoint, &p)
            return c.elementwise(input, output, .qs8HardSwish(p))
        }
    }
}
