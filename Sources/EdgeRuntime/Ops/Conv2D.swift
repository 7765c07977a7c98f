import CEdgeKernels
import EdgeFormat

/// A prepared Conv2D or DepthwiseConv2D: shape, tensors, requantization and the kernel.
struct ConvCall {
    var shape: ek_conv2d_shape
    var input: UnsafeRawPointer
    var weights: UnsafeRawPointer
    var bias: UnsafeRawPointer?
    var output: UnsafeMutableRawPointer
    var min: Float
    var max: Float
    var requant: ek_qs8_requant_params
    var f32: KernelTable.F32Conv?
    var qs8: KernelTable.QS8Conv?
    var kernelName: StaticString
    /// Dynamic-range convolution (float32 activations, int8 weights): the weights' scale and
    /// the scratch for the quantized input.
    var hybridScale: Float = 0
    var hybridScratch: UnsafeMutablePointer<Int8>? = nil
    /// Per-output-channel weight scales (edgepack --dynamic); nil: `hybridScale` for all.
    var hybridScales: UnsafeMutablePointer<Float>? = nil

    func execute() {
        withUnsafePointer(to: shape) { shape in
            if let hybridScratch, let hybridScales {
                ek_qd8_f32_qc8w_conv2d_minmax_1x1__ref(shape, hybridScales, input.assumingMemoryBound(to: Float.self),
                                                       weights.assumingMemoryBound(to: Int8.self), bias?.assumingMemoryBound(to: Float.self),
                                                       hybridScratch, output.assumingMemoryBound(to: Float.self), min, max)
            } else if let hybridScratch {
                ek_qd8_f32_qs8w_conv2d_minmax_1x1__ref(shape, hybridScale, input.assumingMemoryBound(to: Float.self),
                                                       weights.assumingMemoryBound(to: Int8.self), bias?.assumingMemoryBound(to: Float.self),
                                                       hybridScratch, output.assumingMemoryBound(to: Float.self), min, max)
            } else if let f32 {
                f32(shape, input.assumingMemoryBound(to: Float.self), weights.assumingMemoryBound(to: Float.self),
                    bias?.assumingMemoryBound(to: Float.self), output.assumingMemoryBound(to: Float.self), min, max)
            } else if let qs8 {
                withUnsafePointer(to: requant) { requant in
                    qs8(shape, requant, input.assumingMemoryBound(to: Int8.self), weights.assumingMemoryBound(to: Int8.self),
                        bias?.assumingMemoryBound(to: Int32.self), output.assumingMemoryBound(to: Int8.self))
                }
            }
        }
    }
}

