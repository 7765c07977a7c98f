import EdgeFormat
import EdgeRuntime
import CEdgeKernels

/// The latency model's coefficients for one board (`latency_model` in a board profile; their
/// derivation is in boards/COST_MODEL.md).
///
/// An op executes `instructions_per_op` plus, for an op with MACs (convolutions, fully
/// connected), `macs x instructions_per_mac[<kernel class>]`, where the class names the kernel
/// that runs it (`qs8_conv2d_ref`, `f32_fc_neon`, ...; see `CostModel.macClass`), or, for any
/// other op, `bytes x instructions_per_byte` with `bytes` = every input plus every output.
/// Instruction counts are a property of the binary, the
/// same on every board of an architecture; `ipc` (instructions per cycle) is the core's. An
/// op's time is `instructions / ipc` cycles at the board's clock, on one core (`edgerun` runs
/// single-threaded).
public struct CostCoefficients: Sendable {
    /// `derived` (instruction counts measured under qemu, IPC from published core figures) or
    /// `measured` (fitted to `edgerun bench` on the board itself).
    public var status: String
    public var instructionsPerMAC: [String: Double]
    public var instructionsPerByte: Double
    public var instructionsPerOp: Double
    public var ipc: Double
    public var source: String

    init(_ fields: Fields) throws(EdgeError) {
        status = try fields.string("status")
        guard ["derived", "measured"].contains(status) else { throw fields.fail("status", "derived or measured") }
        let macs = try fields.object("instructions_per_mac")
        var table: [String: Double] = [:]
        for key in macs.values.keys.sorted() { table[key] = try macs.number(key) }
        instructionsPerMAC = table
        instructionsPerByte = try fields.number("instructions_per_byte", allowZero: true)
        instructionsPerOp = try fields.number("instructions_per_op", allowZero: true)
        ipc = try fields.number("ipc")
        source = try fields.string("instructions_source")
        _ = try fields.string("ipc_source")
    }

    public init(status: String, instructionsPerMAC: [String: Double], instructionsPerByte: Double,
                instructionsPerOp: Double, ipc: Double, source: String) {
        self.status = status
        self.instructionsPerMAC = instructionsPerMAC
        self.instructionsPerByte = instructionsPerByte
        self.instructionsPerOp = instructionsPerOp
        self.ipc = ipc
        self.source = source
    }
}

/// The work of one op and the kernel a board runs it with.
public struct OpCost: Sendable {
    public var index: Int
    public var kind: OpKind
    public var name: String
    public var kernel: String
    /// Multiply-accumulates (Conv2D, DepthwiseConv2D, FullyConnected; 0 for other ops).
    public var macs: Int
    /// Bytes of every input (weights included) and output.
    public var bytes: Int
    /// The `instructions_per_mac` key of the kernel, or nil for ops without MACs.
    public var macClass: String?
    public var instructions: Double = 0
    public var milliseconds: Double = 0
}

/// Per-op work and latency estimates for a model on a board.
public enum CostModel {
    /// The SIMD kernels of `KernelTable` (Sources/EdgeRuntime/KernelTable.swift) by the ISA
    /// feature they need, in the order `auto` prefers them (later wins). Every other op runs its
    /// `__ref` kernel. The host build only compiles its own ISA's kernels, so the table for a
    /// board's ISA is mirrored here; `CheckTests` checks the mirror against the runtime's choice
    /// on this host and the names against KernelTable.swift.
    public static let simdKernels: [(feature: String, kind: OpKind, int8: Bool, name: String)] = [
        ("neon", .fullyConnected, false, "ek_f32_fc_minmax_1x4c4__neon"),
        ("neon", .fullyConnected, true, "ek_qs8_fc_minmax_1x4c16__neon"),
        ("dotprod", .fullyConnected, true, "ek_qs8_fc_minmax_1x4c16__neondot"),
        ("i8mm", .fullyConnected, true, "ek_qs8_fc_minmax_2x4c16__neoni8mm"),
        ("avx2", .fullyConnected, false, "ek_f32_fc_minmax_1x4c8__avx2"),
        ("avx2", .fullyConnected, true, "ek_qs8_fc_minmax_1x8c16__avx2"),
        ("neon", .conv2D, false, "ek_f32_conv2d_minmax_4x16__neon"),
        ("neon", .conv2D, true, "ek_qs8_conv2d_minmax_2x4c16__neon"),
        ("dotprod", .conv2D, true, "ek_qs8_conv2d_minmax_4x4c16__neondot"),
        ("i8mm", .conv2D, true, "ek_qs8_conv2d_minmax_4x8c16__neoni8mm"),
        ("neon", .depthwiseConv2D, false, "ek_f32_dwconv2d_minmax_1x16__neon"),
        ("neon", .depthwiseConv2D, true, "ek_qs8_dwconv2d_minmax_1x16__neon"),
        ("avx2", .conv2D, false, "ek_f32_conv2d_minmax_4x16__avx2"),
        ("avx2", .conv2D, true, "ek_qs8_conv2d_minmax_4x16c2__avx2"),
        ("avx2", .depthwiseConv2D, false, "ek_f32_dwconv2d_minmax_1x16__avx2"),
        ("avx2", .depthwiseConv2D, true, "ek_qs8_dwconv2d_minmax_1x16__avx2"),
        ("neon", .add, true, "ek_qs8_add_minmax_x8__neon"),
        ("avx2", .add, true, "ek_qs8_add_minmax_x8__avx2"),
        ("neon", .maxPool2D, false, "ek_f32_maxpool2d_minmax_1x4__neon"),
        ("avx2", .maxPool2D, false, "ek_f32_maxpool2d_minmax_1x8__avx2"),
        ("avx2", .mean, false, "ek_f32_mean_hw_x8__avx2"),
        ("neon", .softmax, true, "ek_qs8_softmax_x1__neon"),
        ("avx2", .softmax, false, "ek_f32_softmax_x8__avx2"),
        ("avx2", .softmax, true, "ek_qs8_softmax_x8__avx2"),
    ]

