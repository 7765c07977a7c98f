import EdgeFormat

/// One TFLite operator being imported: its builtin code, a name for the graph node (its
/// first output tensor's name) and the label errors use.
struct TFLiteNode {
    let op: TFLiteModel.Operator
    let index: Int
    var code: Int32 = -1
    var name: String
    var object: String

    init(op: TFLiteModel.Operator, index: Int, context: TFLiteContext) {
        self.op = op
        self.index = index
        let output = op.outputs.first.flatMap { i in i >= 0 && Int(i) < context.subgraph.tensors.count ? context.subgraph.tensors[Int(i)].name : nil }
        // Converters join fused layers' names with ';' ("model/conv/Relu;model/conv/BiasAdd;...");
        // the first is the layer's own and keeps reports readable.
        let layer = output.flatMap { $0.split(separator: ";").first.map(String.init) }
        name = layer.map { $0.isEmpty ? "op\(index)" : $0 } ?? "op\(index)"
        object = "\(context.source) operator \(index)"
        self.context = (context.model, context.source)
        tensorCount = context.subgraph.tensors.count
    }

    private let context: (model: TFLiteModel, source: String)
    private let tensorCount: Int

    var opName: String { TFLiteSchema.operatorName(code) }

    /// Looks the operator code up and rejects custom operators and extras edgepack cannot honour.
    mutating func resolveCode() throws(EdgeError) {
        guard op.opcodeIndex < context.model.operatorCodes.count else {
            throw EdgeError(.input, object: object, problem: "uses operator code \(op.opcodeIndex); the model has \(context.model.operatorCodes.count)",
                            fix: "the file is damaged: re-convert the model")
        }
        let c = context.model.operatorCodes[op.opcodeIndex]
        code = c.builtin
        object = "\(context.source) operator \(index) (\(opName)) '\(name)'"
        if code == TFLiteSchema.Builtin.custom {
            throw EdgeError(.unsupported, object: object, problem: "is the custom operator '\(c.customCode ?? "")', which edgepack cannot import",
                            fix: "convert the model with builtin TFLite operators only")
        }
        if op.hasCustomOptions || op.hasIntermediates {
            throw EdgeError(.unsupported, object: object, problem: "carries custom options or intermediate tensors edgepack does not read",
                            fix: "convert the model with builtin TFLite operators only")
        }
        if op.outputs.count != 1 {
            throw unsupported("has \(op.outputs.count) outputs; the operators edgepack maps have 1")
        }
        for i in op.inputs + op.outputs where i < -1 || Int(i) >= tensorCount || (i == -1 && op.outputs.contains(i)) {
            throw EdgeError(.input, object: object, problem: "refers to tensor \(i); the subgraph has \(tensorCount)",
                            fix: "the file is damaged: re-convert the model")
        }
    }

    func unsupported(_ problem: String, fix: String = "change the model, or report it if TFLite runs it") -> EdgeError {
        EdgeError(.unsupported, object: object, problem: problem, fix: fix)
    }

    /// The builtin options table, which must be of union type `type` (`tableName` in schema.fbs).
    /// nil when absent and `required` is false (every field then takes its schema default).
    func options(_ type: UInt8, _ tableName: String, required: Bool = true) throws(EdgeError) -> FBTable? {
        if op.optionsType == 0 || op.options == nil {
            if required { throw EdgeError(.input, object: object, problem: "has no \(tableName)", fix: "the file is damaged: re-convert the model") }
            return nil
        }
        if op.optionsType != type {
            throw EdgeError(.input, object: object, problem: "carries builtin options of union type \(op.optionsType), expected \(type) (\(tableName))",
                            fix: "the file is damaged: re-convert the model")
        }
        return op.options
    }

    /// Input `i`'s tensor index, or nil when absent (-1 or past the list).
    func inputIndex(_ i: Int) -> Int32? { i < op.inputs.count && op.inputs[i] >= 0 ? op.inputs[i] : nil }

    /// A fused activation (ActivationFunctionType) as a clamp.
    func activation(_ code: Int8) throws(EdgeError) -> Activation {
        switch code {
        case 0: return .none
        case 1: return .relu
        case 2: return Activation(min: -1, max: 1)
        case 3: return .relu6
        default:
            let name = code == 4 ? "TANH" : code == 5 ? "SIGN_BIT" : "\(code)"
            throw unsupported("has fused activation \(name); edgepack maps NONE, RELU, RELU_N1_TO_1 and RELU6")
        }
    }

    /// TFLite's SAME/VALID padding (Padding enum 0/1) of one spatial axis as explicit pads:
    /// SAME gives out = ceil(in / stride), VALID out = ceil((in - effective + 1) / stride); the
    /// total pad is split with the odd element after (ComputePaddingHeightWidth).
    func padding(_ scheme: Int8, input: Int, kernel: Int, stride: Int, dilation: Int) throws(EdgeError) -> (before: Int, after: Int) {
        if stride < 1 || dilation < 1 || kernel < 1 {
            throw unsupported("has kernel \(kernel), stride \(stride), dilation \(dilation); all must be >= 1")
        }
        let effective = (kernel - 1) * dilation + 1
        let out: Int
        switch scheme {
        case 0: out = (input + stride - 1) / stride
        case 1: out = (input - effective + stride) / stride
        default: throw unsupported("has padding \(scheme); TFLite defines SAME (0) and VALID (1)")
        }
        if out < 1 { throw unsupported("window \(effective) does not fit input size \(input) with VALID padding") }
        let total = max((out - 1) * stride + effective - input, 0)
        return (total / 2, total - total / 2)
    }
}
