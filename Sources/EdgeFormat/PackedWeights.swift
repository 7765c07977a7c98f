/// Packed int8 Conv2D weights: tensor layouts 2 to 5 (FORMAT.md, "Packed int8 Conv2D
/// weights", "Packed int8 1x1 Conv2D weights", "Packed int8 Conv2D weights for NEON" and
/// "Packed int8 Conv2D weights for the NEON dot product"), and packed int8 FullyConnected
/// weights, layout 6 ("Packed int8 FullyConnected weights for NEON").
///
/// The logical tensor stays OHWI `[out, kh, kw, in]`; its bytes are the `oc16_k2_s16` layout of
/// `ek_pconv.h` (per 16-output-channel block, per pair of K values, 16 channels x 2 int16),
/// followed at `biasOffset` by the int32 bias with the input zero-point term folded in.
/// Readers check the byte size and the stored values once at load; kernels then read the
/// bytes in place.
public enum PackedWeights {
    /// The tensor record `layout` value of `oc16_k2_s16`.
    public static let conv2DLayout: UInt8 = 2
    /// Largest K (kernel height x width x input channels) edgepack packs (`EK_PCONV_MAX_K`).
    public static let maxK = 8192

    /// Bytes of the packed weights before the folded bias (a multiple of 64).
    public static func biasOffset(outChannels: Int, k: Int) -> Int {
        (outChannels + 15) / 16 * ((k + 1) / 2) * 64
    }

    /// Bytes of a layout-2 tensor of OHWI shape `[outChannels, .., .., ..]` with K = `k`.
    public static func byteSize(outChannels: Int, k: Int) -> Int {
        biasOffset(outChannels: outChannels, k: k) + (outChannels + 15) / 16 * 16 * 4
    }

    /// The tensor record `layout` value of `oc16_k4_sm8` (1x1 Conv2D, the 4x16c4 tile).
    public static let conv1x1Layout: UInt8 = 3

    /// Bytes of layout-3 weights before the folded bias (a multiple of 128).
    public static func c4BiasOffset(outChannels: Int, k: Int) -> Int {
        (outChannels + 15) / 16 * ((k + 3) / 4) * 128
    }

    /// Bytes of a layout-3 tensor of shape `[outChannels, 1, 1, k]`.
    public static func c4ByteSize(outChannels: Int, k: Int) -> Int {
        c4BiasOffset(outChannels: outChannels, k: k) + (outChannels + 15) / 16 * 16 * 4
    }

    /// The tensor record `layout` value of `oc8_k1_s16` (the aarch64 NEON 8x8 tile).
    public static let neonConvLayout: UInt8 = 4
    /// Largest K edgepack writes in layout 4 (`EK_PCONV_NEON_MAX_K`: the NEON tile's window rows).
    public static let neonMaxK = 2048

    /// Bytes of layout-4 weights before the folded bias (a multiple of 128).
    public static func o8BiasOffset(outChannels: Int, k: Int) -> Int {
        (outChannels + 7) / 8 * ((k + 7) / 8 * 8) * 16
    }

    /// Bytes of a layout-4 tensor of OHWI shape `[outChannels, .., .., ..]` with K = `k`.
    public static func o8ByteSize(outChannels: Int, k: Int) -> Int {
        o8BiasOffset(outChannels: outChannels, k: k) + (outChannels + 7) / 8 * 8 * 4
    }

    /// The tensor record `layout` value of `oc8_k4_s8` (the aarch64 SDOT 8x8c4 tile).
    public static let dotConvLayout: UInt8 = 5
    /// Largest K edgepack writes in layout 5 (`EK_PCONV_NEONDOT_MAX_K`: the SDOT tile's window rows).
    public static let dotMaxK = 4096

    /// Bytes of layout-5 weights before the folded bias (a multiple of 128).
    public static func o8c4BiasOffset(outChannels: Int, k: Int) -> Int {
        (outChannels + 7) / 8 * ((k + 15) / 16 * 16) * 8
    }

    /// Bytes of a layout-5 tensor of OHWI shape `[outChannels, .., .., ..]` with K = `k`.
    public static func o8c4ByteSize(outChannels: Int, k: Int) -> Int {
        o8c4BiasOffset(outChannels: outChannels, k: k) + (outChannels + 7) / 8 * 8 * 4
    }

