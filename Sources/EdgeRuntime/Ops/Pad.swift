import CEdgeKernels
import EdgeFormat

/// Pad with a constant; params before[6], after[6], value (real units; int8 stores
/// round(value / scale) + zero point, which is the zero point for 0).
enum Pad {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        if input.dtype != output.dtype || input.rank != output.rank {
            throw c.unsupported("input \(input.dtype.name) \(input.shape.text) and output \(output.dtype.name) \(output.shape.text) differ in type or rank")
        }
        let p = c.params
        var shape = ek_pad_shape()
        shape.rank = Int32(input.rank)
        shape.in_dims = input.shape.cDims
        var before = Shape(), after = Shape()
        for d in 0..<input.rank {
            let b = p.int(d), a = p.int(6 + d)
            if b < 0 || a < 0 || output.shape[d] != input.shape[d] + b + a {
                throw c.unsupported("pads (%, %) on axis % do not turn @ into @", b, a, d, text: input.shape.text, text2: output.shape.text)
            }
            before.append(b)
            after.append(a)
        }
        for _ in input.rank..<FormatV1.maxRank {
            before.append(0)
            after.append(0)
        }
        shape.pad_before = before.cDims
        shape.pad_after = after.cDims
        let value = p.f32(12)
        var bits: UInt32
        if input.dtype.isPlainInteger && !input.isQuantized {
            // Plain integers: the value itself, which must be one of the dtype's.
            let (lo, hi) = try c.integerBounds(input.dtype, min: value, max: value)
            if lo != hi { throw c.unsupported("pad value \(value) is not an integer of \(input.dtype.name)") }
            return .copy(CopyCall(input: UnsafeRawPointer(input.data), output: output.data, elementSize: input.dtype.size,
                                  kernel: .pad(shape, value: UInt32(bitPattern: lo))))
        }
        switch try c.mode(of: input) {
        case .f32:
            bits = value.bitPattern
        case .qs8:
            try c.requirePerTensor(output, "output")
            try c.requireSameQuant(input, output)
            let q = (value / output.scale).rounded() + Float(output.zeroPoint)
            bits = UInt32(UInt8(bitPattern: Int8(q < -128 ? -128 : (q > 127 ? 127 : q))))
        }
        return .copy(CopyCall(input: UnsafeRawPointer(input.data), output: output.data, elementSize: input.dtype.size,
                              kernel: .pad(shape, value: bits)))
    }
}
