import CEdgeKernels
import EdgeFormat

/// The CPU a model is packed for: which pack-time weight layouts (FORMAT.md, "Packed int8
/// Conv2D weights") its kernels want. Files packed for one target run everywhere (every layout
/// has a `__ref` kernel); they run fastest on the target.
public struct PackTarget: Equatable, Sendable {
    /// For messages and METADATA: "host (avx2)", "board rpi5", "canonical".
    public var name: String
    /// int8 Conv2D weights in layout 2 (`oc16_k2_s16`, the AVX2 4x16c2 tile) with the input
    /// zero-point term folded into the bias.
    public var packsConvOC16K2: Bool
    /// int8 1x1 Conv2D weights the 4x16c4 tile reads in place in layout 3 (`oc16_k4_sm8`,
    /// |w| and sign bytes, K blocked by 4, 16 channels interleaved), the zero-point and
    /// sign-trick terms folded into the bias.
    public var packsConv1x1OC16K4: Bool
    /// int8 Conv2D weights in layout 4 (`oc8_k1_s16`, the aarch64 NEON 8x8 tile) with the input
    /// zero-point term folded into the bias.
    public var packsConvOC8K1: Bool
    /// int8 Conv2D weights in layout 5 (`oc8_k4_s8`, the aarch64 SDOT 8x8c4 tile) with the
    /// input zero-point term folded into the bias.
    public var packsConvOC8K4: Bool
    /// int8 FullyConnected weights in layout 6 (`oc4_k16_s8`, the aarch64 1x4c16 tile) with the
    /// input zero-point term folded into the bias.
    public var packsFCOC4K16: Bool

    public init(name: String, packsConvOC16K2: Bool, packsConv1x1OC16K4: Bool = false, packsConvOC8K1: Bool = false,
                packsConvOC8K4: Bool = false, packsFCOC4K16: Bool = false) {
        self.name = name
        self.packsFCOC4K16 = packsFCOC4K16
        self.packsConvOC16K2 = packsConvOC16K2
        self.packsConv1x1OC16K4 = packsConv1x1OC16K4
        self.packsConvOC8K1 = packsConvOC8K1
        self.packsConvOC8K4 = packsConvOC8K4
    }

    /// Canonical layouts only (OHWI weights, separate bias): what every kernel reads.
    public static let canonical = PackTarget(name: "canonical", packsConvOC16K2: false)

    /// The CPU edgepack runs on (`edgepack pack --board host`): layouts 2 and 3 when it has AVX2.
    public static var host: PackTarget {
        #if arch(x86_64)
        let avx2 = ek_cpu_features() & UInt32(EK_CPU_LEVEL_AVX2) == UInt32(EK_CPU_LEVEL_AVX2)
        return PackTarget(name: avx2 ? "host (avx2)" : "host", packsConvOC16K2: avx2, packsConv1x1OC16K4: avx2)
        #else
        return PackTarget(name: "host", packsConvOC16K2: false)
        #endif
    }

    /// A board profile's target from its `isa` list (boards/SCHEMA.md): `avx2` selects the
    /// AVX2 layouts, `neon` without `dotprod` layout 4 (Pi Zero 2 W, Pi 3, Pi 4), `dotprod`
    /// without `i8mm` layout 5 (Pi 5, Cortex-A55 hubs), the SDOT 8x8c4 tile's blocks. Boards
    /// with i8mm keep the canonical layouts their SMMLA kernels read. `neon` without `i8mm`
    /// packs int8 FullyConnected weights in layout 6 as well (`WeightPacking.packedFC`).
    public static func board(_ name: String, isa: [String]) -> PackTarget {
        let avx2 = isa.contains("avx2"), dot = isa.contains("dotprod"), i8mm = isa.contains("i8mm")
        let neon = isa.contains("neon") && !dot
        return PackTarget(name: "board \(name)", packsConvOC16K2: avx2, packsConv1x1OC16K4: avx2, packsConvOC8K1: neon,
                          packsConvOC8K4: dot && !i8mm, packsFCOC4K16: isa.contains("neon") && !i8mm)
    }
}

