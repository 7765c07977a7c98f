import EdgeFormat

/// AveragePool2D (padded taps excluded from the count, as TFLite).
enum AveragePool2D {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try Pool2D.prepare(&c, average: true)
    }
}
