import CEdgeKernels
import EdgeFormat

/// The kernels the runtime calls, one function pointer per kernel family and dtype.
///
/// Filled once from the CPU's features (`forThisMachine()`, which probes `ek_cpu_features()`)
/// or forced with `EDGE_KERNELS=ref|auto|<level>` (`forced(_:)`); ops copy the pointer they
/// need at prepare time, so dispatch costs nothing per inference. Every entry has a `__ref`
/// twin with the same signature, which is the specification; levels override only the
/// families they have kernels for and keep `__ref` for the rest.
public struct KernelTable {
    public typealias F32Conv = @convention(c) (UnsafePointer<ek_conv2d_shape>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Float, Float) -> Void
    public typealias QS8Conv = @convention(c) (UnsafePointer<ek_conv2d_shape>?, UnsafePointer<ek_qs8_requant_params>?, UnsafePointer<Int8>?, UnsafePointer<Int8>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int8>?) -> Void
    public typealias F32FC = @convention(c) (UnsafePointer<ek_fc_shape>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Float, Float) -> Void
    public typealias QS8Add = @convention(c) (UnsafePointer<ek_binary_shape>?, UnsafePointer<ek_qs8_add_params>?, UnsafePointer<Int8>?, UnsafePointer<Int8>?, UnsafeMutablePointer<Int8>?) -> Void
    public typealias F32Pool = @convention(c) (UnsafePointer<ek_pool2d_shape>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Float, Float) -> Void
    public typealias QS8Pool = @convention(c) (UnsafePointer<ek_pool2d_shape>?, UnsafePointer<Int8>?, UnsafeMutablePointer<Int8>?, Int32, Int32) -> Void
    public typealias F32Mean = @convention(c) (UnsafePointer<ek_mean_shape>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
    public typealias F32Softmax = @convention(c) (Int, Int, Float, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
    public typealias QS8Softmax = @convention(c) (Int, Int, UnsafePointer<ek_qs8_softmax_params>?, UnsafePointer<Int8>?, UnsafeMutablePointer<Int8>?) -> Void
    public typealias QS8FC = @convention(c) (UnsafePointer<ek_fc_shape>?, UnsafePointer<ek_qs8_fc_params>?, UnsafePointer<Int8>?, UnsafePointer<Int8>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int8>?) -> Void

    /// A kernel pointer with the name `edgerun info` prints.
    public struct Entry<F> {
        public var function: F
        public var name: StaticString
    }

    /// The instruction-set level the table was filled for ("ref", "avx2", "neondot", ...).
    public var isa: StaticString
    public var f32Conv2D: Entry<F32Conv>
    public var qs8Conv2D: Entry<QS8Conv>
    public var f32DepthwiseConv2D: Entry<F32Conv>
    public var qs8DepthwiseConv2D: Entry<QS8Conv>
    public var f32FullyConnected: Entry<F32FC>
    public var qs8FullyConnected: Entry<QS8FC>
    /// Elementwise int8 Add (with broadcasting).
    public var qs8Add = Entry<QS8Add>(function: ek_qs8_add_minmax_x1__ref, name: "ek_qs8_add_minmax_x1__ref")
    /// float32 MaxPool2D (ek_pool.h).
    public var f32MaxPool2D = Entry<F32Pool>(function: ek_f32_maxpool2d_minmax_1x1__ref, name: "ek_f32_maxpool2d_minmax_1x1__ref")
    /// int8 AveragePool2D (ek_pool.h).
    public var qs8AveragePool2D = Entry<QS8Pool>(function: ek_qs8_avgpool2d_minmax_1x1__ref, name: "ek_qs8_avgpool2d_minmax_1x1__ref")
    /// float32 Mean over the spatial axes (ek_pool.h).
    public var f32Mean = Entry<F32Mean>(function: ek_f32_mean_hw_x1__ref, name: "ek_f32_mean_hw_x1__ref")
    /// float32 Softmax over the last axis (ek_softmax.h).
    public var f32Softmax = Entry<F32Softmax>(function: ek_f32_softmax_x1__ref, name: "ek_f32_softmax_x1__ref")
    /// int8 Softmax over the last axis (ek_softmax.h).
    public var qs8Softmax = Entry<QS8Softmax>(function: ek_qs8_softmax_x1__ref, name: "ek_qs8_softmax_x1__ref")
    /// int8 Conv2D over weights packed at pack time (layout 2, `ek_pconv.h`); every level can
    /// run a packed file (the __ref twin reads the same bytes).
    public var qs8PackedConv2D = Entry<QS8Conv>(function: ek_qs8_pconv2d_minmax_4x16c2__ref,
                                                name: "ek_qs8_pconv2d_minmax_4x16c2__ref")
    /// int8 1x1 Conv2D over layout-3 weights (`oc16_k4_sm8`, the 4x16c4 tile, `ek_pconv.h`).
    public var qs8PackedConv1x1 = Entry<QS8Conv>(function: ek_qs8_pconv2d_minmax_4x16c4__ref,
                                                 name: "ek_qs8_pconv2d_minmax_4x16c4__ref")
    /// int8 Conv2D over layout-4 weights (`oc8_k1_s16`, the NEON 8x8 tile, `ek_pconv.h`).
    public var qs8PackedConv8x8 = Entry<QS8Conv>(function: ek_qs8_pconv2d_minmax_8x8__ref,
                                                 name: "ek_qs8_pconv2d_minmax_8x8__ref")
    /// int8 Conv2D over layout-5 weights (`oc8_k4_s8`, the SDOT 8x8c4 tile, `ek_pconv.h`).
    public var qs8PackedConv8x8c4 = Entry<QS8Conv>(function: ek_qs8_pconv2d_minmax_8x8c4__ref,
                                                   name: "ek_qs8_pconv2d_minmax_8x8c4__ref")
    /// int8 FullyConnected over layout-6 weights (`oc4_k16_s8`, the NEON 1x4c16 tile, `ek_pfc.h`).
    public var qs8PackedFullyConnected = Entry<QS8FC>(function: ek_qs8_pfc_minmax_1x4c16__ref,
                                                      name: "ek_qs8_pfc_minmax_1x4c16__ref")
    /// int8 Conv2D over canonical weights with at most `EK_CONV_SC_MAX_C` input channels
    /// (stems) and at most `qs8FewChannelMaxOutC` output channels; nil: `qs8Conv2D` runs them.
    public var qs8FewChannelConv2D: Entry<QS8Conv>? = nil
    /// Output channels up to which `qs8FewChannelConv2D` beats `qs8Conv2D` on this level.
    public var qs8FewChannelMaxOutC: Int32 = EK_CONV_SC_MAX_OUT_C
    /// Windows (kernel_h * kernel_w * in_c) up to which `qs8FewChannelConv2D` also runs
    /// convolutions with more input channels (0: none).
    public var qs8FewChannelMaxK: Int32 = 0
    /// Block-sparse int8 fully connected and 1x1 conv kernels.
    public var sparse = SparseKernels.reference

    /// Portable scalar kernels only.
    @inline(never)
    public static var reference: KernelTable { KernelTable(
        isa: "ref",
        f32Conv2D: Entry(function: ek_f32_conv2d_minmax_1x1__ref, name: "ek_f32_conv2d_minmax_1x1__ref"),
        qs8Conv2D: Entry(function: ek_qs8_conv2d_minmax_1x1__ref, name: "ek_qs8_conv2d_minmax_1x1__ref"),
        f32DepthwiseConv2D: Entry(function: ek_f32_dwconv2d_minmax_1x1__ref, name: "ek_f32_dwconv2d_minmax_1x1__ref"),
        qs8DepthwiseConv2D: Entry(function: ek_qs8_dwconv2d_minmax_1x1__ref, name: "ek_qs8_dwconv2d_minmax_1x1__ref"),
        f32FullyConnected: Entry(function: ek_f32_fc_minmax_1x1__ref, name: "ek_f32_fc_minmax_1x1__ref"),
        qs8FullyConnected: Entry(function: ek_qs8_fc_minmax_1x1__ref, name: "ek_qs8_fc_minmax_1x1__ref")) }

    /// A kernel level: the `__isa` suffix `EDGE_KERNELS` names, the `ek_cpu_features()` bits it
    /// needs (`EK_CPU_LEVEL_*`), and whether `auto` may pick it.
    public struct Level {
        public let name: StaticString
        public let requiredFeatures: UInt32
        /// `auto` picks the last supported level with this set. A level stays out of `auto` until
        /// its differential tests (`make kernel-test`) have passed on a CPU that has it.
        public let inAuto: Bool
        let table: () -> KernelTable

        public func isSupported(features: UInt32) -> Bool { features & requiredFeatures == requiredFeatures }
    }

    /// The levels of this architecture, from plain C up; `ref` runs everywhere.
    /// (One array literal per architecture: appending would link an array growth path for `Level`.)
    public static var levels: [Level] {
        let ref = Level(name: "ref", requiredFeatures: 0, inAuto: true, table: { reference })
        #if arch(x86_64)
        return [ref,
                Level(name: "avx2", requiredFeatures: UInt32(EK_CPU_LEVEL_AVX2), inAuto: true, table: { avx2 }),
                // Not yet in auto: this slice was written on a VM without AVX-512 (and qemu 7.2 does not
                // emulate it), so its kernels have not passed `make kernel-test` on real hardware.
                Level(name: "avx512vnni", requiredFeatures: UInt32(EK_CPU_LEVEL_AVX512VNNI), inAuto: false, table: { avx512vnni })]
        #elseif arch(arm64)
        return [ref,
                Level(name: "neon", requiredFeatures: UInt32(EK_CPU_LEVEL_NEON), inAuto: true, table: { neon }),
                Level(name: "neondot", requiredFeatures: UInt32(EK_CPU_LEVEL_NEONDOT), inAuto: true, table: { neondot }),
                Level(name: "neoni8mm", requiredFeatures: UInt32(EK_CPU_LEVEL_NEONI8MM), inAuto: true, table: { neoni8mm })]
        #else
        return [ref]
        #endif
    }

    /// The `auto` table: the best `auto` level this CPU supports (probes `ek_cpu_features()`;
    /// call it once and keep the table).
    public static func forThisMachine() -> KernelTable { best(features: ek_cpu_features()) }

    /// The best `auto` level a CPU with these `EK_CPU_*` feature bits supports.
    public static func best(features: UInt32) -> KernelTable {
        var best = reference
        for level in levels where level.inAuto && level.isSupported(features: features) { best = level.table() }
        return best
    }

    /// The table for an `EDGE_KERNELS` value: `auto` (or empty), `ref`, or a level name, which
    /// must be supported by this CPU. Throws `.usage` naming the value and the levels it could be.
    public static func forced(_ choice: String, features: UInt32 = ek_cpu_features()) throws(EdgeError) -> KernelTable {
        if choice.isEmpty || matches(choice, "auto") { return best(features: features) }
        var supported = "auto"
        for level in levels where level.isSupported(features: features) { supported += ", \(level.name)" }
        for level in levels where matches(choice, level.name) {
            if level.isSupported(features: features) { return level.table() }
            throw EdgeError(.usage, object: "EDGE_KERNELS", problem: "level '\(choice)' needs CPU features this CPU lacks",
                            fix: "use one of the levels this CPU supports: \(supported)")
        }
        throw EdgeError(.usage, object: "EDGE_KERNELS", problem: "value '\(choice)' is not a kernel level of this build",
                        fix: "use one of the levels this CPU supports: \(supported)")
    }

    /// Byte-wise equality (no Unicode tables needed in Embedded Swift).
    private static func matches(_ text: String, _ literal: StaticString) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count == literal.utf8CodeUnitCount else { return false }
            for i in 0..<bytes.count where bytes[i] != literal.utf8Start[i] { return false }
            return true
        }
    }

