import CEdgeKernels
import EdgeFormat

/// Clamp (Relu = [0, +inf], Relu6 = [0, 6], ReluN1To1 = [-1, 1]); params min, max.
/// int8 requantizes from input to output parameters first, as TFLite's ReluX.
enum Clamp {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        if let op = try c.integerArithmetic(.clamp) { return op }
        let (input, output, mode) = try c.elementwiseOperands()
        let min = c.params.f32(0), max = c.params.f32(1)
        if !(min <= max) { throw c.unsupported("clamp range [\(min), \(max)] is empty") }
        switch mode {
        case .f32:
            return c.elementwise(input, output, .f32Clamp(min: min, max: max))
        case .qs8:
            var p = ek_qs8_clamp_params()
            ek_qs8_clamp_prepare(input.scale, input.zeroPoint, output.scale, output.zeroPoint, min, max, &p)
            return c.elementwise(input, output, .qs8Clamp(p))
        }
    }
}