/// Conv2D: input NHWC, weights OHWI, optional bias [out_c]; params strideH, strideW,
/// dilationH, dilationW, padTop, padLeft, padBottom, padRight, min, max.
enum Conv2D {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 2...3, outputs: SparseMatMul.conv2DOutputs(c))
        let input = try c.input(0), weights = try c.input(1), output = c.output(0), bias = c.optionalInput(2)
        try c.require(weights, rank: 4, "weights")
        let outChannels = weights.dim(0)
        if weights.dim(3) != (input.rank == 4 ? input.dim(3) : -1) {
            throw c.unsupported("weights @ do not match input channels of @", text: weights.shape.text, text2: input.shape.text)
        }
        var call = try prepareConv(&c, input: input, weights: weights, bias: bias, output: output,
                                   outChannels: outChannels, kernelH: weights.dim(1), kernelW: weights.dim(2),
                                   depthMultiplier: 1, depthwise: false)
        let layout = weights.record.layout
        if PackedWeights.isPackedConv(layout) {
            // FORMAT.md "Packed int8 Conv2D weights": the folded bias lives in the weights.
            try c.requirePackedWeights(int8: call.qs8 != nil && call.hybridScratch == nil, bias: bias, layout: layout, text: "conv")
            call.bias = UnsafeRawPointer(weights.data) + PackedWeights.biasOffset(layout: layout, shape: weights.shape)
            let entry = layout == PackedWeights.conv1x1Layout ? c.kernels.qs8PackedConv1x1
                : layout == PackedWeights.neonConvLayout ? c.kernels.qs8PackedConv8x8
                : layout == PackedWeights.dotConvLayout ? c.kernels.qs8PackedConv8x8c4 : c.kernels.qs8PackedConv2D
            call.qs8 = entry.function
            call.kernelName = entry.name
        }
        if layout == SparseWeights.layout {
            return try SparseMatMul.conv1x1(&c, dense: call, input: input, weights: weights, bias: bias, output: output)
        }
        return .conv(call)
    }

    /// Shared by Conv2D and DepthwiseConv2D (same params prefix, same kernel signatures).
    static func prepareConv(_ c: inout PrepareContext, input: TensorInfo, weights: TensorInfo, bias: TensorInfo?,
                            output: TensorInfo, outChannels: Int32, kernelH: Int32, kernelW: Int32,
                            depthMultiplier: Int32, depthwise: Bool) throws(EdgeError) -> ConvCall {
        try c.require(input, rank: 4, "input")
        try c.require(output, rank: 4, "output")
        let p = c.params
        let strideH = p.i32(0), strideW = p.i32(1), dilationH = p.i32(2), dilationW = p.i32(3)
        let padTop = p.i32(4), padLeft = p.i32(5), padBottom = p.i32(6), padRight = p.i32(7)
        let min = p.f32(8), max = p.f32(9)
        if strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0 {
            throw c.unsupported("strides %x%, dilations %x% and pads must be positive", Int(strideH), Int(strideW), Int(dilationH), Int(dilationW))
        }
        try c.requireRange(min, max)
        let outH = try outputExtent(c, input.dim(1), kernelH, strideH, dilationH, padTop, padBottom)
        let outW = try outputExtent(c, input.dim(2), kernelW, strideW, dilationW, padLeft, padRight)
        if output.dim(0) != input.dim(0) || output.dim(1) != outH || output.dim(2) != outW || output.dim(3) != outChannels {
            throw c.unsupported("output shape @ should be %x%x%x%", Int(input.dim(0)), Int(outH), Int(outW), Int(outChannels), text: output.shape.text)
        }
        if let bias, bias.shape.elementCount != Int(outChannels) {
            throw c.unsupported("bias has % elements for % output channels", bias.shape.elementCount, Int(outChannels))
        }
        let shape = ek_conv2d_shape(
            batch: input.dim(0), in_h: input.dim(1), in_w: input.dim(2), in_c: input.dim(3),
            out_h: outH, out_w: outW, out_c: outChannels, kernel_h: kernelH, kernel_w: kernelW,
            stride_h: strideH, stride_w: strideW, dilation_h: dilationH, dilation_w: dilationW,
            pad_top: padTop, pad_left: padLeft, depth_multiplier: depthMultiplier)
        var call = ConvCall(shape: shape, input: UnsafeRawPointer(input.data), weights: UnsafeRawPointer(weights.data),
                            bias: bias.map { UnsafeRawPointer($0.data) }, output: output.data, min: min, max: max,
                            requant: ek_qs8_requant_params(), f32: nil, qs8: nil, kernelName: "")
        switch try c.mode(of: input) {
        case .f32 where weights.dtype == .int8 && !depthwise:
            try prepareHybrid(&c, &call, weights: weights, bias: bias, output: output)
        case .f32:
            try c.require(weights, .float32, "weights")
            try c.require(output, .float32, "output")
            if let bias { try c.require(bias, .float32, "bias") }
            let entry = depthwise ? c.kernels.f32DepthwiseConv2D : c.kernels.f32Conv2D
            call.f32 = entry.function
            call.kernelName = entry.name
        case .qs8:
            try c.require(weights, .int8, "weights")
            try c.require(output, .int8, "output")
            if let bias { try c.require(bias, .int32, "bias") }
            if weights.quant.count > 1 && weights.record.quantizedDimension != (depthwise ? 3 : 0) {
                throw c.unsupported("per-channel weight scales must run along the output-channel axis %", depthwise ? 3 : 0)
            }
            call.requant = try c.requantization(input: input, weights: weights, output: output, channels: Int(outChannels),
                                                min: min, max: max)
            var entry = depthwise ? c.kernels.qs8DepthwiseConv2D : c.kernels.qs8Conv2D
            if !depthwise, let few = c.kernels.qs8FewChannelConv2D,
               (shape.in_c <= EK_CONV_SC_MAX_C && outChannels <= c.kernels.qs8FewChannelMaxOutC)
                || (shape.kernel_h * shape.kernel_w * shape.in_c <= c.kernels.qs8FewChannelMaxK
                    && shape.batch * shape.out_h * shape.out_w >= EK_CONV_SC_MIN_PIXELS) { entry = few }
            call.qs8 = entry.function
            call.kernelName = entry.name
        }
        return call
    }

    /// float32 input and output with symmetric int8 weights (one scale, or one per output
    /// channel): TFLite's dynamic-range ("hybrid") Conv2D, which quantizes the input per batch
    /// at run time (ek_hybrid.h).
    static func prepareHybrid(_ c: inout PrepareContext, _ call: inout ConvCall, weights: TensorInfo, bias: TensorInfo?,
                              output: TensorInfo) throws(EdgeError) {
        try c.require(output, .float32, "output")
        if let bias { try c.require(bias, .float32, "bias") }
        if call.shape.dilation_h != 1 || call.shape.dilation_w != 1 {
            throw c.unsupported("dynamic-range convolution runs without dilation, found %x%", Int(call.shape.dilation_h), Int(call.shape.dilation_w))
        }
        call.hybridScales = try c.hybridScales(weights, channels: Int(call.shape.out_c))
        call.hybridScale = weights.scale
        let inputElements = Int(call.shape.batch) * Int(call.shape.in_h) * Int(call.shape.in_w) * Int(call.shape.in_c)
        call.hybridScratch = try c.allocate(Int8.self, count: inputElements)
        call.kernelName = call.hybridScales == nil ? "ek_qd8_f32_qs8w_conv2d_minmax_1x1__ref" : "ek_qd8_f32_qc8w_conv2d_minmax_1x1__ref"
    }

    /// TFLite's output size for explicit padding; throws when the window does not fit.
    static func outputExtent(_ c: PrepareContext, _ input: Int32, _ kernel: Int32, _ stride: Int32, _ dilation: Int32,
                             _ padBefore: Int32, _ padAfter: Int32) throws(EdgeError) -> Int32 {
        // In Int: a damaged dilation or pad near 2^31 must not overflow 32 bits (callers
        // checked all of them >= 0, so these fit 64 bits). The padded extent stays below 2^31
        // so that the kernels' int32 window arithmetic cannot overflow either.
        let effective = (Int(kernel) - 1) * Int(dilation) + 1
        let padded = Int(input) + Int(padBefore) + Int(padAfter)
        if kernel < 1 || padded < effective || padded > Int(Int32.max) {
            throw c.unsupported("kernel % with dilation % does not fit input % padded to % (at most 2^31 - 1)", Int(kernel),
                                Int(dilation), Int(input), padded)
        }
        return Int32((padded - effective) / Int(stride) + 1)
    }
}