    /// The kernel of int8 Conv2D over packed weights on AVX2 (`KernelTable.qs8PackedConv2D`).
    public static let packedConvAVX2 = "ek_qs8_pconv2d_minmax_4x16c2__avx2"
    /// The kernel of int8 1x1 Conv2D over layout-3 weights on AVX2 (`KernelTable.qs8PackedConv1x1`).
    public static let packedConv1x1AVX2 = "ek_qs8_pconv2d_minmax_4x16c4__avx2"
    /// The kernel of int8 Conv2D over layout-4 weights on NEON (`KernelTable.qs8PackedConv8x8`;
    /// dotprod and i8mm CPUs run it too).
    public static let packedConv8x8NEON = "ek_qs8_pconv2d_minmax_8x8__neon"
    /// The kernel of int8 Conv2D over layout-5 weights on dot-product CPUs
    /// (`KernelTable.qs8PackedConv8x8c4`; i8mm CPUs run it too).
    public static let packedConv8x8c4NEONDOT = "ek_qs8_pconv2d_minmax_8x8c4__neondot"
    /// The kernels of int8 FullyConnected over layout-6 weights (`KernelTable.qs8PackedFullyConnected`).
    public static let packedFCNEON = "ek_qs8_pfc_minmax_1x4c16__neon"
    public static let packedFCNEONDOT = "ek_qs8_pfc_minmax_1x4c16__neondot"

    /// The kernels of int8 Conv2D with at most `EK_CONV_SC_MAX_C` input and `maxOutC` output
    /// channels, or a window of at most `maxK` values over at least `EK_CONV_SC_MIN_PIXELS`
    /// output pixels (`KernelTable.qs8FewChannelConv2D`, `qs8FewChannelMaxOutC`,
    /// `qs8FewChannelMaxK`), in the order `auto` prefers them (later wins).
    public static let fewChannelConvKernels: [(feature: String, maxOutC: Int, maxK: Int, name: String)] = [
        ("neon", Int(EK_CONV_SC_NEON_MAX_OUT_C), Int(EK_CONV_SC_NEON_MAX_K), "ek_qs8_conv2d_minmax_8x8__neon"),
        ("dotprod", Int(EK_CONV_SC_NEON_MAX_OUT_C), Int(EK_CONV_SC_NEON_MAX_K), "ek_qs8_conv2d_minmax_8x8c4__neondot"),
        ("i8mm", Int(EK_CONV_SC_NEON_MAX_OUT_C), 0, "ek_qs8_conv2d_minmax_8x8c4__neondot"),
        ("avx2", Int(EK_CONV_SC_MAX_OUT_C), 0, "ek_qs8_conv2d_minmax_8x8c2__avx2"),
    ]

