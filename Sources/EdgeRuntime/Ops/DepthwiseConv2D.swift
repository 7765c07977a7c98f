import CEdgeKernels
import EdgeFormat

/// DepthwiseConv2D: input NHWC, weights [1, kh, kw, in_c x multiplier], optional bias; params as
/// Conv2D followed by depthMultiplier.
enum DepthwiseConv2D {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 2...3, outputs: 1)
        let input = try c.input(0), weights = try c.input(1), output = c.output(0)
        try c.require(weights, rank: 4, "weights")
        try c.require(input, rank: 4, "input")
        let multiplier = c.params.i32(10)
        if multiplier < 1 || weights.dim(0) != 1 || Int(weights.dim(3)) != Int(input.dim(3)) * Int(multiplier) {
            throw c.unsupported("weights @ do not match % input channels x depth multiplier %", Int(input.dim(3)), Int(multiplier), text: weights.shape.text)
        }
        let call = try Conv2D.prepareConv(&c, input: input, weights: weights, bias: c.optionalInput(2), output: output,
                                          outChannels: weights.dim(3), kernelH: weights.dim(1), kernelW: weights.dim(2),
                                          depthMultiplier: multiplier, depthwise: true)
        return .conv(call)
    }
}
