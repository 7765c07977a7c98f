import EdgeFormat

/// Sub (a - b) with numpy broadcasting; params min, max (fused activation). Integer tensors
/// without quantization only (`IntegerArithmetic`): float32 models express a - b as Add of a
/// negated operand.
enum Sub {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        if let op = try c.integerArithmetic(.sub) { return op }
        throw c.unsupported("Sub runs on integer tensors only, got \(try c.input(0).dtype.name); re-pack float32 Sub as Add")
    }
}
