import CEdgeKernels
import EdgeFormat

/// MaxPoolIndices: ONNX MaxPool's second output. Input NCHW (float32 or plain integers), output
/// int64 NCHW: for each window, the flat NCHW index of its first largest tap inside the input
/// (row-major within the plane, or h + w x H with `columnMajor`). Params filterH, filterW,
/// strideH, strideW, padTop, padLeft, padBottom, padRight, columnMajor. The planes run as
/// single-channel NHWC images (batch = N x C).
struct MaxPoolIndices {
    var dtype: DType
    var columnMajor: Bool

    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        if input.rank != 4 || output.rank != 4 { throw c.unsupported("input @ and output @ must be 4-D NCHW", text: input.shape.text, text2: output.shape.text) }
        if !(input.dtype == .float32 || input.dtype.isPlainInteger) || input.isQuantized {
            throw c.unsupported("input is \(input.dtype.name)\(input.isQuantized ? " (quantized)" : ""), expected float32 or plain integers")
        }
        try c.require(output, .int64, "output")
        let p = c.params
        let (fh, fw, sh, sw, pt, pl, pb, pr) = try Pool2D.window(c)
        // A pad as large as the filter makes windows of padding only, which have no index
        // (ONNX requires pads below the kernel).
        if pb >= fh || pr >= fw {
            throw c.unsupported("bottom/right pads (\(pb),\(pr)) reach the filter \(fh)x\(fw): windows of padding only have no index; pads must be below the filter")
        }
        let outH = try Conv2D.outputExtent(c, input.dim(2), fh, sh, 1, pt, pb)
        let outW = try Conv2D.outputExtent(c, input.dim(3), fw, sw, 1, pl, pr)
        if output.dim(0) != input.dim(0) || output.dim(1) != input.dim(1) || output.dim(2) != outH || output.dim(3) != outW {
            throw c.unsupported("output shape @ should be %x%x%x%", Int(input.dim(0)), Int(input.dim(1)), Int(outH), Int(outW), text: output.shape.text)
        }
        let shape = ek_pool2d_shape(batch: input.dim(0) * input.dim(1), in_h: input.dim(2), in_w: input.dim(3), channels: 1,
                                    out_h: outH, out_w: outW, filter_h: fh, filter_w: fw, stride_h: sh, stride_w: sw,
                                    pad_top: pt, pad_left: pl)
        let kernel = MaxPoolIndices(dtype: input.dtype, columnMajor: p.i32(8) != 0)
        return .pool(PoolCall(shape: shape, input: UnsafeRawPointer(input.data), output: output.data, min: 0, max: 0,
                              qmin: 0, qmax: 0, kernel: .indices(kernel)))
    }

    /// Element `i` of the input as Double (exact for float32 and every plain integer dtype).
    private func load(_ p: UnsafeRawPointer, _ i: Int) -> Double {
        dtype == .float32 ? Double(p.assumingMemoryBound(to: Float.self)[i]) : Double(dtype.loadInteger(p, i))
    }

    func execute(_ s: ek_pool2d_shape, _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        let y = output.assumingMemoryBound(to: Int64.self)
        let (inH, inW) = (Int(s.in_h), Int(s.in_w))
        var n = 0
        for plane in 0..<Int(s.batch) {
            for oy in 0..<Int(s.out_h) {
                for ox in 0..<Int(s.out_w) {
                    let y0 = oy * Int(s.stride_h) - Int(s.pad_top), x0 = ox * Int(s.stride_w) - Int(s.pad_left)
                    var best = -1
                    // The window clipped to the input (as the C pooling kernels do): a damaged
                    // file's huge filter with matching pads costs its taps, not its extent.
                    let fy0 = Swift.max(0, -y0), fy1 = Swift.max(fy0, Swift.min(Int(s.filter_h), inH - y0))
                    let fx0 = Swift.max(0, -x0), fx1 = Swift.max(fx0, Swift.min(Int(s.filter_w), inW - x0))
                    for fy in fy0..<fy1 {
                        for fx in fx0..<fx1 {
                            let k = (y0 + fy) * inW + x0 + fx
                            if best < 0 || load(input, plane * inH * inW + k) > load(input, plane * inH * inW + best) { best = k }
                        }
                    }
                    let within = columnMajor ? best / inW + (best % inW) * inH : best
                    y[n] = Int64(plane * inH * inW + within)
                    n += 1
                }
            }
        }
    }
}