    #if arch(x86_64)
    @inline(never)
    static var avx2: KernelTable {
        var t = reference
        t.isa = "avx2"
        t.f32FullyConnected = Entry(function: ek_f32_fc_minmax_1x4c8__avx2, name: "ek_f32_fc_minmax_1x4c8__avx2")
        t.qs8FullyConnected = Entry(function: ek_qs8_fc_minmax_1x8c16__avx2, name: "ek_qs8_fc_minmax_1x8c16__avx2")
        // Convolutions (ek_conv_simd.h).
        t.qs8Conv2D = Entry(function: ek_qs8_conv2d_minmax_4x16c2__avx2, name: "ek_qs8_conv2d_minmax_4x16c2__avx2")
        t.qs8PackedConv2D = Entry(function: ek_qs8_pconv2d_minmax_4x16c2__avx2, name: "ek_qs8_pconv2d_minmax_4x16c2__avx2")
        t.qs8PackedConv1x1 = Entry(function: ek_qs8_pconv2d_minmax_4x16c4__avx2, name: "ek_qs8_pconv2d_minmax_4x16c4__avx2")
        t.qs8FewChannelConv2D = Entry(function: ek_qs8_conv2d_minmax_8x8c2__avx2, name: "ek_qs8_conv2d_minmax_8x8c2__avx2")
        t.qs8DepthwiseConv2D = Entry(function: ek_qs8_dwconv2d_minmax_1x16__avx2, name: "ek_qs8_dwconv2d_minmax_1x16__avx2")
        t.f32Conv2D = Entry(function: ek_f32_conv2d_minmax_4x16__avx2, name: "ek_f32_conv2d_minmax_4x16__avx2")
        t.f32DepthwiseConv2D = Entry(function: ek_f32_dwconv2d_minmax_1x16__avx2, name: "ek_f32_dwconv2d_minmax_1x16__avx2")
        t.qs8Add = Entry(function: ek_qs8_add_minmax_x8__avx2, name: "ek_qs8_add_minmax_x8__avx2")
        t.f32MaxPool2D = Entry(function: ek_f32_maxpool2d_minmax_1x8__avx2, name: "ek_f32_maxpool2d_minmax_1x8__avx2")
        t.qs8AveragePool2D = Entry(function: ek_qs8_avgpool2d_minmax_1x8__avx2, name: "ek_qs8_avgpool2d_minmax_1x8__avx2")
        t.f32Mean = Entry(function: ek_f32_mean_hw_x8__avx2, name: "ek_f32_mean_hw_x8__avx2")
        t.f32Softmax = Entry(function: ek_f32_softmax_x8__avx2, name: "ek_f32_softmax_x8__avx2")
        t.qs8Softmax = Entry(function: ek_qs8_softmax_x8__avx2, name: "ek_qs8_softmax_x8__avx2")
        t.sparse = .avx2
        return t
    }

