import CEdgeKernels
import EdgeFormat

struct SoftmaxCall {
    /// The kernel and what it reads besides the tensors: beta (float32), or the prepared
    /// parameters with the row exps' table (int8, `ek_qs8_softmax_params`, allocated at prepare).
    enum Kernel {
        case f32(KernelTable.Entry<KernelTable.F32Softmax>, beta: Float)
        case qs8(KernelTable.Entry<KernelTable.QS8Softmax>, UnsafePointer<ek_qs8_softmax_params>)
    }

    var outer: Int
    var depth: Int
    var input: UnsafeRawPointer
    var output: UnsafeMutableRawPointer
    var kernel: Kernel

    var kernelName: StaticString {
        switch kernel {
        case .f32(let entry, _): return entry.name
        case .qs8(let entry, _): return entry.name
        }
    }

    func execute() {
        switch kernel {
        case .f32(let entry, let beta):
            entry.function(outer, depth, beta, input.assumingMemoryBound(to: Float.self), output.assumingMemoryBound(to: Float.self))
        case .qs8(let entry, let params):
            entry.function(outer, depth, params, input.assumingMemoryBound(to: Int8.self), output.assumingMemoryBound(to: Int8.self))
        }
    }
}

/// Softmax over the last axis; param beta. int8 output is fixed at scale 1/256, zero point -128.
enum Softmax {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        let (input, output, mode) = try c.elementwiseOperands()
        let beta = c.params.f32(0)
        if !(beta.isFinite && beta > 0) { throw c.unsupported("beta \(beta) must be finite and > 0") }
        let depth = input.rank == 0 ? 1 : input.shape[input.rank - 1]
        var kernel = SoftmaxCall.Kernel.f32(c.kernels.f32Softmax, beta: beta)
        if mode == .qs8 {
            try c.requireFixedOutput(output, scale: 1.0 / 256, zeroPoint: -128)
            // Allocated as bytes (64-byte aligned): the Int8 specialization of `allocate` is
            // shared with other ops, a specialization for this struct cost aarch64 code size.
            let bytes = try c.allocate(Int8.self, count: MemoryLayout<ek_qs8_softmax_params>.size)
            let params = UnsafeMutableRawPointer(bytes).bindMemory(to: ek_qs8_softmax_params.self, capacity: 1)
            ek_qs8_softmax_prepare(input.scale, beta, params)
            kernel = .qs8(c.kernels.qs8Softmax, UnsafePointer(params))
        }
        return .softmax(SoftmaxCall(outer: input.shape.elementCount / depth, depth: depth, input: UnsafeRawPointer(input.data),
                                    output: output.data, kernel: kernel))
    }
}
