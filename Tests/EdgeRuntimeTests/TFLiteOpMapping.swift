import EdgeFormat

/// A one-op EdgeRun model built from a golden case, and which case input feeds each of its
/// graph inputs.
struct GoldenModel {
    var description: ModelDescription
    /// `feeds[k]` is the case input position copied into `interpreter.input(k)`.
    var feeds: [Int]
}

/// Turns a TFLite single-op case into an EdgeRun `ModelDescription`: TFLite options become
/// EdgeRun's explicit params (FORMAT.md, op table), constant inputs become constant tensors
/// or, where EdgeRun takes them as params (PAD paddings, TRANSPOSE perm, MEAN axis, RESHAPE
/// shape), disappear into the params.
enum TFLiteOpMapping {
    /// The EdgeRun op kind that runs a TFLite builtin operator, or nil if there is none.
    static func kind(of op: String) -> OpKind? {
        switch op {
        case "CONV_2D": return .conv2D
        case "DEPTHWISE_CONV_2D": return .depthwiseConv2D
        case "FULLY_CONNECTED": return .fullyConnected
        case "ADD": return .add
        case "MUL": return .mul
        case "AVERAGE_POOL_2D": return .averagePool2D
        case "MAX_POOL_2D": return .maxPool2D
        case "MEAN": return .mean
        case "RESHAPE": return .reshape
        case "CONCATENATION": return .concatenation
        case "PAD": return .pad
        case "RELU", "RELU6", "RELU_N1_TO_1": return .clamp
        case "HARD_SWISH": return .hardSwish
        case "LOGISTIC": return .logistic
        case "TANH": return .tanh
        case "SOFTMAX": return .softmax
        case "QUANTIZE": return .quantize
        case "DEQUANTIZE": return .dequantize
        case "TRANSPOSE": return .transpose
        case "GATHER": return .gather
        case "DIV": return .div
        default: return nil
        }
    }

    static func model(for c: GoldenCase) throws -> GoldenModel {
        guard let kind = kind(of: c.op) else { throw GoldenError("\(c.name): TFLite op \(c.op) has no EdgeRun op kind") }
        guard c.outputs.count == 1 else { throw GoldenError("\(c.name): \(c.outputs.count) outputs, expected 1") }
        var model = ModelDescription(name: c.name, producer: "TFLiteGoldenTests")
        var operands: [Int?] = []
        var feeds: [Int] = []
        let paramInputs: Set<Int> = [.pad, .transpose, .mean, .reshape].contains(kind) ? [1] : []
        for (i, input) in c.inputs.enumerated() {
            guard let input else {
                operands.append(nil)
                continue
            }
            if paramInputs.contains(i) {
                if !input.constant { throw GoldenError("\(c.name): input \(i) '\(input.name)' must be constant") }
                continue
            }
            let constantData = input.constant ? try c.data(input) : nil
            operands.append(model.tensors.count)
            if !input.constant {
                model.inputs.append(model.tensors.count)
                feeds.append(i)
            }
            model.tensors.append(try tensor(input, constantData: constantData))
        }
        model.outputs = [model.tensors.count]
        model.tensors.append(try tensor(c.outputs[0], constantData: nil))

        let params = try self.params(kind, c)
        model.ops = [ModelDescription.Op(kind: kind, name: c.name, inputs: operands, outputs: model.outputs, params: params)]
        plan(&model)
        return GoldenModel(description: model, feeds: feeds)
    }

    private static func tensor(_ t: GoldenTensor, constantData: [UInt8]?) throws -> ModelDescription.Tensor {
        ModelDescription.Tensor(name: t.name, dtype: try t.edgeDType(), shape: t.shape, constantData: constantData,
                                quantization: t.quantization, quantizedDimension: t.quantizedDimension)
    }