    @inline(never)
    static var avx512vnni: KernelTable {
        var t = avx2
        t.isa = "avx512vnni"
        t.f32FullyConnected = Entry(function: ek_f32_fc_minmax_1x4c16__avx512vnni, name: "ek_f32_fc_minmax_1x4c16__avx512vnni")
        t.qs8FullyConnected = Entry(function: ek_qs8_fc_minmax_1x4c64__avx512vnni, name: "ek_qs8_fc_minmax_1x4c64__avx512vnni")
        t.qs8Conv2D = Entry(function: ek_qs8_conv2d_minmax_4x4c64__avx512vnni, name: "ek_qs8_conv2d_minmax_4x4c64__avx512vnni")
        t.sparse = .avx512vnni
        return t
    }
    #elseif arch(arm64)
    @inline(never)
    static var neon: KernelTable {
        var t = reference
        t.isa = "neon"
        t.f32FullyConnected = Entry(function: ek_f32_fc_minmax_1x4c4__neon, name: "ek_f32_fc_minmax_1x4c4__neon")
        t.qs8FullyConnected = Entry(function: ek_qs8_fc_minmax_1x4c16__neon, name: "ek_qs8_fc_minmax_1x4c16__neon")
        // Convolutions (ek_conv_simd.h).
        t.qs8Conv2D = Entry(function: ek_qs8_conv2d_minmax_2x4c16__neon, name: "ek_qs8_conv2d_minmax_2x4c16__neon")
        t.qs8FewChannelConv2D = Entry(function: ek_qs8_conv2d_minmax_8x8__neon, name: "ek_qs8_conv2d_minmax_8x8__neon")
        t.qs8PackedConv8x8 = Entry(function: ek_qs8_pconv2d_minmax_8x8__neon, name: "ek_qs8_pconv2d_minmax_8x8__neon")
        t.qs8PackedFullyConnected = Entry(function: ek_qs8_pfc_minmax_1x4c16__neon, name: "ek_qs8_pfc_minmax_1x4c16__neon")
        t.qs8FewChannelMaxOutC = EK_CONV_SC_NEON_MAX_OUT_C
        t.qs8FewChannelMaxK = EK_CONV_SC_NEON_MAX_K
        t.qs8DepthwiseConv2D = Entry(function: ek_qs8_dwconv2d_minmax_1x16__neon, name: "ek_qs8_dwconv2d_minmax_1x16__neon")
        t.f32Conv2D = Entry(function: ek_f32_conv2d_minmax_4x16__neon, name: "ek_f32_conv2d_minmax_4x16__neon")
        t.f32DepthwiseConv2D = Entry(function: ek_f32_dwconv2d_minmax_1x16__neon, name: "ek_f32_dwconv2d_minmax_1x16__neon")
        t.qs8Add = Entry(function: ek_qs8_add_minmax_x8__neon, name: "ek_qs8_add_minmax_x8__neon")
        t.f32MaxPool2D = Entry(function: ek_f32_maxpool2d_minmax_1x4__neon, name: "ek_f32_maxpool2d_minmax_1x4__neon")
        t.f32Softmax = Entry(function: ek_f32_softmax_x4__neon, name: "ek_f32_softmax_x4__neon")
        t.qs8Softmax = Entry(function: ek_qs8_softmax_x1__neon, name: "ek_qs8_softmax_x1__neon")
        t.sparse = .neon
        return t
    }

