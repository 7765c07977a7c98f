import CEdgeKernels
import EdgeFormat

/// Transpose: output dim i is input dim perm[i]; params perm[6] (first rank entries used).
enum Transpose {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        if input.dtype != output.dtype || input.rank != output.rank {
            throw c.unsupported("input @ and output @ differ in type or rank", text: input.shape.text, text2: output.shape.text)
        }
        if input.isQuantized || output.isQuantized { try c.requireSameQuant(input, output) }
        var perm = Shape(), seen = Shape([0, 0, 0, 0, 0, 0])
        for i in 0..<input.rank {
            let axis = c.params.int(i)
            if axis < 0 || axis >= input.rank || seen[axis] != 0 || output.shape[i] != input.shape[axis] {
                throw c.unsupported("perm entry % = % is not a valid permutation of @ into @", i, axis, text: input.shape.text, text2: output.shape.text)
            }
            seen[axis] = 1
            perm.append(axis)
        }
        var shape = ek_transpose_shape()
        shape.rank = Int32(input.rank)
        shape.in_dims = input.shape.cDims
        shape.perm = perm.cDims
        return .copy(CopyCall(input: UnsafeRawPointer(input.data), output: output.data, elementSize: input.dtype.size,
                              kernel: .transpose(shape)))
    }
}