    /// The tensor record `layout` value of `oc4_k16_s8`: int8 FullyConnected weights `[out, in]`
    /// for the aarch64 1x4c16 tiles (FORMAT.md, "Packed int8 FullyConnected weights for NEON"):
    /// per 4-row block, per 16 K values, the four rows' 16 bytes, then the folded bias.
    public static let neonFCLayout: UInt8 = 6

    /// Output channels per block of a packed layout (2 to 6): 16 for the AVX2 layouts 2 and 3,
    /// 8 for the NEON layouts 4 and 5, 4 rows for layout 6.
    public static func channelsPerBlock(layout: UInt8) -> Int { layout == neonFCLayout ? 4 : layout >= neonConvLayout ? 8 : 16 }

    /// Bytes before the folded bias of a packed tensor of `layout` (2 to 6) and OHWI (layout 6:
    /// `[out, in]`) `shape`: per block of channels, K in steps of 2, 4, 8 or 16 values
    /// (2^(layout - 1), 16 for layout 6) of 64 bytes (layouts 2 and 6) or 128 bytes (the
    /// others), as the functions above and FORMAT.md spell out per layout.
    public static func biasOffset(layout: UInt8, shape: Shape) -> Int {
        let fc = layout == neonFCLayout
        let k = fc ? shape[1] : shape[1] * shape[2] * shape[3], block = channelsPerBlock(layout: layout), step = fc ? 16 : 1 << (layout - 1)
        return (shape[0] + block - 1) / block * ((k + step - 1) / step) * (layout == conv2DLayout || fc ? 64 : 128)
    }

    /// Whether `layout` is one of the packed Conv2D layouts (2 to 5).
    public static func isPackedConv(_ layout: UInt8) -> Bool {
        layout >= conv2DLayout && layout <= dotConvLayout
    }

    /// Whether `layout` is one of the packed layouts (2 to 6: Conv2D, FullyConnected).
    public static func isPacked(_ layout: UInt8) -> Bool {
        layout >= conv2DLayout && layout <= neonFCLayout
    }

    /// Checks a packed tensor record (`isPackedConv(layout)`): rank 4 (`[out, kh, kw, in]`),
    /// a 1x1 window for layout 3, and the byte size its shape and layout imply.
    public static func validate(shape: Shape, byteSize: Int, layout: UInt8 = conv2DLayout, object: String) throws(EdgeError) {
        if layout == conv1x1Layout && (shape.rank != 4 || shape[1] != 1 || shape[2] != 1) {
            throw .format(object, "layout 3 (oc16_k4_sm8) holds 1x1 conv weights [out, 1, 1, in], not @", 0, text: shape.text)
        }
        if layout == neonFCLayout && shape.rank != 2 {
            throw .format(object, "packed fully connected weights (layout 6) have shape @; they must be [out, in]", 0, text: shape.text)
        }
        if layout != neonFCLayout && shape.rank != 4 {
            throw .format(object, "packed conv weights (layout %) have shape @; they must be OHWI [out, kh, kw, in]", Int(layout), text: shape.text)
        }
        // The folded bias: one int32 per channel of each 8- (layouts 4 and 5) or 16-channel block.
        let block = channelsPerBlock(layout: layout)
        let expected = biasOffset(layout: layout, shape: shape) + (shape[0] + block - 1) / block * block * 4
        if byteSize != expected {
            throw .format(object, "layout-% weights of shape @ take % bytes, the record says %", Int(layout), expected, byteSize, text: shape.text)
        }
    }

