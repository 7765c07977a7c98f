import CEdgeKernels

/// The block-sparse int8 kernels of one level (ek_sparse.h), one entry per op and block width.
/// `KernelTable.sparse` holds them; a level that has no sparse kernels keeps `__ref`.
public struct SparseKernels {
    public typealias QS8FC = @convention(c) (UnsafePointer<ek_fc_shape>?, UnsafePointer<ek_qs8_fc_params>?, UnsafePointer<Int8>?, UnsafePointer<ek_qs8_bsr>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int8>?) -> Void
    public typealias QS8Conv1x1 = @convention(c) (UnsafePointer<ek_fc_shape>?, UnsafePointer<ek_qs8_requant_params>?, UnsafePointer<Int8>?, UnsafePointer<ek_qs8_bsr>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int8>?) -> Void
    /// The pixel-panel 1x1 conv (ek_sparse_px.h): any block width, arena scratch.
    public typealias QS8Conv1x1Panel = @convention(c) (UnsafePointer<ek_fc_shape>?, UnsafePointer<ek_qs8_requant_params>?, UnsafePointer<Int8>?, UnsafePointer<ek_qs8_bsr>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int8>?, UnsafeMutableRawPointer?) -> Void

    public var fc4: KernelTable.Entry<QS8FC>
    public var fc16: KernelTable.Entry<QS8FC>
    public var conv4: KernelTable.Entry<QS8Conv1x1>
    public var conv16: KernelTable.Entry<QS8Conv1x1>
    public var conv1x1Panel: KernelTable.Entry<QS8Conv1x1Panel>
    /// Fully connected with grouped 8x2 blocks (ek_sparse_grouped.h).
    public typealias QS8GroupedFC = @convention(c) (UnsafePointer<ek_fc_shape>?, UnsafePointer<ek_qs8_fc_params>?, UnsafePointer<Int8>?, UnsafePointer<ek_qs8_gbsr>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int8>?) -> Void
    public var groupedFC: KernelTable.Entry<QS8GroupedFC> = .init(function: ek_qs8_gspfc_minmax_1x1__ref, name: "ek_qs8_gspfc_minmax_1x1__ref")

    /// The fully connected kernel for 1 x `blockWidth` blocks (4 or 16, as validated at load).
    func fullyConnected(blockWidth: Int) -> KernelTable.Entry<QS8FC> { blockWidth == 16 ? fc16 : fc4 }
    func conv1x1(blockWidth: Int) -> KernelTable.Entry<QS8Conv1x1> { blockWidth == 16 ? conv16 : conv4 }

    /// Scratch bytes of the pixel-panel 1x1 conv for `[outFeatures, inFeatures]` weights with
    /// `valueCount` stored values (block count x block width); edgepack plans it in the arena.
    public static func panelScratchBytes(inFeatures: Int, outFeatures: Int, valueCount: Int) -> Int {
        Int(ek_qs8_spconv1x1_px_scratch_bytes(Int32(inFeatures), Int32(outFeatures), valueCount))
    }

    public static var reference: SparseKernels { SparseKernels(
        fc4: .init(function: ek_qs8_spfc_minmax_1x1__ref, name: "ek_qs8_spfc_minmax_1x1__ref"),
        fc16: .init(function: ek_qs8_spfc_minmax_1x1__ref, name: "ek_qs8_spfc_minmax_1x1__ref"),
        conv4: .init(function: ek_qs8_spconv1x1_minmax_1x1__ref, name: "ek_qs8_spconv1x1_minmax_1x1__ref"),
        conv16: .init(function: ek_qs8_spconv1x1_minmax_1x1__ref, name: "ek_qs8_spconv1x1_minmax_1x1__ref"),
        conv1x1Panel: .init(function: ek_qs8_spconv1x1_minmax_px32__ref, name: "ek_qs8_spconv1x1_minmax_px32__ref")) }