enum WeightPacking {
    /// The packed weights tensor of an int8 Conv2D node (weights packed, bias folded in), or
    /// nil when the target wants none or the node does not qualify (float, dynamic-range or
    /// block-sparse weights, or a stem the runtime gives its few-input-channel kernel: up to
    /// `EK_CONV_SC_MAX_C` input and `EK_CONV_SC_MAX_OUT_C` output channels, where that 8-pixel
    /// tile runs about twice as fast as the 4x16c2 tile layout 2 feeds, e.g. VWW's 3x3/2 3->8
    /// stem, measured with the kernels side by side). A 1x1 convolution the 4x16c4 tile reads
    /// in place (`ek_qs8_pconv2d_c4_fits`, the C rule the kernels use) takes layout 3 when the
    /// target wants it; otherwise it stays canonical over enough pixels (`runsC4Canonically`).
    /// Every other convolution up to K = `PackedWeights.maxK` takes layout 2. Layout 3 against
    /// what edgepack wrote before it (layout 2, or canonical from 128 pixels), same static
    /// edgerun, files alternated, best of 2000 runs x 4: vww 0.260-0.263 -> 0.255-0.256 ms,
    /// kws 0.090-0.091 -> 0.087-0.088 ms, str_ww 0.0233 -> 0.0224 ms, ResNet-8 even (0.262).
    /// Kernel-only (`make kernel-bench`, l3 gain column) the few-pixel layers that were in
    /// layout 2 gain most (VWW's 6x6 and 3x3, str_ww's 15..28 steps); the many-pixel ones that
    /// were canonical are even within the noise.
    ///
    /// A NEON target without the dot product (`packsConvOC8K1`) writes layout 4 for every such
    /// convolution, stems included, with K up to `PackedWeights.neonMaxK` over at least
    /// `neonMinPixels` output pixels: the 8x8 tile then reads weights and folded bias in place
    /// instead of the runtime's per-call repack (8x8) or its 2x4c16 kernel. Guest instructions
    /// per call under qemu cortex-a53 (`scripts/pconv-neon-insn.sh`), canonical kernel ->
    /// layout 4: ResNet-8 3x3 32->32 @16
    /// 1.20M -> 0.86M, 3x3 64->64 @8 1.04M -> 0.78M, VWW pointwise 64->128 @6 209k -> 124k,
    /// str_ww 40->128 @28 140k -> 70k, DS-CNN pointwise 64->64 230k -> 209k, stems and
    /// pointwise convs already on the 8x8 tile 0.98-1.0x; one output pixel (str_ww's last
    /// 128->32) 6.3k -> 10.6k, hence the pixel floor. On dot-product CPUs the SDOT tiles over
    /// canonical weights beat layout 4 on most shapes (`CPU=cortex-a76 DOT=dot`: up to 1.8x
    /// fewer instructions), so those boards take layout 5 instead.
    ///
    /// A dot-product target without i8mm (`packsConvOC8K4`) writes layout 5 for every such
    /// convolution with K up to `PackedWeights.dotMaxK`, stems and single pixels included: the
    /// SDOT 8x8c4 tile then reads weights and folded bias in place instead of the runtime's
    /// per-call repack (8x8c4) or its 4x4c16 kernel. Guest instructions per call under qemu
    /// cortex-a76 (`CPU=cortex-a76 DOT=dot scripts/pconv-neon-insn.sh`), canonical -> layout 5:
    /// fewer on all 26 shapes measured, 0.42-0.73x where the canonical kernel is 4x4c16 (str_ww
    /// 40->128 @28 93k -> 39k, VWW 64->128 @6 130k -> 57k, ResNet-8 3x3 32->32 @16 604k ->
    /// 378k, str_ww's one-pixel 128->32 5.3k -> 3.9k), 0.83-1.0x where it already is 8x8c4
    /// (stems and VWW's early pointwise convs: the per-call repack saved); hence no floor.
    /// Per inference (`scripts/bench-qemu.sh`, cortex-a76): str_ww 0.65x, ResNet-8 0.84x, VWW
    /// 0.84x, DS-CNN KWS 0.87x, digits_cnn 0.95x the canonical file's instructions.
    static func packedConv(_ g: Graph, _ node: Node, target: PackTarget) -> ModelDescription.Tensor? {
        guard target.packsConvOC16K2 || target.packsConv1x1OC16K4 || target.packsConvOC8K1 || target.packsConvOC8K4,
              case .conv2D(let attributes) = node.op,
              node.inputs.count >= 2, let x = node.inputs[0], let wv = node.inputs[1], node.outputs.count == 1 else { return nil }
        let input = g[x], w = g[wv], output = g[node.outputs[0]]
        guard input.dtype == .int8, output.dtype == .int8, w.dtype == .int8, w.rank == 4, w.sparseBlockWidth == nil,
              let zp = input.quantization?.zeroPoints, zp.count == 1, let q = w.quantization,
              case .int8(let weights)? = w.data else { return nil }
        let outC = w.shape[0], k = w.shape[1] * w.shape[2] * w.shape[3]
        if weights.count != outC * k { return nil }
        let layout: UInt8
        if target.packsConvOC8K4 {
            guard k <= PackedWeights.dotMaxK else { return nil }
            layout = PackedWeights.dotConvLayout
        } else if target.packsConvOC8K1 {
            guard k <= PackedWeights.neonMaxK, output.shape.count == 4,
                  output.shape[0] * output.shape[1] * output.shape[2] >= neonMinPixels else { return nil }
            layout = PackedWeights.neonConvLayout
        } else {
            guard let l = avx2Layout(input.shape, w.shape, output.shape, attributes, k: k, target: target) else { return nil }
            layout = l
        }
        // The C sizes: a disagreement with PackedWeights fails validation when the file is read back.
        let size = layout == PackedWeights.conv1x1Layout ? ek_qs8_pconv2d_c4_packed_bytes(outC, k)
            : layout == PackedWeights.neonConvLayout ? ek_qs8_pconv2d_o8_packed_bytes(outC, k)
            : layout == PackedWeights.dotConvLayout ? ek_qs8_pconv2d_o8c4_packed_bytes(outC, k) : ek_qs8_pconv2d_packed_bytes(outC, k)
        let pack = layout == PackedWeights.conv1x1Layout ? ek_qs8_pconv2d_c4_pack
            : layout == PackedWeights.neonConvLayout ? ek_qs8_pconv2d_o8_pack
            : layout == PackedWeights.dotConvLayout ? ek_qs8_pconv2d_o8c4_pack : ek_qs8_pconv2d_pack
        return packed(g, node, w, weights, q, zp: zp[0], layout: layout, size: size, pack: pack)
    }

