import CEdgeKernels
import EdgeFormat

/// A prepared Add or Mul with its broadcast description.
struct BinaryCall {
    enum Kernel {
        case f32Add(min: Float, max: Float)
        case f32Mul(min: Float, max: Float)
        case f32Div(min: Float, max: Float)
        case qs8Add(ek_qs8_add_params, KernelTable.Entry<KernelTable.QS8Add>)
        case qs8Mul(ek_qs8_mul_params)
        case integer(IntegerArithmetic)
        case linear(LinearQuantization)
    }

    var shape: ek_binary_shape
    var a: UnsafeRawPointer
    var b: UnsafeRawPointer
    var output: UnsafeMutableRawPointer
    var kernel: Kernel

    var kernelName: StaticString {
        switch kernel {
        case .f32Add: return "ek_f32_add_minmax_x1__ref"
        case .f32Mul: return "ek_f32_mul_minmax_x1__ref"
        case .f32Div: return "ek_f32_div_minmax_x1__ref"
        case .qs8Add(_, let entry): return entry.name
        case .qs8Mul: return "ek_qs8_mul_minmax_x1__ref"
        case .integer: return "IntegerArithmetic (Swift)"
        case .linear: return "LinearQuantization (Swift)"
        }
    }

    func execute() {
        withUnsafePointer(to: shape) { s in
            switch kernel {
            case .f32Add(let min, let max):
                ek_f32_add_minmax_x1__ref(s, a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self),
                                          output.assumingMemoryBound(to: Float.self), min, max)
            case .f32Mul(let min, let max):
                ek_f32_mul_minmax_x1__ref(s, a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self),
                                          output.assumingMemoryBound(to: Float.self), min, max)
            case .f32Div(let min, let max):
                ek_f32_div_minmax_x1__ref(s, a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self),
                                          output.assumingMemoryBound(to: Float.self), min, max)
            case .qs8Add(let p, let entry):
                withUnsafePointer(to: p) {
                    entry.function(s, $0, a.assumingMemoryBound(to: Int8.self), b.assumingMemoryBound(to: Int8.self),
                                   output.assumingMemoryBound(to: Int8.self))
                }
            case .qs8Mul(let p):
                withUnsafePointer(to: p) {
                    ek_qs8_mul_minmax_x1__ref(s, $0, a.assumingMemoryBound(to: Int8.self), b.assumingMemoryBound(to: Int8.self),
                                              output.assumingMemoryBound(to: Int8.self))
                }
            case .integer(let k):
                k.execute(s.pointee, a, b, output)
            case .linear(let k):
                k.execute(s.pointee, a, b, output)
            }
        }
    }
}

extension PrepareContext {
    /// Checks a binary op's operands (numpy broadcasting, rank <= 4) and returns the kernel
    /// shape: output dims left-padded to 4 and element strides with 0 on broadcast axes.
    func binaryOperands() throws(EdgeError) -> (TensorInfo, TensorInfo, TensorInfo, ek_binary_shape, Mode) {
        let (a, b, out, shape) = try broadcastOperands()
        let mode = try mode(of: a)
        let dtype: DType = mode == .f32 ? .float32 : .int8
        try require(b, dtype, "second input")
        try require(out, dtype, "output")
        if mode == .qs8 {
            try requirePerTensor(a, "first input")
            try requirePerTensor(b, "second input")
            try requirePerTensor(out, "output")
        }
        return (a, b, out, shape, mode)
    }

    /// The operands and kernel shape of a binary op (inputs 0 and 1 of `inputs`), before any
    /// dtype check.
    func broadcastOperands(inputs: Int = 2) throws(EdgeError) -> (TensorInfo, TensorInfo, TensorInfo, ek_binary_shape) {
        try expectArity(inputs: inputs...inputs, outputs: 1)
        let a = try input(0), b = try input(1), out = output(0)
        if a.rank > 4 || b.rank > 4 || out.rank > 4 {
            throw unsupported("broadcasting is supported up to rank 4, got @ and @", text: a.shape.text, text2: b.shape.text)
        }
        var dims: [Int32] = [1, 1, 1, 1], da: [Int32] = [1, 1, 1, 1], db: [Int32] = [1, 1, 1, 1]
        for i in 0..<a.rank { da[4 - a.rank + i] = a.dim(i) }
        for i in 0..<b.rank { db[4 - b.rank + i] = b.dim(i) }
        for i in 0..<4 {
            if da[i] != db[i] && da[i] != 1 && db[i] != 1 {
                throw unsupported("shapes @ and @ do not broadcast", text: a.shape.text, text2: b.shape.text)
            }
            dims[i] = da[i] > db[i] ? da[i] : db[i]
        }
        var expected = Shape()
        let outRank = a.rank > b.rank ? a.rank : b.rank
        for i in (4 - outRank)..<4 { expected.append(Int(dims[i])) }
        if expected != out.shape && !(expected.elementCount == out.shape.elementCount && outRank == 0) {
            throw unsupported("output shape @ should be the broadcast shape @", text: out.shape.text, text2: expected.text)
        }
        func strides(_ d: [Int32]) -> (Int32, Int32, Int32, Int32) {
            var s: [Int32] = [0, 0, 0, 0]
            var step: Int32 = 1
            for i in stride(from: 3, through: 0, by: -1) {
                s[i] = d[i] == 1 ? 0 : step
                step *= d[i]
            }
            return (s[0], s[1], s[2], s[3])
        }
        let shape = ek_binary_shape(dims: (dims[0], dims[1], dims[2], dims[3]), a_strides: strides(da), b_strides: strides(db))
        return (a, b, out, shape)
    }
}
