import EdgeFormat

/// Memory order of a 4-D activation for the spatial ops (convolutions, pools, batch norm).
///
/// Importers produce the source framework's layout (ONNX: `.nchw`); `LayoutConversion`
/// rewrites every spatial op to `.nhwc`, the only layout the runtime runs. Weights follow the
/// op's layout: Conv2D `[O, I, kH, kW]` (nchw) or `[O, kH, kW, I]` (nhwc); DepthwiseConv2D
/// `[C*M, 1, kH, kW]` (nchw) or `[1, kH, kW, C*M]` (nhwc).
public enum Layout: String, Equatable, Sendable {
    case nchw, nhwc

    public var channelAxis: Int { self == .nchw ? 1 : 3 }
    public var spatialAxes: (h: Int, w: Int) { self == .nchw ? (2, 3) : (1, 2) }
}

/// A fused output clamp in real units (`-inf`/`+inf` when open), the `min`/`max` op params.
public struct Activation: Equatable, Sendable {
    public var min: Float
    public var max: Float

    public init(min: Float, max: Float) {
        self.min = min
        self.max = max
    }

    public static let none = Activation(min: -.infinity, max: .infinity)
    public static let relu = Activation(min: 0, max: .infinity)
    public static let relu6 = Activation(min: 0, max: 6)

    /// The clamp of applying `self`, then `next`.
    public func then(_ next: Activation) -> Activation {
        Activation(min: Swift.min(Swift.max(min, next.min), next.max), max: Swift.max(Swift.min(max, next.max), next.min))
    }

    public var isNone: Bool { min == -.infinity && max == .infinity }

    public func apply(_ x: Float) -> Float { Swift.min(Swift.max(x, min), max) }
}

/// Explicit padding of the two spatial axes, in elements.
public struct Padding2D: Equatable, Sendable {
    public var top: Int, left: Int, bottom: Int, right: Int

    public init(top: Int, left: Int, bottom: Int, right: Int) {
        self.top = top
        self.left = left
        self.bottom = bottom
        self.right = right
    }

    public static let zero = Padding2D(top: 0, left: 0, bottom: 0, right: 0)
}

/// Conv2D / DepthwiseConv2D attributes. Inputs: input, weights, optional bias `[O]`.
public struct ConvAttributes: Equatable, Sendable {
    public var strideH: Int, strideW: Int
    public var dilationH: Int, dilationW: Int
    public var padding: Padding2D
    public var activation: Activation
    public var layout: Layout

    public init(strideH: Int = 1, strideW: Int = 1, dilationH: Int = 1, dilationW: Int = 1,
                padding: Padding2D = .zero, activation: Activation = .none, layout: Layout) {
        self.strideH = strideH
        self.strideW = strideW
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.padding = padding
        self.activation = activation
        self.layout = layout
    }
}

/// AveragePool2D / MaxPool2D attributes. Padded taps are skipped (an average divides by the
/// taps inside the input: ONNX count_include_pad = 0, TFLite semantics).
public struct PoolAttributes: Equatable, Sendable {
    public var filterH: Int, filterW: Int
    public var strideH: Int, strideW: Int
    public var padding: Padding2D
    public var activation: Activation
    public var layout: Layout

    public init(filterH: Int, filterW: Int, strideH: Int, strideW: Int, padding: Padding2D = .zero,
                activation: Activation = .none, layout: Layout) {
        self.filterH = filterH
        self.filterW = filterW
        self.strideH = strideH
        self.strideW = strideW
        self.padding = padding
        self.activation = activation
        self.layout = layout
    }
}

/// The operations of the graph: the runtime's op set (FORMAT.md's op table) with typed
/// attributes, plus the import-level ops that passes remove before lowering.
///
/// Every attribute that changes the result is explicit here; a node's result depends only on
/// its op, its inputs and nothing else, which `Reference` (the float evaluator) spells out.
public enum Op: Equatable, Sendable {
    /// input, weights, bias?
    case conv2D(ConvAttributes)
    /// input, weights, bias?; output channel c reads input channel c / depthMultiplier.
    case depthwiseConv2D(ConvAttributes, depthMultiplier: Int)
    /// input [batch, in], weights [out, in], bias? [out].
    case fullyConnected(Activation)
    /// a, b with numpy broadcasting (rank <= 4).
    case add(Activation)
    case mul(Activation)
    case averagePool2D(PoolAttributes)
    case maxPool2D(PoolAttributes)
    /// Mean over `axes` (sorted, non-negative).
    case mean(axes: [Int], keepDims: Bool)
    /// Same elements in a new shape (the output's shape is the attribute).
    case reshape(shape: [Int])
    case concatenation(axis: Int)
    /// Constant padding; `before`/`after` have one entry per input axis; `value` in real units.
    case pad(before: [Int], after: [Int], value: Float)
    case clamp(Activation)
    case hardSwish
    case logistic
    case tanh
    /// Softmax over the last axis.
    case softmax(beta: Float)
    /// float32 -> int8, or int8 -> int8 requantization (to the output's parameters).
    case quantize
    /// int8 -> float32.
    case dequantize
    /// Output dim i is input dim perm[i].
    case transpose(perm: [Int])
    /// Output = input with dim `axis` replaced by entries `indices` (each in 0..<dim), in
    /// order: Slice (any steps) and nearest-neighbour Resize. Lowered with an int32 constant.
    case gather(axis: Int, indices: [Int])
    /// a / b with numpy broadcasting (rank <= 4); float32 only.
    case div(Activation)
    /// a - b with numpy broadcasting (rank <= 4); integer tensors only (float32 Sub is Add of
    /// a negated operand).
    case sub(Activation)
    /// ONNX QuantizeLinear: x (float32 or float16), scale, zero point (float32 constants of one
    /// shape that broadcasts to x, rank <= 4; integral zero points) -> `to` (int4, uint4, int8,
    /// uint8, int16, uint16: saturate(round_half_to_even(x / scale) + zero point); float8e4m3fn,
    /// float8e5m2: x / scale rounded to nearest-even, zero point 0; beyond the largest finite
    /// value `saturate` clamps to it, else gives NaN (e4m3fn) or infinity (e5m2)).
    case quantizeLinear(to: DType, saturate: Bool)
    /// ONNX DequantizeLinear: x (int4, uint4, int8, uint8, int16, uint16, int32, float8),
    /// scale, zero point as above -> `to` (float32 or float16) (x - zero point) x scale.
    case dequantizeLinear(to: DType)
    /// Elementwise square root; float32 only.
    case sqrt
    /// ONNX MaxPool's second output on an NCHW input: int64 flat indices of each window's first
    /// largest tap (`columnMajor`: storage_order 1). `a.layout` stays `.nchw`.
    case maxPoolIndices(PoolAttributes, columnMajor: Bool)

