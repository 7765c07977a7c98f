import CEdgeKernels
import EdgeFormat

struct MeanCall {
    var shape: ek_mean_shape
    var params: ek_qs8_mean_params
    var input: UnsafeRawPointer
    var output: UnsafeMutableRawPointer
    var quantized: Bool
    var f32: KernelTable.Entry<KernelTable.F32Mean>

    var kernelName: StaticString { quantized ? "ek_qs8_mean_hw_x1__ref" : f32.name }

    func execute() {
        withUnsafePointer(to: shape) { s in
            if quantized {
                withUnsafePointer(to: params) {
                    ek_qs8_mean_hw_x1__ref(s, $0, input.assumingMemoryBound(to: Int8.self), output.assumingMemoryBound(to: Int8.self))
                }
            } else {
                f32.function(s, input.assumingMemoryBound(to: Float.self), output.assumingMemoryBound(to: Float.self))
            }
        }
    }
}

/// Mean over the spatial axes of an NHWC tensor (axis mask 0b0110); params axis mask,
/// keepDims. Output [N, 1, 1, C] with keepDims, [N, C] without.
enum Mean {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        try c.require(input, rank: 4, "input")
        let mask = UInt32(bitPattern: c.params.i32(0)), keepDims = c.params.i32(1) != 0
        if mask != 0b0110 {
            throw c.unsupported("axis mask % is not supported; Mean runs over the spatial axes 1 and 2 of NHWC (mask 6)", Int(mask))
        }
        let n = input.dim(0), ch = input.dim(3)
        let expected = keepDims ? Shape([Int(n), 1, 1, Int(ch)]) : Shape([Int(n), Int(ch)])
        if output.shape != expected { throw c.unsupported("output shape @ should be @", text: output.shape.text, text2: expected.text) }
        let shape = ek_mean_shape(batch: n, in_h: input.dim(1), in_w: input.dim(2), channels: ch)
        var call = MeanCall(shape: shape, params: ek_qs8_mean_params(), input: UnsafeRawPointer(input.data),
                            output: output.data, quantized: false, f32: c.kernels.f32Mean)
        switch try c.mode(of: input) {
        case .f32:
            try c.require(output, .float32, "output")
        case .qs8:
            try c.require(output, .int8, "output")
            try c.requirePerTensor(input, "input")
            try c.requirePerTensor(output, "output")
            withUnsafePointer(to: shape) { ek_qs8_mean_prepare($0, input.scale, input.zeroPoint, output.scale, output.zeroPoint, &call.params) }
            call.quantized = true
        }
        return .mean(call)
    }
}
