import CEdgeKernels
import EdgeFormat

/// The CPU a model is packed for: which pack-time weight layouts (FORMAT.md, "Packed int8
/// Conv2D weights") its kernels want. Files packed for one target run everywhere (every layout
/// has a `__ref` kernel); they run fastest on the target.
public struct PackTarget: Equatable, Sendable {
    /// For messages and METADATA: "host (avx2)", "board rpi5", "canonical".
    public var name: String
    /// int8 Conv2D weights in layout 2 (`oc16_k2`, the AVX2 4x16c2 tile) with the input
    /// zero-point term folded into the bias.
    public var packsConvOC16K2: Bool

    public init(name: String, packsConvOC16K2: Bool) {
        self.name = name
        self.packsConvOC16K2 = packsConvOC16K2
    }

    /// Canonical layouts only (OHWI weights, separate bias): what every kernel reads.
    public static let canonical = PackTarget(name: "canonical", packsConvOC16K2: false)

    /// The CPU edgepack runs on (`edgepack pack --board host`): layout 2 when it has AVX2.
    public static var host: PackTarget {
        #if arch(x86_64)
        let avx2 = ek_cpu_features() & UInt32(EK_CPU_LEVEL_AVX2) == UInt32(EK_CPU_LEVEL_AVX2)
        return PackTarget(name: avx2 ? "host (avx2)" : "host", packsConvOC16K2: avx2)
        #else
        return PackTarget(name: "host", packsConvOC16K2: false)
        #endif
    }

    /// A board profile's target from its `isa` list (boards/SCHEMA.md): `avx2` selects the
    /// AVX2 layouts; NEON boards keep the canonical layouts their kernels read.
    public static func board(_ name: String, isa: [String]) -> PackTarget {
        PackTarget(name: "board \(name)", packsConvOC16K2: isa.contains("avx2"))
    }
}

enum WeightPacking {
    /// The layout-2 weights tensor of an int8 Conv2D node (weights packed, bias folded in), or
    /// nil when the target does not want it or the node does not qualify (float, dynamic-range
    /// or block-sparse weights, K over `PackedWeights.maxK`, or a stem the runtime gives its
    /// few-input-channel kernel: up to `EK_CONV_SC_MAX_C` input and `EK_CONV_SC_MAX_OUT_C`
    /// output channels, where that 8-pixel tile runs about twice as fast as the 4x16c2 tile
    /// layout 2 feeds, e.g. VWW's 3x3/2 3->8 stem, measured with the kernels side by side), or
    /// a 1x1 convolution the canonical path gives the 4x16c4 tile over enough pixels
    /// (`runsC4Canonically`).
    static func packedConv(_ g: Graph, _ node: Node, target: PackTarget) -> ModelDescription.Tensor? {
        guard target.packsConvOC16K2, case .conv2D(let attributes) = node.op, node.inputs.count >= 2,
              let x = node.inputs[0], let wv = node.inputs[1], node.outputs.count == 1 else { return nil }
        let input = g[x], w = g[wv], output = g[node.outputs[0]]
        guard input.dtype == .int8, output.dtype == .int8, w.dtype == .int8, w.rank == 4, w.sparseBlockWidth == nil,
              let zp = input.quantization?.zeroPoints, zp.count == 1, let q = w.quantization,
              case .int8(let weights)? = w.data else { return nil }
        let outC = w.shape[0], k = w.shape[1] * w.shape[2] * w.shape[3]
        if k > PackedWeights.maxK || weights.count != outC * k { return nil }
        if w.shape[3] <= Int(EK_CONV_SC_MAX_C) && outC <= Int(EK_CONV_SC_MAX_OUT_C) { return nil }
        if runsC4Canonically(input.shape, w.shape, output.shape, attributes) { return nil }
        var bias: [Int32]? = nil
        if node.inputs.count > 2, let b = node.inputs[2] {
            guard case .int32(let values)? = g[b].data, values.count == outC else { return nil }
            bias = values
        }
        // The C size: a disagreement with PackedWeights.byteSize fails validation when the file is read back.
        var bytes = [UInt8](repeating: 0, count: ek_qs8_pconv2d_packed_bytes(outC, k))
        bytes.withUnsafeMutableBytes { dst in
            weights.withUnsafeBufferPointer { wp in
                if let bias {
                    bias.withUnsafeBufferPointer { ek_qs8_pconv2d_pack(outC, k, wp.baseAddress, $0.baseAddress, zp[0], dst.baseAddress) }
                } else {
                    ek_qs8_pconv2d_pack(outC, k, wp.baseAddress, nil, zp[0], dst.baseAddress)
                }
            }
        }
        var t = ModelDescription.Tensor(name: w.name, dtype: .int8, shape: w.shape)
        t.constantData = bytes
        t.layout = PackedWeights.conv2DLayout
        t.quantization = zip(q.scales, q.zeroPoints).map { QuantParams(scale: $0, zeroPoint: $1) }
        t.quantizedDimension = q.scales.count > 1 ? q.axis : 0
        return t
    }

    /// Fewest output pixels (batch included) from which a 1x1 convolution stays canonical.
    static let c4MinPixels = 128

    /// Whether the canonical AVX2 Conv2D runs the node on the 4x16c4 tile (`ek_c4_fits`: 1x1
    /// window, no top or left padding, every window inside the input, K up to
    /// `EK_CONV_C4_MAX_K`) over at least `c4MinPixels` output pixels. There that tile, even
    /// with its weights repacked per call, is faster than the 4x16c2 tile over layout 2
    /// (`make kernel-bench`, packed column, three runs: VWW's pointwise 8->16 at 48x48 runs in
    /// 0.72-0.78x the time canonically, 16->32 and 32->32 at 24x24 in 0.83-0.90x, 32->64 and
    /// 64->64 at 12x12 in 0.93-0.96x, ResNet-8's 1x1/2 shortcut 16->32 at 16x16 in 0.76x).
    /// Over fewer pixels the repacking does not pay: VWW's 64->128 at 6x6 and 128->256 at 3x3,
    /// str_ww's 128->128 over 24 and 15 steps run 1.10-1.88x faster in layout 2; kws's 64->64
    /// over 125 pixels and ResNet-8's 32->64 shortcut over 64 are even (0.96x) and keep it.
    static func runsC4Canonically(_ input: [Int], _ w: [Int], _ output: [Int], _ a: ConvAttributes) -> Bool {
        guard a.layout == .nhwc, w[1] == 1, w[2] == 1, a.padding.top == 0, a.padding.left == 0, w[3] <= Int(EK_CONV_C4_MAX_K),
              input.count == 4, output.count == 4 else { return false }
        let inside = (output[1] - 1) * a.strideH < input[1] && (output[2] - 1) * a.strideW < input[2]
        return inside && output[0] * output[1] * output[2] >= c4MinPixels
    }
}