    /// The packed weights tensor of an int8 FullyConnected node in layout 6 (`oc4_k16_s8`, bias
    /// folded in), or nil when the target does not want it or the node does not qualify (float,
    /// dynamic-range or block-sparse weights, or a weight of -128, outside TFLite's int8 weight
    /// range and the layout's). The 1x4c16 NEON tiles then read each block's rows
    /// with one load per 16 K values and skip the per-call sum of weights the canonical kernels
    /// fold the input zero point with. Guest instructions per call, canonical 1x4c16 kernel ->
    /// layout 6 (`scripts/pfc-neon-insn.sh`), cortex-a53 (NEON) / cortex-a76 (SDOT): fewer on
    /// every shape of the firmware and MLPerf Tiny models, hence no shape rule: ad01 640->128
    /// 83.1k -> 26.1k / 62.6k -> 15.9k, 128->128 21.6k -> 8.7k / 17.6k -> 6.6k, 128->640 108.0k
    /// -> 43.2k / 87.6k -> 33.0k, 128->8 0.42x / 0.40x, 8->128 0.59x / 0.60x; digits_mlp 64->32
    /// 0.47x / 0.47x, 32->10 0.57x / 0.56x; kws 64->12 0.48x / 0.48x. Per inference
    /// (`scripts/bench-qemu.sh` packed tables): ad01 0.39x (a53, rpi4) / 0.36x (a76, rpi5) the
    /// canonical file's instructions, digits_mlp 0.65x / 0.67x.
    static func packedFC(_ g: Graph, _ node: Node, target: PackTarget) -> ModelDescription.Tensor? {
        guard target.packsFCOC4K16, case .fullyConnected = node.op, node.inputs.count >= 2, let x = node.inputs[0],
              let wv = node.inputs[1], node.outputs.count == 1 else { return nil }
        let input = g[x], w = g[wv], output = g[node.outputs[0]]
        guard input.dtype == .int8, output.dtype == .int8, w.dtype == .int8, w.rank == 2, w.sparseBlockWidth == nil,
              let zp = input.quantization?.zeroPoints, zp.count == 1, let q = w.quantization,
              case .int8(let weights)? = w.data, weights.count == w.shape[0] * w.shape[1],
              !weights.contains(-128) else { return nil }
        let layout = PackedWeights.neonFCLayout
        return packed(g, node, w, weights, q, zp: zp[0], layout: layout, size: ek_qs8_pfc_packed_bytes(w.shape[0], w.shape[1]),
                      pack: ek_qs8_pfc_pack)
    }

    /// Weights [out, ...] of `node` packed by the C packer `pack` into `size` bytes of `layout`,
    /// the bias input (if any) folded in; nil when the bias is not a constant int32 [out].
    static func packed(_ g: Graph, _ node: Node, _ w: Value, _ weights: [Int8], _ q: Quantization, zp: Int32, layout: UInt8, size: Int,
                       pack: (Int, Int, UnsafePointer<Int8>?, UnsafePointer<Int32>?, Int32, UnsafeMutableRawPointer?) -> Void)
        -> ModelDescription.Tensor? {
        let outC = w.shape[0], k = weights.count / max(outC, 1)
        var bias: [Int32]? = nil
        if node.inputs.count > 2, let b = node.inputs[2] {
            guard case .int32(let values)? = g[b].data, values.count == outC else { return nil }
            bias = values
        }
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { dst in
            weights.withUnsafeBufferPointer { wp in
                if let bias {
                    bias.withUnsafeBufferPointer { pack(outC, k, wp.baseAddress, $0.baseAddress, zp, dst.baseAddress) }
                } else {
                    pack(outC, k, wp.baseAddress, nil, zp, dst.baseAddress)
                }
            }
        }
        var t = ModelDescription.Tensor(name: w.name, dtype: .int8, shape: w.shape)
        t.constantData = bytes
        t.layout = layout
        t.quantization = zip(q.scales, q.zeroPoints).map { QuantParams(scale: $0, zeroPoint: $1) }
        t.quantizedDimension = q.scales.count > 1 ? q.axis : 0
        return t
    }

