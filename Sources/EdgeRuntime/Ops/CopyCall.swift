import CEdgeKernels
import EdgeFormat

/// A prepared data-movement op: Reshape (a copy unless the plan aliased it), Concatenation,
/// Pad, Transpose or Gather.
struct CopyCall {
    enum Kernel {
        /// `rows` blocks: for each part, rows of `partBytes` from `parts[i]` to `output + offset[i]`.
        case concatenate(parts: UnsafePointer<UnsafeRawPointer>, partBytes: UnsafePointer<Int>, count: Int, rows: Int, outputRowBytes: Int)
        case pad(ek_pad_shape, value: UInt32)
        case transpose(ek_transpose_shape)
        case reshape(bytes: Int)
        case gather(ek_gather_shape, indices: UnsafePointer<Int32>)
    }

    var input: UnsafeRawPointer
    var output: UnsafeMutableRawPointer
    var elementSize: Int
    var kernel: Kernel

    var kernelName: StaticString {
        switch kernel {
        case .concatenate: return "ek_xN_copy_rows__ref"
        case .pad: return "ek_xN_pad__ref"
        case .transpose: return "ek_xN_transpose__ref"
        case .reshape: return "ek_xN_copy_rows__ref"
        case .gather: return "ek_xN_gather__ref"
        }
    }

    func execute() {
        switch kernel {
        case .reshape(let bytes):
            if input != UnsafeRawPointer(output) { ek_xN_copy_rows__ref(1, bytes, input, bytes, output, bytes) }
        case .concatenate(let parts, let partBytes, let count, let rows, let outputRowBytes):
            var offset = 0
            for i in 0..<count {
                ek_xN_copy_rows__ref(rows, partBytes[i], parts[i], partBytes[i], output + offset, outputRowBytes)
                offset += partBytes[i]
            }
        case .pad(let shape, let value):
            withUnsafePointer(to: shape) { s in
                withUnsafePointer(to: value) { ek_xN_pad__ref(s, elementSize, input, output, $0) }
            }
        case .transpose(let shape):
            withUnsafePointer(to: shape) { ek_xN_transpose__ref($0, elementSize, input, output) }
        case .gather(let shape, let indices):
            withUnsafePointer(to: shape) { ek_xN_gather__ref($0, elementSize, indices, input, output) }
        }
    }
}

extension Shape {
    /// The dims as the fixed-size C array of the copy kernels.
    var cDims: (Int32, Int32, Int32, Int32, Int32, Int32) {
        (Int32(self[0]), Int32(self[1]), Int32(self[2]), Int32(self[3]), Int32(self[4]), Int32(self[5]))
    }
}