    /// Test-local memory plan (not EdgePack's): every arena tensor gets its own 64-aligned
    /// region followed by at least 64 unused bytes, so that a kernel writing past its output
    /// is caught by the guard check; graph inputs live from op 0, outputs to the last op.
    static func plan(_ model: inout ModelDescription) {
        let alignment = FormatV1.tensorAlignment
        let lastOp = model.ops.count - 1
        var written: [Int: Int] = [:]
        var lastRead: [Int: Int] = [:]
        for (i, op) in model.ops.enumerated() {
            for t in op.inputs.compactMap({ $0 }) { lastRead[t] = i }
            for t in op.outputs where written[t] == nil { written[t] = i }
        }
        var cursor = 0
        var end = 0
        model.lifetimes = []
        for (i, t) in model.tensors.enumerated() where t.constantData == nil {
            model.tensors[i].arenaOffset = cursor
            end = cursor + t.byteSize
            cursor = (end + FormatV1.overReadBytes + alignment - 1) / alignment * alignment
            let first = model.inputs.contains(i) ? 0 : (written[i] ?? 0)
            let last = model.outputs.contains(i) ? lastOp : max(lastRead[i] ?? first, first)
            model.lifetimes.append(PlanEntry(tensor: i, firstOp: first, lastOp: last))
        }
        model.arenaBytes = end + FormatV1.overReadBytes
    }

    // MARK: - Params (FORMAT.md op table)

    private static func params(_ kind: OpKind, _ c: GoldenCase) throws -> [UInt8] {
        var p = ParamsBuilder()
        switch kind {
        case .conv2D, .depthwiseConv2D:
            guard let input = c.inputs[0], let filter = c.inputs[1], input.shape.count == 4, filter.shape.count == 4 else {
                throw GoldenError("\(c.name): convolution needs a 4-D input and filter")
            }
            let strideH = try c.int("stride_h"), strideW = try c.int("stride_w")
            let dilationH = try c.int("dilation_h_factor"), dilationW = try c.int("dilation_w_factor")
            let scheme = try c.string("padding")
            let h = try padding(scheme, input: input.shape[1], kernel: filter.shape[1], stride: strideH, dilation: dilationH)
            let w = try padding(scheme, input: input.shape[2], kernel: filter.shape[2], stride: strideW, dilation: dilationW)
            let (lo, hi) = try activation(c.string("fused_activation_function"))
            p.i32(strideH, strideW, dilationH, dilationW, h.before, w.before, h.after, w.after)
            p.f32(lo, hi)
            if kind == .depthwiseConv2D { p.i32(try c.int("depth_multiplier")) }
        case .fullyConnected:
            if try c.string("weights_format") != "DEFAULT" { throw GoldenError("\(c.name): only DEFAULT weights_format maps") }
            let (lo, hi) = try activation(c.string("fused_activation_function"))
            p.f32(lo, hi)
        case .add, .mul, .div:
            let (lo, hi) = try activation(c.string("fused_activation_function"))
            p.f32(lo, hi)
        case .averagePool2D, .maxPool2D:
            guard let input = c.inputs[0], input.shape.count == 4 else { throw GoldenError("\(c.name): pooling needs a 4-D input") }
            let fh = try c.int("filter_height"), fw = try c.int("filter_width")
            let sh = try c.int("stride_h"), sw = try c.int("stride_w")
            let scheme = try c.string("padding")
            let h = try padding(scheme, input: input.shape[1], kernel: fh, stride: sh, dilation: 1)
            let w = try padding(scheme, input: input.shape[2], kernel: fw, stride: sw, dilation: 1)
            let (lo, hi) = try activation(c.string("fused_activation_function"))
            p.i32(fh, fw, sh, sw, h.before, w.before, h.after, w.after)
            p.f32(lo, hi)
        case .mean:
            guard let input = c.inputs[0], let axes = c.inputs[1] else { throw GoldenError("\(c.name): MEAN needs input and axis") }
            var mask = 0
            for axis in try int32s(c, axes) {
                let a = Int(axis) < 0 ? Int(axis) + input.shape.count : Int(axis)
                if a < 0 || a >= input.shape.count { throw GoldenError("\(c.name): axis \(axis) outside rank \(input.shape.count)") }
                mask |= 1 << a
            }
            p.i32(mask, try c.bool("keep_dims") ? 1 : 0)
        case .reshape:
            // The output tensor's shape is the new shape; check the TFLite shape input agrees.
            if let shape = c.inputs[1], try int32s(c, shape).map({ Int($0) }) != c.outputs[0].shape {
                throw GoldenError("\(c.name): shape input disagrees with the output shape \(c.outputs[0].shape)")
            }
        case .concatenation:
            if try c.string("fused_activation_function") != "NONE" {
                throw GoldenError("\(c.name): EdgeRun's Concatenation has no fused activation")
            }
            p.i32(try c.int("axis"))
        case .pad:
            guard let input = c.inputs[0], let paddings = c.inputs[1], paddings.shape == [input.shape.count, 2] else {
                throw GoldenError("\(c.name): PAD needs paddings of shape [rank, 2]")
            }
            let pads = try int32s(c, paddings).map { Int($0) }
            let rank = input.shape.count
            p.i32((0..<6).map { $0 < rank ? pads[2 * $0] : 0 })
            p.i32((0..<6).map { $0 < rank ? pads[2 * $0 + 1] : 0 })
            p.f32(0)
        case .clamp:
            let (lo, hi) = try activation(c.op)
            p.f32(lo, hi)
        case .softmax:
            p.f32(Float(try c.double("beta")))
        case .transpose:
            guard let perm = c.inputs[1] else { throw GoldenError("\(c.name): TRANSPOSE needs perm") }
            let axes = try int32s(c, perm).map { Int($0) }
            p.i32((0..<6).map { $0 < axes.count ? axes[$0] : $0 })
        case .gather:
            if try c.int("batch_dims") != 0 { throw GoldenError("\(c.name): only batch_dims 0 maps") }
            p.i32(try c.int("axis"))
        case .hardSwish, .logistic, .tanh, .quantize, .dequantize:
            break
        case .sub, .quantizeLinear, .dequantizeLinear, .sqrt, .maxPoolIndices:
            throw GoldenError("\(c.name): no TFLite golden maps to \(kind.name)")
        }
        if p.bytes.count != kind.paramsSize {
            throw GoldenError("\(c.name): built \(p.bytes.count) parameter bytes for \(kind.name), expected \(kind.paramsSize)")
        }
        return p.bytes
    }

