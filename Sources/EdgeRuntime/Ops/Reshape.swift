import EdgeFormat

/// Reshape: same elements, new shape (the output tensor's). The planner normally gives input
/// and output the same arena bytes, making this free; otherwise it copies.
enum Reshape {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        if input.shape.elementCount != output.shape.elementCount || input.dtype != output.dtype {
            throw c.unsupported("cannot reshape \(input.dtype.name) \(input.shape.text) into \(output.dtype.name) \(output.shape.text)")
        }
        if input.isQuantized || output.isQuantized { try c.requireSameQuant(input, output) }
        return .copy(CopyCall(input: UnsafeRawPointer(input.data), output: output.data, elementSize: input.dtype.size,
                              kernel: .reshape(bytes: input.record.byteSize)))
    }
}