    // Import-level ops: removed before lowering.

    /// Inference batch norm over the layout's channel axis; inputs x, scale, bias, mean,
    /// variance (constants of shape [C]). Folded into the producing convolution, or rewritten
    /// into Mul + Add, by `BatchNormFolding`.
    case batchNormalization(epsilon: Float, layout: Layout)

    /// The model.bin op kind, or nil for an import-level op.
    public var kind: OpKind? {
        switch self {
        case .conv2D: return .conv2D
        case .depthwiseConv2D: return .depthwiseConv2D
        case .fullyConnected: return .fullyConnected
        case .add: return .add
        case .mul: return .mul
        case .averagePool2D: return .averagePool2D
        case .maxPool2D: return .maxPool2D
        case .mean: return .mean
        case .reshape: return .reshape
        case .concatenation: return .concatenation
        case .pad: return .pad
        case .clamp: return .clamp
        case .hardSwish: return .hardSwish
        case .logistic: return .logistic
        case .tanh: return .tanh
        case .softmax: return .softmax
        case .quantize: return .quantize
        case .dequantize: return .dequantize
        case .transpose: return .transpose
        case .gather: return .gather
        case .div: return .div
        case .sub: return .sub
        case .quantizeLinear: return .quantizeLinear
        case .dequantizeLinear: return .dequantizeLinear
        case .sqrt: return .sqrt
        case .maxPoolIndices: return .maxPoolIndices
        case .batchNormalization: return nil
        }
    }

    public var name: String {
        if let kind { return kind.name }
        switch self {
        case .batchNormalization: return "BatchNormalization"
        default: return "?"
        }
    }

    /// The fused clamp of ops that have one.
    public var activation: Activation? {
        switch self {
        case .conv2D(let a), .depthwiseConv2D(let a, _): return a.activation
        case .averagePool2D(let a), .maxPool2D(let a): return a.activation
        case .fullyConnected(let a), .add(let a), .mul(let a), .clamp(let a), .div(let a), .sub(let a): return a
        default: return nil
        }
    }

    /// The same op with its fused clamp replaced (nil when the op has none).
    public func with(activation act: Activation) -> Op? {
        switch self {
        case .conv2D(var a): a.activation = act; return .conv2D(a)
        case .depthwiseConv2D(var a, let m): a.activation = act; return .depthwiseConv2D(a, depthMultiplier: m)
        case .averagePool2D(var a): a.activation = act; return .averagePool2D(a)
        case .maxPool2D(var a): a.activation = act; return .maxPool2D(a)
        case .fullyConnected: return .fullyConnected(act)
        case .add: return .add(act)
        case .mul: return .mul(act)
        case .div: return .div(act)
        case .sub: return .sub(act)
        case .clamp: return .clamp(act)
        default: return nil
        }
    }

    /// The spatial layout of ops that have one.
    public var layout: Layout? {
        switch self {
        case .conv2D(let a), .depthwiseConv2D(let a, _): return a.layout
        case .averagePool2D(let a), .maxPool2D(let a): return a.layout
        case .batchNormalization(_, let layout): return layout
        default: return nil
        }
    }
}

/// One operation applied to values.
public struct Node: Equatable, Sendable {
    public var op: Op
    /// nil marks an absent optional input (e.g. no bias).
    public var inputs: [ValueID?]
    public var outputs: [ValueID]
    /// The source layer name, for reports and errors.
    public var name: String

    public init(op: Op, inputs: [ValueID?], outputs: [ValueID], name: String) {
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.name = name
    }

    /// Input `i` when present.
    public func input(_ i: Int) -> ValueID? { i < inputs.count ? inputs[i] : nil }

    /// "node 'conv1' (Conv2D)".
    public var label: String { name.isEmpty ? "node (\(op.name))" : "node '\(name)' (\(op.name))" }
}
