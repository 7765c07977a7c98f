import EdgeFormat

/// Sqrt: the square root of each element; float32 only, no params.
enum Sqrt {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        let (input, output, mode) = try c.elementwiseOperands()
        if mode != .f32 { throw c.unsupported("int8 Sqrt is not supported; Sqrt runs on float32") }
        return c.elementwise(input, output, .f32Sqrt)
    }
}