    @inline(never)
    static var neondot: KernelTable {
        var t = neon
        t.isa = "neondot"
        t.qs8FullyConnected = Entry(function: ek_qs8_fc_minmax_1x4c16__neondot, name: "ek_qs8_fc_minmax_1x4c16__neondot")
        // Convolutions (ek_conv_simd.h); depthwise keeps the neon kernel (SDOT sums across
        // channels, which depthwise never does).
        t.qs8Conv2D = Entry(function: ek_qs8_conv2d_minmax_4x4c16__neondot, name: "ek_qs8_conv2d_minmax_4x4c16__neondot")
        t.qs8FewChannelConv2D = Entry(function: ek_qs8_conv2d_minmax_8x8c4__neondot, name: "ek_qs8_conv2d_minmax_8x8c4__neondot")
        t.qs8PackedConv8x8c4 = Entry(function: ek_qs8_pconv2d_minmax_8x8c4__neondot, name: "ek_qs8_pconv2d_minmax_8x8c4__neondot")
        t.qs8PackedFullyConnected = Entry(function: ek_qs8_pfc_minmax_1x4c16__neondot, name: "ek_qs8_pfc_minmax_1x4c16__neondot")
        t.sparse = .neondot
        return t
    }

    /// SMMLA (FEAT_I8MM) where it pays: dense int8 convolutions and fully connected layers;
    /// the rest keeps the neondot kernels.
    @inline(never)
    static var neoni8mm: KernelTable {
        var t = neondot
        t.isa = "neoni8mm"
        t.qs8FullyConnected = Entry(function: ek_qs8_fc_minmax_2x4c16__neoni8mm, name: "ek_qs8_fc_minmax_2x4c16__neoni8mm")
        t.qs8Conv2D = Entry(function: ek_qs8_conv2d_minmax_4x8c16__neoni8mm, name: "ek_qs8_conv2d_minmax_4x8c16__neoni8mm")
        // SMMLA beats the 8x8c4 tile on short windows with more input channels (kws); stems keep it.
        t.qs8FewChannelMaxK = 0
        return t
    }
    #endif
}
