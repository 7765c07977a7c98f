import CEdgeKernels
import EdgeFormat

/// MaxPool2D (NHWC) on unquantized integer tensors (int8, uint8, int16, int32 graph values):
/// the largest tap inside the input (padded taps are skipped), clamped to [lo, hi].
struct IntegerMaxPool {
    var dtype: DType
    var lo: Int32
    var hi: Int32

    func execute(_ s: ek_pool2d_shape, _ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        let (inH, inW, channels) = (Int(s.in_h), Int(s.in_w), Int(s.channels))
        var n = 0
        for b in 0..<Int(s.batch) {
            for oy in 0..<Int(s.out_h) {
                for ox in 0..<Int(s.out_w) {
                    let y0 = oy * Int(s.stride_h) - Int(s.pad_top), x0 = ox * Int(s.stride_w) - Int(s.pad_left)
                    // The window clipped to the input (as the C pooling kernels do): a damaged
                    // file's huge filter with matching pads costs its taps, not its extent.
                    let fy0 = Swift.max(0, -y0), fy1 = Swift.max(fy0, Swift.min(Int(s.filter_h), inH - y0))
                    let fx0 = Swift.max(0, -x0), fx1 = Swift.max(fx0, Swift.min(Int(s.filter_w), inW - x0))
                    for c in 0..<channels {
                        var best = dtype.integerRange.min
                        for fy in fy0..<fy1 {
                            for fx in fx0..<fx1 {
                                best = Swift.max(best, dtype.loadInteger(input, ((b * inH + y0 + fy) * inW + x0 + fx) * channels + c))
                            }
                        }
                        dtype.storeInteger(Swift.min(Swift.max(best, Int64(lo)), Int64(hi)), output, n)
                        n += 1
                    }
                }
            }
        }
    }
}
