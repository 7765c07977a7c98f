/// Packed int8 Conv2D weights: tensor layouts 2 and 3 (FORMAT.md, "Packed int8 Conv2D
/// weights" and "Packed int8 1x1 Conv2D weights").
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

    /// Bytes before the folded bias of a packed tensor of `layout` (2 or 3) and OHWI `shape`.
    public static func biasOffset(layout: UInt8, shape: Shape) -> Int {
        let k = shape[1] * shape[2] * shape[3]
        return layout == conv1x1Layout ? c4BiasOffset(outChannels: shape[0], k: k) : biasOffset(outChannels: shape[0], k: k)
    }

    /// Whether `layout` is one of the packed Conv2D layouts (2 or 3).
    public static func isPackedConv(_ layout: UInt8) -> Bool { layout == conv2DLayout || layout == conv1x1Layout }

    /// Checks a layout-3 tensor record: rank 4 with a 1x1 window (`[out, 1, 1, in]`), and the
    /// byte size its shape implies.
    public static func validateC4(shape: Shape, byteSize: Int, object: String) throws(EdgeError) {
        if shape.rank != 4 || shape[1] != 1 || shape[2] != 1 {
            throw .format(object, "layout 3 (oc16_k4_sm8) holds 1x1 conv weights [out, 1, 1, in], not @", 0, text: shape.text)
        }
        let expected = c4ByteSize(outChannels: shape[0], k: shape[3])
        if byteSize != expected {
            throw .format(object, "layout-3 conv weights of shape @ take % bytes, the record says %", expected, byteSize, text: shape.text)
        }
    }

    /// Checks the stored weights of a packed tensor (layout 2 or 3) whose size was checked:
    /// layout 2 holds int8 weights widened to int16, each in -128...127; layout 3 holds |w|
    /// (at most 128) with a sign byte of 0 (then |w| < 128) or 0xFF (then |w| > 0) 64 bytes
    /// further. Bytes of one layout read as the other fail this (their sizes agree when K is a
    /// multiple of 4), so a damaged layout byte is rejected instead of computing garbage.
    @inline(never)
    public static func validateValues(_ bytes: UnsafeRawBufferPointer, layout: UInt8, shape: Shape, object: String) throws(EdgeError) {
        let c4 = layout == conv1x1Layout
        let end = biasOffset(layout: layout, shape: shape)
        var i = 0
        while i < end {
            // Layout 2: the low and high byte of an int16; layout 3: |w| and its sign byte.
            let a = bytes[i], b = bytes[i + (c4 ? 64 : 1)]
            let bad = c4 ? (b == 0 ? a > 127 : b != 0xFF || a &- 1 > 127) : (b == 0 ? a > 127 : b != 0xFF || a < 128)
            if bad {
                throw .format(object, "packed weight bytes % and % at offset % do not encode an int8 weight in layout %", Int(a), Int(b), i, Int(layout))
            }
            // Layout 2: one int16 per step of 2; layout 3: 64 |w| bytes, then their 64 sign bytes.
            i += c4 ? (i % 128 == 63 ? 65 : 1) : 2
        }
    }

    /// Checks a layout-2 tensor record: constant int8, rank 4, and the byte size its shape
    /// implies.
    public static func validate(shape: Shape, byteSize: Int, object: String) throws(EdgeError) {
        if shape.rank != 4 {
            throw .format(object, "packed conv weights have shape @; they must be OHWI [out, kh, kw, in]", 0, text: shape.text)
        }
        let k = shape[1] * shape[2] * shape[3]
        let expected = Self.byteSize(outChannels: shape[0], k: k)
        if byteSize != expected {
            throw .format(object, "packed conv weights of shape @ take % bytes, the record says %", expected, byteSize, text: shape.text)
        }
    }
}
