import CEdgeKernels
import EdgeFormat

/// Gather: picks entries of one axis by constant int32 indices (params axis). Runs ONNX Slice
/// and nearest-neighbour Resize, TFLite GATHER; any dtype, int8 keeps its parameters.
enum Gather {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 2...2, outputs: 1)
        let input = try c.input(0), indices = try c.input(1), output = c.output(0)
        let axis = c.params.int(0)
        if axis < 0 || axis >= input.rank {
            throw c.unsupported("axis % is outside the input's rank %", Int(axis), input.rank)
        }
        if indices.record.storage != .constant || indices.dtype != .int32 || indices.rank != 1 {
            throw c.unsupported("indices must be a constant rank-1 int32 tensor")
        }
        let count = indices.shape[0], axisDim = input.shape[axis]
        var expected = input.shape
        expected[axis] = count
        if input.dtype != output.dtype || output.shape != expected {
            throw c.unsupported("output \(output.shape.text) \(output.dtype.name) should be \(expected.text) \(input.dtype.name)")
        }
        if input.isQuantized || output.isQuantized { try c.requireSameQuant(input, output) }
        let picks = UnsafePointer(indices.i32())
        for j in 0..<count where picks[j] < 0 || Int(picks[j]) >= axisDim {
            throw c.unsupported("index % = % is outside 0..<%", j, Int(picks[j]), Int(axisDim))
        }
        var outer = 1, inner = 1
        for d in 0..<axis { outer *= input.shape[d] }
        for d in (axis + 1)..<max(axis + 1, input.rank) { inner *= input.shape[d] }
        let shape = ek_gather_shape(outer: Int32(outer), axis_dim: Int32(axisDim), inner: Int32(inner), count: Int32(count))
        return .copy(CopyCall(input: UnsafeRawPointer(input.data), output: output.data, elementSize: input.dtype.size,
                              kernel: .gather(shape, indices: picks)))
    }
}
