import CEdgeKernels
import EdgeFormat

struct SoftmaxCall {
    var outer: Int
    var depth: Int
    var beta: Float
    var params: ek_qs8_softmax_params
    var input: UnsafeRawPointer
    var output: UnsafeMutableRawPointer
    var quantized: Bool

    var kernelName: StaticString { quantized ? "ek_qs8_softmax_x1__ref" : "ek_f32_softmax_x1__ref" }

    func execute() {
        if quantized {
            withUnsafePointer(to: params) {
                ek_qs8_softmax_x1__ref(outer, depth, $0, input.assumingMemoryBound(to: Int8.self), output.assumingMemoryBound(to: Int8.self))
            }
        } else {
            ek_f32_softmax_x1__ref(outer, depth, beta, input.assumingMemoryBound(to: Float.self), output.assumingMemoryBound(to: Float.self))
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
        var call = SoftmaxCall(outer: input.shape.elementCount / depth, depth: depth, beta: beta,
                               params: ek_qs8_softmax_params(), input: UnsafeRawPointer(input.data), output: output.data,
                               quantized: mode == .qs8)
        if mode == .qs8 {
            try c.requireFixedOutput(output, scale: 1.0 / 256, zeroPoint: -128)
            ek_qs8_softmax_prepare(input.scale, beta, &call.params)
        }
        return .softmax(call)
    }
}
