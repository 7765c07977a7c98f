import CEdgeKernels
import EdgeFormat

/// Logistic (sigmoid). int8 output is fixed at scale 1/256, zero point -128.
enum Logistic {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        let (input, output, mode) = try c.elementwiseOperands()
        switch mode {
        case .f32:
            return c.elementwise(input, output, .f32Sigmoid)
        case .qs8:
            try c.requireFixedOutput(output, scale: 1.0 / 256, zeroPoint: -128)
            let table = try c.allocate(ek_qs8_lut_params.self, count: 1)
            ek_qs8_sigmoid_prepare(input.scale, input.zeroPoint, output.scale, output.zeroPoint, table)
            return c.elementwise(input, output, .qs8Sigmoid(UnsafePointer(table)))
        }
    }
}
