import CEdgeKernels
import EdgeFormat

/// A prepared one-input elementwise op (Clamp, HardSwish, Logistic, Tanh, Quantize,
/// Dequantize): `count` elements from `input` to `output` through one kernel.
struct ElementwiseCall {
    enum Kernel {
        case f32Clamp(min: Float, max: Float)
        case qs8Clamp(ek_qs8_clamp_params)
        case f32HardSwish
        case qs8HardSwish(ek_qs8_hswish_params)
        case f32Sigmoid
        case qs8Sigmoid(UnsafePointer<ek_qs8_lut_params>)
        case f32Tanh
        case qs8Tanh(UnsafePointer<ek_qs8_lut_params>)
        case quantize(scale: Float, zeroPoint: Int32)
        case dequantize(scale: Float, zeroPoint: Int32)
        case requantize(ek_qs8_requantize_params)
        case f32Sqrt
    }

    var count: Int
    var input: UnsafeRawPointer
    var output: UnsafeMutableRawPointer
    var kernel: Kernel

    var kernelName: StaticString {
        switch kernel {
        case .f32Clamp: return "ek_f32_clamp_x1__ref"
        case .qs8Clamp: return "ek_qs8_clamp_x1__ref"
        case .f32HardSwish: return "ek_f32_hswish_x1__ref"
        case .qs8HardSwish: return "ek_qs8_hswish_x1__ref"
        case .f32Sigmoid: return "ek_f32_sigmoid_x1__ref"
        case .qs8Sigmoid: return "ek_qs8_sigmoid_x1__ref"
        case .f32Tanh: return "ek_f32_tanh_x1__ref"
        case .qs8Tanh: return "ek_qs8_tanh_x1__ref"
        case .quantize: return "ek_f32_qs8_cvt_x1__ref"
        case .dequantize: return "ek_qs8_f32_cvt_x1__ref"
        case .requantize: return "ek_qs8_requantize_x1__ref"
        case .f32Sqrt: return "Sqrt (Swift)"
        }
    }

    func execute() {
        let f32In = input.assumingMemoryBound(to: Float.self), f32Out = output.assumingMemoryBound(to: Float.self)
        let i8In = input.assumingMemoryBound(to: Int8.self), i8Out = output.assumingMemoryBound(to: Int8.self)
        switch kernel {
        case .f32Clamp(let min, let max): ek_f32_clamp_x1__ref(count, f32In, f32Out, min, max)
        case .qs8Clamp(let p): withUnsafePointer(to: p) { ek_qs8_clamp_x1__ref(count, $0, i8In, i8Out) }
        case .f32HardSwish: ek_f32_hswish_x1__ref(count, f32In, f32Out)
        case .qs8HardSwish(let p): withUnsafePointer(to: p) { ek_qs8_hswish_x1__ref(count, $0, i8In, i8Out) }
        case .f32Sigmoid: ek_f32_sigmoid_x1__ref(count, f32In, f32Out)
        case .qs8Sigmoid(let table): ek_qs8_sigmoid_x1__ref(count, table, i8In, i8Out)
        case .f32Tanh: ek_f32_tanh_x1__ref(count, f32In, f32Out)
        case .qs8Tanh(let table): ek_qs8_tanh_x1__ref(count, table, i8In, i8Out)
        case .quantize(let scale, let zeroPoint): ek_f32_qs8_cvt_x1__ref(count, f32In, i8Out, scale, zeroPoint)
        case .dequantize(let scale, let zeroPoint): ek_qs8_f32_cvt_x1__ref(count, i8In, f32Out, scale, zeroPoint)
        case .requantize(let p): withUnsafePointer(to: p) { ek_qs8_requantize_x1__ref(count, $0, i8In, i8Out) }
        case .f32Sqrt: for i in 0..<count { f32Out[i] = f32In[i].squareRoot() }
        }
    }
}

extension PrepareContext {
    /// Common checks of one-input, one-output elementwise ops: same shape, and the op's mode.
    func elementwiseOperands() throws(EdgeError) -> (TensorInfo, TensorInfo, Mode) {
        try expectArity(inputs: 1...1, outputs: 1)
        let input = try input(0), output = output(0)
        try requireSameShape(input, output)
        let mode = try mode(of: input)
        if mode == .qs8 {
            try require(output, .int8, "output")
            try requirePerTensor(input, "input")
            try requirePerTensor(output, "output")
        } else {
            try require(output, .float32, "output")
        }
        return (input, output, mode)
    }

    func elementwise(_ input: TensorInfo, _ output: TensorInfo, _ kernel: ElementwiseCall.Kernel) -> PreparedOp {
        .elementwise(ElementwiseCall(count: input.shape.elementCount, input: UnsafeRawPointer(input.data),
                                     output: output.data, kernel: kernel))
    }
}
