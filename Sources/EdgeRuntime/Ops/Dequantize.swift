import CEdgeKernels
import EdgeFormat

/// Dequantize: int8 -> float32, (float)(scale * (q - zero point)).
enum Dequantize {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        try c.requireSameShape(input, output)
        try c.require(input, .int8, "input")
        try c.requirePerTensor(input, "input")
        try c.require(output, .float32, "output")
        return c.elementwise(input, output, .dequantize(scale: input.scale, zeroPoint: input.zeroPoint))
    }
}