    /// Fewest output pixels (batch included) from which a Conv2D takes layout 4: the 8x8 tile
    /// multiplies eight pixels at a time, so one pixel costs it a whole tile.
    static let neonMinPixels = 8

    /// The AVX2 layout of a node (2 or 3), or nil when it stays canonical.
    static func avx2Layout(_ input: [Int], _ w: [Int], _ output: [Int], _ attributes: ConvAttributes, k: Int,
                           target: PackTarget) -> UInt8? {
        let outC = w[0]
        if w[3] <= Int(EK_CONV_SC_MAX_C) && outC <= Int(EK_CONV_SC_MAX_OUT_C) { return nil }
        let c4 = tileShape(input, w, output, attributes).map { c4Fits($0) } ?? false
        if c4 && target.packsConv1x1OC16K4 { return PackedWeights.conv1x1Layout }
        if target.packsConvOC16K2 && k <= PackedWeights.maxK && !runsC4Canonically(input, w, output, attributes) {
            return PackedWeights.conv2DLayout
        }
        return nil
    }

    /// The kernels' shape of an NHWC Conv2D (batch and spatial sizes from the graph), or nil
    /// when a size does not fit the C fields.
    static func tileShape(_ input: [Int], _ w: [Int], _ output: [Int], _ a: ConvAttributes) -> ek_conv2d_shape? {
        guard a.layout == .nhwc, input.count == 4, output.count == 4, w.count == 4 else { return nil }
        let fields = [input[0], input[1], input[2], input[3], output[1], output[2], w[0], w[1], w[2],
                      a.strideH, a.strideW, a.dilationH, a.dilationW, a.padding.top, a.padding.left]
        guard fields.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else { return nil }
        let v = fields.map { Int32($0) }
        return ek_conv2d_shape(batch: v[0], in_h: v[1], in_w: v[2], in_c: v[3], out_h: v[4], out_w: v[5], out_c: v[6],
                               kernel_h: v[7], kernel_w: v[8], stride_h: v[9], stride_w: v[10], dilation_h: v[11],
                               dilation_w: v[12], pad_top: v[13], pad_left: v[14], depth_multiplier: 1)
    }

    /// `ek_qs8_pconv2d_c4_fits`: a 1x1 window without top or left padding, every window
    /// inside the input (each pixel's K values contiguous in place).
    static func c4Fits(_ shape: ek_conv2d_shape) -> Bool {
        withUnsafePointer(to: shape) { ek_qs8_pconv2d_c4_fits($0) != 0 }
    }

    /// Fewest output pixels (batch included) from which a 1x1 convolution stays canonical
    /// for a target without layout 3.
    static let c4MinPixels = 128

    /// Whether the canonical AVX2 Conv2D runs the node on the 4x16c4 tile (`ek_c4_fits`:
    /// `ek_qs8_pconv2d_c4_fits` and K up to `EK_CONV_C4_MAX_K`) over at least `c4MinPixels`
    /// output pixels. There that tile, even with its weights repacked per call, is faster
    /// than the 4x16c2 tile over layout 2 (`make kernel-bench`, packed column, three runs:
    /// VWW's pointwise 8->16 at 48x48 runs in 0.72-0.78x the time canonically, 16->32 and
    /// 32->32 at 24x24 in 0.83-0.90x, 32->64 and 64->64 at 12x12 in 0.93-0.96x, ResNet-8's
    /// 1x1/2 shortcut 16->32 at 16x16 in 0.76x). Over fewer pixels the repacking does not pay.
    /// Layout 3 removes the repacking: with it these convolutions take layout 3 instead.
    static func runsC4Canonically(_ input: [Int], _ w: [Int], _ output: [Int], _ a: ConvAttributes) -> Bool {
        guard let shape = tileShape(input, w, output, a), c4Fits(shape), w[3] <= Int(EK_CONV_C4_MAX_K) else { return false }
        return output[0] * output[1] * output[2] >= c4MinPixels
    }
}