    /// Checks the stored weights of a packed tensor (layout 2 to 5) whose size was checked:
    /// layouts 2 and 4 hold int8 weights widened to int16, each in -128...127; layout 3 holds |w|
    /// (at most 128) with a sign byte of 0 (then |w| < 128) or 0xFF (then |w| > 0) 64 bytes
    /// further; layout 5 holds raw int8, so there the padding is checked: weights past K or
    /// past the last channel must be 0. Bytes of one
    /// layout read as another fail this (their sizes agree when K is a multiple of 4), so a
    /// damaged layout byte is rejected instead of computing garbage.
    @inline(never)
    public static func validateValues(_ bytes: UnsafeRawBufferPointer, layout: UInt8, shape: Shape, object: String) throws(EdgeError) {
        if layout == neonFCLayout { return try validatePadding(bytes, out: shape[0], k: shape[1], rows: 4, group: 16, layout: layout, object: object) }
        if layout == dotConvLayout {
            return try validatePadding(bytes, out: shape[0], k: shape[1] &* shape[2] &* shape[3], rows: 8, group: 4, layout: layout, object: object)
        }
        let c4 = layout == conv1x1Layout
        let end = biasOffset(layout: layout, shape: shape)
        var i = 0
        // Fast pass, 128 bytes at a time without branches; the first failing chunk is walked
        // again below for the offset the message names. (This runs at every load.)
        while i &+ 128 <= end {
            var bad: UInt8 = 0
            if c4 {
                // |w| bytes a, sign bytes b: b is 0 or 0xFF (n = 0 or 1), and a - n <= 127.
                for j in 0..<64 {
                    let a = bytes[i &+ j], b = bytes[i &+ 64 &+ j], n = b >> 7
                    bad |= (b ^ (0 &- n)) | ((a &- n) >> 7)
                }
            } else {
                // Low byte a, high byte b of an int16: b is a's sign extension.
                for j in stride(from: 0, to: 128, by: 2) {
                    let a = bytes[i &+ j], b = bytes[i &+ j &+ 1]
                    bad |= b ^ (0 &- (a >> 7))
                }
            }
            if bad != 0 { break }
            i &+= 128
        }
        while i < end {
            // Layouts 2 and 4: the low and high byte of an int16; layout 3: |w| and its sign byte.
            let a = bytes[i], b = bytes[i + (c4 ? 64 : 1)]
            let bad = c4 ? (b == 0 ? a > 127 : b != 0xFF || a &- 1 > 127) : (b == 0 ? a > 127 : b != 0xFF || a < 128)
            if bad {
                throw .format(object, "packed weight bytes % and % at offset % do not encode an int8 weight in layout %", Int(a), Int(b), i, Int(layout))
            }
            // Layouts 2 and 4: one int16 per step of 2; layout 3: 64 |w| bytes, then their 64 sign bytes.
            i += c4 ? (i % 128 == 63 ? 65 : 1) : 2
        }
    }

    /// Layouts 5 and 6: every padding weight (K values past K, rows past the last) is 0, as
    /// edgepack writes them; the SDOT and 1x4c16 tiles multiply padded K values with whatever
    /// the input holds there. (The folded bias of padding rows is never read into an output.)
    /// Layout 6 holds no -128 either (the NEON tile adds two products in an int16 lane).
    /// Both keep K in steps of 16 per block of `rows` rows (8 or 4), `group` K values (4 or 16)
    /// of a row together: byte r of a block is row (r % (rows x group)) / group, K value
    /// (r / (rows x group)) x group + r % group.
    static func validatePadding(_ bytes: UnsafeRawBufferPointer, out: Int, k: Int, rows: Int, group: Int, layout: UInt8,
                                       object: String) throws(EdgeError) {
        // Sizes were checked (`validate`): wrapping arithmetic cannot wrap here. The check runs
        // at every load, so it reads only the padding bytes, and the -128 scan goes 8 bytes at
        // a time.
        let steps = (k &+ 15) / 16 &* 16 / group, blocks = (out &+ rows &- 1) / rows
        let stepBytes = rows &* group, blockBytes = steps &* stepBytes
        if layout == neonFCLayout, let i = firstMinus128(bytes, count: blocks &* blockBytes) {
            throw .format(object, "layout-6 weight at offset % is -128; the layout holds -127 to 127", i)
        }
        for block in 0..<blocks {
            for row in 0..<rows {
                let padRow = block &* rows &+ row >= out
                for kStep in (padRow ? 0 : k / group)..<steps {
                    let at = block &* blockBytes &+ kStep &* stepBytes &+ row &* group
                    for t in (padRow ? 0 : max(0, k &- kStep &* group))..<group where bytes[at &+ t] != 0 {
                        throw .format(object, "layout-% padding at offset % is %, not 0", Int(layout), at &+ t, Int(bytes[at &+ t]))
                    }
                }
            }
        }
    }

    /// Offset of the first byte 0x80 (int8 -128) in `bytes[0..<count]`, if any.
    static func firstMinus128(_ bytes: UnsafeRawBufferPointer, count: Int) -> Int? {
        var i = 0
        while i &+ 8 <= count {
            // A byte of `x` is zero where the weight is 0x80; the classic zero-byte test.
            let x = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x8080_8080_8080_8080
            if (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0 { break }
            i &+= 8
        }
        while i < count {
            if bytes[i] == 0x80 { return i }
            i &+= 1
        }
        return nil
    }
}