    #if arch(x86_64)
    static var avx2: SparseKernels { SparseKernels(
        fc4: .init(function: ek_qs8_spfc_minmax_b1x4__avx2, name: "ek_qs8_spfc_minmax_b1x4__avx2"),
        fc16: .init(function: ek_qs8_spfc_minmax_b1x16__avx2, name: "ek_qs8_spfc_minmax_b1x16__avx2"),
        conv4: .init(function: ek_qs8_spconv1x1_minmax_b1x4__avx2, name: "ek_qs8_spconv1x1_minmax_b1x4__avx2"),
        conv16: .init(function: ek_qs8_spconv1x1_minmax_b1x16__avx2, name: "ek_qs8_spconv1x1_minmax_b1x16__avx2"),
        conv1x1Panel: .init(function: ek_qs8_spconv1x1_minmax_px32__avx2, name: "ek_qs8_spconv1x1_minmax_px32__avx2"),
        groupedFC: .init(function: ek_qs8_gspfc_minmax_8x2__avx2, name: "ek_qs8_gspfc_minmax_8x2__avx2")) }

    static var avx512vnni: SparseKernels { SparseKernels(
        fc4: .init(function: ek_qs8_spfc_minmax_b1x4__avx512vnni, name: "ek_qs8_spfc_minmax_b1x4__avx512vnni"),
        fc16: .init(function: ek_qs8_spfc_minmax_b1x16__avx512vnni, name: "ek_qs8_spfc_minmax_b1x16__avx512vnni"),
        conv4: .init(function: ek_qs8_spconv1x1_minmax_b1x4__avx512vnni, name: "ek_qs8_spconv1x1_minmax_b1x4__avx512vnni"),
        conv16: .init(function: ek_qs8_spconv1x1_minmax_b1x16__avx512vnni, name: "ek_qs8_spconv1x1_minmax_b1x16__avx512vnni"),
        conv1x1Panel: .init(function: ek_qs8_spconv1x1_minmax_px32__avx2, name: "ek_qs8_spconv1x1_minmax_px32__avx2"),
        groupedFC: .init(function: ek_qs8_gspfc_minmax_8x2__avx2, name: "ek_qs8_gspfc_minmax_8x2__avx2")) }
    #elseif arch(arm64)
    static var neon: SparseKernels { SparseKernels(
        fc4: .init(function: ek_qs8_spfc_minmax_b1x4__neon, name: "ek_qs8_spfc_minmax_b1x4__neon"),
        fc16: .init(function: ek_qs8_spfc_minmax_b1x16__neon, name: "ek_qs8_spfc_minmax_b1x16__neon"),
        conv4: .init(function: ek_qs8_spconv1x1_minmax_b1x4__neon, name: "ek_qs8_spconv1x1_minmax_b1x4__neon"),
        conv16: .init(function: ek_qs8_spconv1x1_minmax_b1x16__neon, name: "ek_qs8_spconv1x1_minmax_b1x16__neon"),
        conv1x1Panel: .init(function: ek_qs8_spconv1x1_minmax_px32__neon, name: "ek_qs8_spconv1x1_minmax_px32__neon"),
        groupedFC: .init(function: ek_qs8_gspfc_minmax_8x2__neon, name: "ek_qs8_gspfc_minmax_8x2__neon")) }

    static var neondot: SparseKernels { SparseKernels(
        fc4: .init(function: ek_qs8_spfc_minmax_b1x4__neondot, name: "ek_qs8_spfc_minmax_b1x4__neondot"),
        fc16: .init(function: ek_qs8_spfc_minmax_b1x16__neondot, name: "ek_qs8_spfc_minmax_b1x16__neondot"),
        conv4: .init(function: ek_qs8_spconv1x1_minmax_b1x4__neondot, name: "ek_qs8_spconv1x1_minmax_b1x4__neondot"),
        conv16: .init(function: ek_qs8_spconv1x1_minmax_b1x16__neondot, name: "ek_qs8_spconv1x1_minmax_b1x16__neondot"),
        conv1x1Panel: .init(function: ek_qs8_spconv1x1_minmax_px32__neondot, name: "ek_qs8_spconv1x1_minmax_px32__neondot"),
        groupedFC: .init(function: ek_qs8_gspfc_minmax_8x2__neon, name: "ek_qs8_gspfc_minmax_8x2__neon")) }
    #endif
}
