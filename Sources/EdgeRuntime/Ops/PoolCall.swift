import CEdgeKernels
import EdgeFormat

/// A prepared AveragePool2D or MaxPool2D.
struct PoolCall {
    enum Kernel { case f32Average, qs8Average(KernelTable.Entry<KernelTable.QS8Pool>), f32Max(KernelTable.Entry<KernelTable.F32Pool>), qs8Max, integerMax(IntegerMaxPool), indices(MaxPoolIndices) }

    var shape: ek_pool2d_shape
    var input: UnsafeRawPointer
    var output: UnsafeMutableRawPointer
    var min: Float
    var max: Float
    var qmin: Int32
    var qmax: Int32
    var kernel: Kernel

    var kernelName: StaticString {
        switch kernel {
        case .f32Average: return "ek_f32_avgpool2d_minmax_1x1__ref"
        case .qs8Average(let entry): return entry.name
        case .f32Max(let entry): return entry.name
        case .qs8Max: return "ek_qs8_maxpool2d_minmax_1x1__ref"
        case .integerMax: return "IntegerMaxPool (Swift)"
        case .indices: return "MaxPoolIndices (Swift)"
        }
    }

    func execute() {
        let f32In = input.assumingMemoryBound(to: Float.self), f32Out = output.assumingMemoryBound(to: Float.self)
        let i8In = input.assumingMemoryBound(to: Int8.self), i8Out = output.assumingMemoryBound(to: Int8.self)
        withUnsafePointer(to: shape) { s in
            switch kernel {
            case .f32Average: ek_f32_avgpool2d_minmax_1x1__ref(s, f32In, f32Out, min, max)
            case .qs8Average(let entry): entry.function(s, i8In, i8Out, qmin, qmax)
            case .f32Max(let entry): entry.function(s, f32In, f32Out, min, max)
            case .qs8Max: ek_qs8_maxpool2d_minmax_1x1__ref(s, i8In, i8Out, qmin, qmax)
            case .integerMax(let k): k.execute(s.pointee, input, output)
            case .indices(let k): k.execute(s.pointee, input, output)
            }
        }
    }
}

/// Shared prepare of the pooling ops; params filterH, filterW, strideH, strideW, padTop,
/// padLeft, padBottom, padRight, min, max.
enum Pool2D {
    static func prepare(_ c: inout PrepareContext, average: Bool) throws(EdgeError) -> PreparedOp {
        try c.expectArity(inputs: 1...1, outputs: 1)
        let input = try c.input(0), output = c.output(0)
        try c.require(input, rank: 4, "input")
        try c.require(output, rank: 4, "output")
        let p = c.params
        let (fh, fw, sh, sw, pt, pl, pb, pr) = try window(c)
        let min = p.f32(8), max = p.f32(9)
        try c.requireRange(min, max)
        let outH = try Conv2D.outputExtent(c, input.dim(1), fh, sh, 1, pt, pb)
        let outW = try Conv2D.outputExtent(c, input.dim(2), fw, sw, 1, pl, pr)
        if output.dim(0) != input.dim(0) || output.dim(1) != outH || output.dim(2) != outW || output.dim(3) != input.dim(3) {
            throw c.unsupported("output shape @ should be %x%x%x%", Int(input.dim(0)), Int(outH), Int(outW), Int(input.dim(3)), text: output.shape.text)
        }
        let shape = ek_pool2d_shape(batch: input.dim(0), in_h: input.dim(1), in_w: input.dim(2), channels: input.dim(3),
                                    out_h: outH, out_w: outW, filter_h: fh, filter_w: fw, stride_h: sh, stride_w: sw,
                                    pad_top: pt, pad_left: pl)
        var call = PoolCall(shape: shape, input: UnsafeRawPointer(input.data), output: output.data, min: min, max: max,
                            qmin: -128, qmax: 127, kernel: average ? .f32Average : .f32Max(c.kernels.f32MaxPool2D))
        if !average && input.dtype.isPlainInteger && !input.isQuantized {
            try c.require(output, input.dtype, "output")
            if output.isQuantized { throw c.unsupported("output tensor % of an integer MaxPool2D must not be quantized", output.index) }
            let (lo, hi) = try c.integerBounds(input.dtype, min: min, max: max)
            call.kernel = .integerMax(IntegerMaxPool(dtype: input.dtype, lo: lo, hi: hi))
            return .pool(call)
        }
        switch try c.mode(of: input) {
        case .f32:
            try c.require(output, .float32, "output")
        case .qs8:
            try c.require(output, .int8, "output")
            try c.requirePerTensor(input, "input")
            try c.requirePerTensor(output, "output")
            try c.requireSameQuant(input, output)
            (call.qmin, call.qmax) = c.quantizedRange(output, min: min, max: max)
            call.kernel = average ? .qs8Average(c.kernels.qs8AveragePool2D) : .qs8Max
        }
        return .pool(call)
    }

    /// The window params (filterH, filterW, strideH, strideW, padTop, padLeft, padBottom,
    /// padRight) of Pool2D and MaxPoolIndices, checked.
    @inline(never)
    static func window(_ c: PrepareContext) throws(EdgeError) -> (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) {
        let p = c.params
        let fh = p.i32(0), fw = p.i32(1), sh = p.i32(2), sw = p.i32(3)
        let pt = p.i32(4), pl = p.i32(5), pb = p.i32(6), pr = p.i32(7)
        if fh < 1 || fw < 1 || sh < 1 || sw < 1 || pt < 0 || pl < 0 || pb < 0 || pr < 0 || pt >= fh || pl >= fw {
            throw c.unsupported("filter \(fh)x\(fw), strides \(sh)x\(sw) or pads (\(pt),\(pl),\(pb),\(pr)) are invalid")
        }
        return (fh, fw, sh, sw, pt, pl, pb, pr)
    }
}
