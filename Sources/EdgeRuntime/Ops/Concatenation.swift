import EdgeFormat

/// Concatenation along `axis` (param; negative counts from the end). int8 inputs must share
/// the output's quantization (TFLite's rule; the packer arranges it).
enum Concatenation {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        if c.record.inputCount < 1 || c.record.outputCount != 1 { throw c.unsupported("needs inputs and one output") }
        let output = c.output(0)
        let rank = output.rank
        var axis = c.params.int(0)
        if axis < 0 { axis += rank }
        if axis < 0 || axis >= rank { throw c.unsupported("axis % is outside rank %", c.params.int(0), rank) }
        let count = c.record.inputCount
        let parts = try c.allocate(UnsafeRawPointer.self, count: count)
        let partBytes = try c.allocate(Int.self, count: count)
        var rows = 1
        for d in 0..<axis { rows *= output.shape[d] }
        var inner = output.dtype.size
        for d in (axis + 1)..<max(rank, axis + 1) { inner *= output.shape[d] }
        var total = 0
        for i in 0..<count {
            let t = try c.input(i)
            if t.dtype != output.dtype || t.rank != rank {
                throw c.unsupported("input \(i) is \(t.dtype.name) \(t.shape.text), output is \(output.dtype.name) \(output.shape.text)")
            }
            for d in 0..<rank where d != axis && t.shape[d] != output.shape[d] {
                throw c.unsupported("input % shape @ differs from output @ off axis %", i, axis, text: t.shape.text, text2: output.shape.text)
            }
            if output.isQuantized { try c.requireSameQuant(t, output) }
            parts[i] = UnsafeRawPointer(t.data)
            partBytes[i] = t.shape[axis] * inner
            total += t.shape[axis]
        }
        if total != output.shape[axis] { throw c.unsupported("inputs sum to % along axis %, output has %", total, axis, output.shape[axis]) }
        return .copy(CopyCall(input: UnsafeRawPointer(output.data), output: output.data, elementSize: output.dtype.size,
                              kernel: .concatenate(parts: UnsafePointer(parts), partBytes: UnsafePointer(partBytes), count: count,
                                                   rows: rows, outputRowBytes: output.shape[axis] * inner)))
    }
}
