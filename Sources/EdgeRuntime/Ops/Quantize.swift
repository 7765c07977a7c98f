import CEdgeKernels
import EdgeFormat

/// Quantize: float32 -> int8 (TFLite AffineQuantize) or int8 -> int8 (Requantize).
enum Quantize {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        try c.requireSameShape(input, output)
        try c.require(output, .int8, "output")
        try c.requirePerTensor(output, "output")
        switch try c.mode(of: input) {
        case .f32:
            return c.elementwise(input, output, .quantize(scale: output.scale, zeroPoint: output.zeroPoint))
        case .qs8:
            try c.requirePerTensor(input, "input")
            var p = ek_qs8_requantize_params()
            ek_qs8_requantize_prepare(input.scale, input.zeroPoint, output.scale, output.zeroPoint, &p)
            return c.elementwise(input, output, .requantize(p))
        }
    }
}
