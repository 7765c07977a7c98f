import CEdgeKernels
import EdgeFormat

/// Tanh. int8 output is fixed at scale 1/128, zero point 0.
enum Tanh {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        let (input, output, mode) = try c.elementwiseOperands()
        switch mode {
        case .f32:
            return c.elementwise(input, output, .f32Tanh)
        case .qs8:
            try c.requireFixedOutput(output, scale: 1.0 / 128, zeroPoint: 0)
            let table = try c.allocate(ek_qs8_lut_params.self, count: 1)
            ek_qs8_tanh_prepare(input.scale, input.zeroPoint, output.scale, output.zeroPoint, table)
            return c.elementwise(input, output, .qs8Tanh(UnsafePointer(table)))
        }
    }
}