    /// TFLite's SAME/VALID padding as explicit pads: SAME gives out = ceil(in / stride), VALID
    /// out = ceil((in - (k - 1) * dilation) / stride); the total pad is split with the odd
    /// element after.
    static func padding(_ scheme: String, input: Int, kernel: Int, stride: Int, dilation: Int) throws -> (before: Int, after: Int) {
        let effective = (kernel - 1) * dilation + 1
        let out: Int
        switch scheme {
        case "SAME": out = (input + stride - 1) / stride
        case "VALID": out = (input - effective + 1 + stride - 1) / stride
        default: throw GoldenError("padding \(scheme) is neither SAME nor VALID")
        }
        let total = max((out - 1) * stride + effective - input, 0)
        return (total / 2, total - total / 2)
    }

    /// A TFLite fused activation (or RELU-family op) as a real-valued clamp.
    static func activation(_ name: String) throws -> (Float, Float) {
        switch name {
        case "NONE": return (-.infinity, .infinity)
        case "RELU": return (0, .infinity)
        case "RELU6": return (0, 6)
        case "RELU_N1_TO_1": return (-1, 1)
        default: throw GoldenError("fused activation \(name) has no EdgeRun clamp")
        }
    }

    private static func int32s(_ c: GoldenCase, _ t: GoldenTensor) throws -> [Int32] {
        if t.dtype != "int32" { throw GoldenError("\(c.name): '\(t.name)' is \(t.dtype), expected int32") }
        let bytes = try c.data(t)
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            Int32(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }
}

/// Little-endian 4-byte fields of an op's parameter blob.
private struct ParamsBuilder {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) {
        for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }
    mutating func i32(_ values: Int...) { i32(values) }
    mutating func i32(_ values: [Int]) { for v in values { u32(UInt32(bitPattern: Int32(v))) } }
    mutating func f32(_ values: Float...) { for v in values { u32(v.bitPattern) } }
}
