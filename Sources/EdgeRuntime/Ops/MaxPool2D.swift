import EdgeFormat

/// MaxPool2D.
enum MaxPool2D {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try Pool2D.prepare(&c, average: false)
    }
}
