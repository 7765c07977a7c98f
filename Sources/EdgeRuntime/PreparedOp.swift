import EdgeFormat

/// One op, prepared: plain data (pointers, shapes, requantization constants, kernel pointers)
/// that executes without checks or allocation. Adding an op kind makes `prepare`'s switch
/// non-exhaustive, so the compiler lists what to add.
enum PreparedOp {
    case conv(ConvCall)
    case fullyConnected(FullyConnectedCall)
    case binary(BinaryCall)
    case pool(PoolCall)
    case mean(MeanCall)
    case elementwise(ElementwiseCall)
    case softmax(SoftmaxCall)
    case copy(CopyCall)
    case sparse(SparseCall)
    /// An op whose outputs hold no elements (a dimension of size 0): nothing to compute.
    case empty

    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.checkSparseOperands()
        if try c.hasOnlyEmptyOutputs() { return .empty }
        switch c.record.kind {
        case .conv2D: return try Conv2D.prepare(&c)
        case .depthwiseConv2D: return try DepthwiseConv2D.prepare(&c)
        case .fullyConnected: return try FullyConnected.prepare(&c)
        case .add: return try Add.prepare(&c)
        case .mul: return try Mul.prepare(&c)
        case .averagePool2D: return try AveragePool2D.prepare(&c)
        case .maxPool2D: return try MaxPool2D.prepare(&c)
        case .mean: return try Mean.prepare(&c)
        case .reshape: return try Reshape.prepare(&c)
        case .concatenation: return try Concatenation.prepare(&c)
        case .pad: return try Pad.prepare(&c)
        case .clamp: return try Clamp.prepare(&c)
        case .hardSwish: return try HardSwish.prepare(&c)
        case .logistic: return try Logistic.prepare(&c)
        case .tanh: return try Tanh.prepare(&c)
        case .softmax: return try Softmax.prepare(&c)
        case .quantize: return try Quantize.prepare(&c)
        case .dequantize: return try Dequantize.prepare(&c)
        case .transpose: return try Transpose.prepare(&c)
        case .gather: return try Gather.prepare(&c)
        case .div: return try Div.prepare(&c)
        case .sub: return try Sub.prepare(&c)
        case .quantizeLinear: return try QuantizeLinear.prepare(&c)
        case .dequantizeLinear: return try DequantizeLinear.prepare(&c)
        case .sqrt: return try Sqrt.prepare(&c)
        case .maxPoolIndices: return try MaxPoolIndices.prepare(&c)
        }
    }

    /// Runs the op at `op`. Not inlined: `invoke` and `invoke(observing:)` share one copy of the
    /// dispatch and of the kernels LTO inlines into it (a copy per caller cost about 6 KB of
    /// aarch64 code). It takes a pointer into the interpreter's op array so that calling it does
    /// not first copy the whole enum (about 200 bytes) per op and inference.
    @inline(never)
    static func execute(_ op: UnsafePointer<PreparedOp>) {
        switch op.pointee {
        case .conv(let call): call.execute()
        case .fullyConnected(let call): call.execute()
        case .binary(let call): call.execute()
        case .pool(let call): call.execute()
        case .mean(let call): call.execute()
        case .elementwise(let call): call.execute()
        case .softmax(let call): call.execute()
        case .copy(let call): call.execute()
        case .sparse(let call): call.execute()
        case .empty: break
        }
    }

    var kernelName: StaticString {
        switch self {
        case .conv(let call): return call.kernelName
        case .fullyConnected(let call): return call.kernelName
        case .binary(let call): return call.kernelName
        case .pool(let call): return call.kernelName
        case .mean(let call): return call.kernelName
        case .elementwise(let call): return call.kernelName
        case .softmax(let call): return call.kernelName
        case .copy(let call): return call.kernelName
        case .sparse(let call): return call.kernelName
        case .empty: return "none (empty output)"
        }
    }
}

extension PrepareContext {
    /// Empty tensors (an element count of 0): an op whose outputs are all empty writes nothing
    /// and runs as `.empty`; an empty input feeding a non-empty output is refused, so op kernels
    /// never see a zero-sized dimension.
    func hasOnlyEmptyOutputs() throws(EdgeError) -> Bool {
        var outputsEmpty = record.outputCount > 0
        for o in 0..<record.outputCount where output(o).shape.elementCount != 0 { outputsEmpty = false }
        if outputsEmpty { return true }
        for i in 0..<record.inputCount {
            if let t = optionalInput(i), t.shape.elementCount == 0 {
                throw unsupported("input % (tensor % @) has no elements but the output does; empty inputs are supported only where the output is empty too", i, t.index, text: t.shape.text)
            }
        }
        return false
    }
}