    /// The kernel names a CPU with `isa` features runs `model`'s ops with.
    public static func kernels(for model: EdgeModel, isa: [String]) throws(EdgeError) -> [String] {
        let reference = try Interpreter(model: model, kernels: .reference)
        let file = model.file
        return (0..<file.opCount).map { i in
            let op = file.op(i)
            var name = "\(reference.kernelName(i))"
            let int8 = file.input(op, 0).map { file.tensor($0).dtype == .int8 } ?? false
            if op.kind == .conv2D, let w = file.input(op, 1), case let layout = file.tensor(w).layout,
               PackedWeights.isPackedConv(layout) {
                // Packed weights (FORMAT.md layouts 2 to 5) run their own kernels: SIMD for
                // layouts 2 and 3 on AVX2, for layout 4 on NEON and layout 5 with the dot
                // product (K up to their row limits).
                let k = file.tensor(w).shape.dims.dropFirst().reduce(1, *)
                if layout == PackedWeights.neonConvLayout {
                    return isa.contains("neon") && k <= PackedWeights.neonMaxK ? packedConv8x8NEON : name
                }
                if layout == PackedWeights.dotConvLayout {
                    return isa.contains("dotprod") && k <= PackedWeights.dotMaxK ? packedConv8x8c4NEONDOT : name
                }
                let simd = layout == PackedWeights.conv1x1Layout ? packedConv1x1AVX2 : packedConvAVX2
                return isa.contains("avx2") ? simd : name
            }
            if op.kind == .fullyConnected, let w = file.input(op, 1), file.tensor(w).layout == PackedWeights.neonFCLayout {
                // Layout 6 runs the 1x4c16 tiles over the packed bytes (`KernelTable.qs8PackedFullyConnected`).
                return isa.contains("dotprod") ? packedFCNEONDOT : isa.contains("neon") ? packedFCNEON : name
            }
            for k in simdKernels where k.kind == op.kind && k.int8 == int8 && isa.contains(k.feature) { name = k.name }
            if op.kind == .conv2D, int8, let w = file.input(op, 1), case let dims = file.tensor(w).shape.dims, dims.count == 4,
               case let out = file.tensor(file.output(op, 0)).shape.dims, out.count == 4 {
                // Stems with few input channels, and short windows over enough pixels, run the
                // 8x8 tiles (`Conv2D.prepare`).
                let general = name, window = dims[1] * dims[2] * dims[3], pixels = out[0] * out[1] * out[2]
                for k in fewChannelConvKernels where isa.contains(k.feature) {
                    let few = (dims[3] <= Int(EK_CONV_SC_MAX_C) && dims[0] <= k.maxOutC)
                        || (window <= k.maxK && pixels >= Int(EK_CONV_SC_MIN_PIXELS))
                    name = few ? k.name : general
                }
            }
            return name
        }
    }

    /// Work of every op (MACs, bytes, kernel), without timing.
    public static func work(of model: EdgeModel, kernels: [String]) -> [OpCost] {
        let file = model.file
        return (0..<file.opCount).map { i in
            let op = file.op(i)
            let inputs = (0..<op.inputCount).compactMap { file.input(op, $0) }.map { file.tensor($0) }
            let outputs = (0..<op.outputCount).map { file.tensor(file.output(op, $0)) }
            let bytes = inputs.reduce(0) { $0 + $1.byteSize } + outputs.reduce(0) { $0 + $1.byteSize }
            let outElements = outputs.first.map { $0.shape.dims.reduce(1, *) } ?? 0
            var macs = 0
            if inputs.count >= 2 {
                let w = inputs[1].shape.dims
                switch op.kind {
                case .conv2D where w.count == 4: macs = outElements * w[1] * w[2] * w[3]
                case .depthwiseConv2D where w.count == 4: macs = outElements * w[1] * w[2]
                case .fullyConnected where w.count == 2: macs = outElements * w[1]
                default: break
                }
            }
            let kernel = kernels[i]
            return OpCost(index: i, kind: op.kind, name: file.string(op.name), kernel: kernel, macs: macs, bytes: bytes,
                          macClass: macs > 0 ? macClass(kernel) : nil)
        }
    }

    /// `<dtype>_<op>_<isa>` of a kernel name `ek_<dtype>_<op>_..._<tile>__<isa>`:
    /// `ek_qs8_fc_minmax_1x4c16__neondot` -> `qs8_fc_neondot`,
    /// `ek_f32_dwconv2d_minmax_1x1__ref` -> `f32_dwconv2d_ref`.
    public static func macClass(_ kernel: String) -> String {
        let halves = kernel.components(separatedBy: "__")
        let parts = halves[0].split(separator: "_")
        guard parts.count >= 3, halves.count == 2 else { return kernel }
        // Packed-weight convolutions and fully connected layers are costed as what they compute.
        let op = parts[2] == "pconv2d" ? "conv2d" : parts[2] == "pfc" ? "fc" : parts[2]
        return "\(parts[1])_\(op)_\(halves[1])"
    }

    /// Times `ops` with a board's coefficients and clock. Throws when the board lacks a
    /// coefficient one of the kernels needs.
    public static func estimate(_ ops: [OpCost], coefficients c: CostCoefficients, clockMHz: Int,
                                board: String) throws(EdgeError) -> [OpCost] {
        var timed = ops
        for i in timed.indices {
            var instructions = c.instructionsPerOp
            if timed[i].macClass == nil { instructions += Double(timed[i].bytes) * c.instructionsPerByte }
            if let key = timed[i].macClass {
                guard let perMAC = c.instructionsPerMAC[key] else {
                    throw EdgeError(.input, object: "board \(board) field latency_model.instructions_per_mac",
                                    problem: "has no '\(key)' entry for kernel \(timed[i].kernel) (op \(i) '\(timed[i].name)')",
                                    fix: "add it as boards/COST_MODEL.md describes")
                }
                instructions += Double(timed[i].macs) * perMAC
            }
            timed[i].instructions = instructions
            timed[i].milliseconds = instructions / c.ipc / (Double(clockMHz) * 1000)
        }
        return timed
    }
}
