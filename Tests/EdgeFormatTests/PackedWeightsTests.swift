import EdgeFormat
import EdgeTestSupport
import XCTest

/// Packed int8 Conv2D weights (tensor layouts 2 to 5): the size rules, and rejection at load
/// of a record whose size, shape or dtype does not fit, with the tensor named.
final class PackedWeightsTests: XCTestCase {
    /// The sample model with its fc weights replaced by a layout-2 tensor.
    func model(shape: [Int], bytes: Int, dtype: DType = .int8, layout: UInt8 = PackedWeights.conv2DLayout,
               set: [Int: UInt8] = [:]) -> [UInt8] {
        var d = SampleModel.description()
        var data = [UInt8](repeating: 0, count: bytes)
        for (at, value) in set { data[at] = value }
        d.tensors[6] = ModelDescription.Tensor(name: "fc.weights", dtype: dtype, shape: shape, constantData: data)
        d.tensors[6].layout = layout
        return ModelWriter.serialize(d)
    }

    func load(_ bytes: [UInt8]) throws -> ModelFile {
        try bytes.withUnsafeBytes { raw in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: raw.count, alignment: 64)
            buffer.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            return try ModelFile(validating: UnsafeRawBufferPointer(start: buffer, count: raw.count))
        }
    }

    func assertRejected(_ bytes: [UInt8], _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try load(bytes), line: line) { error in
            let e = error as! EdgeError
            XCTAssertTrue(e.message.contains("fc.weights"), "names the tensor: \(e.message)", line: line)
            XCTAssertTrue(e.message.contains(fragment), "'\(fragment)' not in: \(e.message)", line: line)
        }
    }

    func testSizeRule() {
        // 3 channels -> one 16-channel block; K = 36 -> 18 pairs of 16 x 2 int16 = 1152 bytes,
        // then 16 int32 biases.
        XCTAssertEqual(PackedWeights.biasOffset(outChannels: 3, k: 36), 1152)
        XCTAssertEqual(PackedWeights.byteSize(outChannels: 3, k: 36), 1216)
        // 17 channels -> two blocks; K = 27 -> 14 pairs: 2 x 14 x 64 = 1792, then 32 biases.
        XCTAssertEqual(PackedWeights.byteSize(outChannels: 17, k: 27), 1792 + 128)
        // K = 1 -> one pair (the second K value is 0).
        XCTAssertEqual(PackedWeights.biasOffset(outChannels: 1, k: 1), 64)
    }

    func testAcceptsTheExactSize() throws {
        let file = try load(model(shape: [3, 1, 1, 36], bytes: 1216))
        XCTAssertEqual(file.tensor(6).layout, PackedWeights.conv2DLayout)
        XCTAssertEqual(file.tensor(6).byteSize, 1216)
    }

    func testRejectsWrongSizeShapeDtypeAndUnknownLayouts() {
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 1152), "take 1216 bytes, the record says 1152")
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 1280), "take 1216 bytes, the record says 1280")
        assertRejected(model(shape: [3, 36], bytes: 1216), "must be OHWI")
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 1216, dtype: .float32), "packed conv layout needs a constant int8 tensor")
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 1216, layout: 7), "layout 7 is not known to this edgerun (0 to 6)")
    }

    func testLayout3SizeRule() {
        // 3 channels -> one 16-channel block; K = 36 -> 9 quads of 128 bytes = 1152, then 16
        // int32 biases.
        XCTAssertEqual(PackedWeights.c4BiasOffset(outChannels: 3, k: 36), 1152)
        XCTAssertEqual(PackedWeights.c4ByteSize(outChannels: 3, k: 36), 1216)
        // 17 channels -> two blocks; K = 27 -> 7 quads: 2 x 7 x 128 = 1792, then 32 biases.
        XCTAssertEqual(PackedWeights.c4ByteSize(outChannels: 17, k: 27), 1792 + 128)
        // K = 1 -> one quad (WeightPackingTests checks the C sizes against these).
        XCTAssertEqual(PackedWeights.c4BiasOffset(outChannels: 1, k: 1), 128)
    }

    func testLayout3AcceptsTheExactSizeOf1x1Weights() throws {
        let file = try load(model(shape: [17, 1, 1, 27], bytes: 1920, layout: PackedWeights.conv1x1Layout))
        XCTAssertEqual(file.tensor(6).layout, PackedWeights.conv1x1Layout)
        XCTAssertEqual(file.tensor(6).byteSize, 1920)
    }

    func testLayout3RejectsWrongSizeWindowShapeAndDtype() {
        let l3 = PackedWeights.conv1x1Layout
        assertRejected(model(shape: [17, 1, 1, 27], bytes: 1792, layout: l3), "take 1920 bytes, the record says 1792")
        // Layout 2's size for the same shape is not layout 3's.
        assertRejected(model(shape: [3, 1, 1, 36], bytes: PackedWeights.byteSize(outChannels: 3, k: 37), layout: l3),
                       "the record says")
        assertRejected(model(shape: [3, 3, 3, 4], bytes: 1216, layout: l3), "holds 1x1 conv weights [out, 1, 1, in], not 3x3x3x4")
        assertRejected(model(shape: [3, 36], bytes: 1216, layout: l3), "holds 1x1 conv weights")
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 1216, dtype: .float32, layout: l3), "packed conv layout needs a constant int8 tensor")
    }

    func testLayout4SizeRule() {
        // 3 channels -> one 8-channel block; K = 36 -> 40 rows of 8 int16 = 640 bytes, then 8
        // int32 biases.
        XCTAssertEqual(PackedWeights.o8BiasOffset(outChannels: 3, k: 36), 640)
        XCTAssertEqual(PackedWeights.o8ByteSize(outChannels: 3, k: 36), 672)
        // 17 channels -> three blocks; K = 27 -> 32 rows: 3 x 32 x 16 = 1536, then 24 biases.
        XCTAssertEqual(PackedWeights.o8ByteSize(outChannels: 17, k: 27), 1536 + 96)
        // K = 1 -> 8 rows (7 of zeros).
        XCTAssertEqual(PackedWeights.o8BiasOffset(outChannels: 1, k: 1), 128)
        XCTAssertEqual(PackedWeights.biasOffset(layout: PackedWeights.neonConvLayout, shape: Shape([17, 3, 3, 3])), 1536)
    }

    func testLayout4AcceptsTheExactSizeOfAnyWindow() throws {
        let file = try load(model(shape: [17, 3, 3, 3], bytes: 1632, layout: PackedWeights.neonConvLayout))
        XCTAssertEqual(file.tensor(6).layout, PackedWeights.neonConvLayout)
        XCTAssertEqual(file.tensor(6).byteSize, 1632)
    }

    func testLayout4RejectsWrongSizeShapeAndDtype() {
        let l4 = PackedWeights.neonConvLayout
        assertRejected(model(shape: [17, 3, 3, 3], bytes: 1536, layout: l4), "layout-4 weights of shape 17x3x3x3 take 1632 bytes, the record says 1536")
        // Layout 2's size for the same shape is not layout 4's.
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 1216, layout: l4), "take 672 bytes, the record says 1216")
        assertRejected(model(shape: [3, 36], bytes: 672, layout: l4), "packed conv weights (layout 4) have shape 3x36; they must be OHWI")
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 672, dtype: .float32, layout: l4), "packed conv layout needs a constant int8 tensor")
    }

    /// Layout 2 stores int8 weights as int16 (-128...127); layout 3 stores |w| <= 128 and a sign
    /// byte 0 or 0xFF 64 bytes further (0xFF only for |w| > 0, always for 128). [3, 1, 1, 36]
    /// takes 1216 bytes in either layout, so a damaged layout byte is caught by the values.
    func testPackedWeightValuesOutsideTheirLayoutAreRejected() throws {
        let shape = [3, 1, 1, 36], l2 = PackedWeights.conv2DLayout, l3 = PackedWeights.conv1x1Layout
        XCTAssertEqual(PackedWeights.byteSize(outChannels: 3, k: 36), PackedWeights.c4ByteSize(outChannels: 3, k: 36))
        // Accepted: -128 and 127 in layout 2; -128 (128 with sign 0xFF) and 127 in layout 3; any folded bias.
        _ = try load(model(shape: shape, bytes: 1216, layout: l2, set: [2: 0x80, 3: 0xFF, 4: 0x7F, 300: 0x85, 301: 0xFF, 1153: 0xAB]))
        _ = try load(model(shape: shape, bytes: 1216, layout: l3, set: [0: 128, 64: 0xFF, 1: 127, 1034: 1, 1098: 0xFF, 1153: 0xAB]))
        assertRejected(model(shape: shape, bytes: 1216, layout: l2, set: [1: 1]), "packed weight bytes 0 and 1 at offset 0 do not encode an int8 weight in layout 2")
        assertRejected(model(shape: shape, bytes: 1216, layout: l2, set: [6: 0x80]), "bytes 128 and 0 at offset 6")
        assertRejected(model(shape: shape, bytes: 1216, layout: l2, set: [1150: 0x7F, 1151: 0xFF]), "bytes 127 and 255 at offset 1150")
        assertRejected(model(shape: shape, bytes: 1216, layout: l3, set: [64: 0xFF]), "bytes 0 and 255 at offset 0 do not encode an int8 weight in layout 3")
        assertRejected(model(shape: shape, bytes: 1216, layout: l3, set: [5: 128]), "bytes 128 and 0 at offset 5")
        assertRejected(model(shape: shape, bytes: 1216, layout: l3, set: [133: 3, 197: 0x01]), "bytes 3 and 1 at offset 133")
        assertRejected(model(shape: shape, bytes: 1216, layout: l3, set: [1087: 200, 1151: 0xFF]), "bytes 200 and 255 at offset 1087")
        // Layout-3 bytes labelled layout 2: |w| = 5 in both bytes of an int16 is 1285.
        assertRejected(model(shape: shape, bytes: 1216, layout: l2, set: [0: 5, 1: 5, 64: 0xFF, 65: 0xFF]), "bytes 5 and 5 at offset 0")
        // Layout-2 bytes labelled layout 3: -1 as int16 is FF FF, a |w| of 255.
        assertRejected(model(shape: shape, bytes: 1216, layout: l3, set: [0: 0xFF, 1: 0xFF]), "bytes 255 and 0 at offset 0")
        // Layout 4 stores int16 like layout 2: 127 and -128 pass, a high byte of 1 does not.
        let l4 = PackedWeights.neonConvLayout
        _ = try load(model(shape: shape, bytes: 672, layout: l4, set: [0: 0x7F, 2: 0x80, 3: 0xFF, 640: 0xAB]))
        assertRejected(model(shape: shape, bytes: 672, layout: l4, set: [17: 1]), "bytes 0 and 1 at offset 16 do not encode an int8 weight in layout 4")
    }

    func testLayout5SizeRule() {
        // 3 channels -> one 8-channel block; K = 36 -> 48 (a multiple of 16) x 8 bytes = 384,
        // then 8 int32 biases.
        XCTAssertEqual(PackedWeights.o8c4BiasOffset(outChannels: 3, k: 36), 384)
        XCTAssertEqual(PackedWeights.o8c4ByteSize(outChannels: 3, k: 36), 416)
        // 17 channels -> three blocks; K = 27 -> 32: 3 x 32 x 8 = 768, then 24 biases.
        XCTAssertEqual(PackedWeights.o8c4ByteSize(outChannels: 17, k: 27), 768 + 96)
        // K = 1 -> 16 (15 of zeros): 128 bytes, the bias stays 128-byte aligned.
        XCTAssertEqual(PackedWeights.o8c4BiasOffset(outChannels: 1, k: 1), 128)
        XCTAssertEqual(PackedWeights.biasOffset(layout: PackedWeights.dotConvLayout, shape: Shape([17, 3, 3, 3])), 768)
    }

    func testLayout5AcceptsTheExactSizeOfAnyWindow() throws {
        let file = try load(model(shape: [17, 3, 3, 3], bytes: 864, layout: PackedWeights.dotConvLayout))
        XCTAssertEqual(file.tensor(6).layout, PackedWeights.dotConvLayout)
        XCTAssertEqual(file.tensor(6).byteSize, 864)
    }

    func testLayout5RejectsWrongSizeShapeAndDtype() {
        let l5 = PackedWeights.dotConvLayout
        assertRejected(model(shape: [17, 3, 3, 3], bytes: 1632, layout: l5), "layout-5 weights of shape 17x3x3x3 take 864 bytes, the record says 1632")
        // Layout 4's size for the same shape is not layout 5's.
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 672, layout: l5), "take 416 bytes, the record says 672")
        assertRejected(model(shape: [3, 36], bytes: 416, layout: l5), "packed conv weights (layout 5) have shape 3x36; they must be OHWI")
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 416, dtype: .float32, layout: l5), "packed conv layout needs a constant int8 tensor")
    }

    /// Layout 5 stores raw int8, so every weight byte is a value; its padding (K values 36..47
    /// and channels 3..7 of [3, 1, 1, 36]) must be 0.
    func testLayout5PaddingMustBeZero() throws {
        let shape = [3, 1, 1, 36], l5 = PackedWeights.dotConvLayout
        // Accepted: any weight of channels 0..2 at K < 36 (offset ((i / 4) * 8 + c) * 4 + i % 4)
        // and any folded bias of channels 0..2 (offsets 384..395).
        _ = try load(model(shape: shape, bytes: 416, layout: l5, set: [0: 0x80, 11: 0x7F, 8 * 32 + 8 + 3: 0xFF, 384: 0xAB, 395: 0x01]))
        // Channel 3's weight at K = 0: offset 12.
        assertRejected(model(shape: shape, bytes: 416, layout: l5, set: [12: 1]), "layout-5 padding at offset 12 is 1, not 0")
        // Channel 0 at K = 36 (group 9): offset 9 x 32 = 288.
        assertRejected(model(shape: shape, bytes: 416, layout: l5, set: [288: 0xFF]), "layout-5 padding at offset 288 is 255, not 0")
        // Channel 7's weight at K = 47: offset 11 x 32 + 28 + 3 = 383.
        assertRejected(model(shape: shape, bytes: 416, layout: l5, set: [383: 2]), "layout-5 padding at offset 383 is 2, not 0")
        // The folded bias of padding channels is never stored: not checked.
        _ = try load(model(shape: shape, bytes: 416, layout: l5, set: [396: 9]))
        // Layout-4 bytes with a damaged layout byte (the same 128 bytes when K <= 8): -1 widened
        // to int16 puts 0xFF in the high byte, which layout 5 reads as channel 0 at K = 1 (a
        // value), and channel 4's bytes of K = 0 are padding here.
        XCTAssertEqual(PackedWeights.o8ByteSize(outChannels: 3, k: 4), PackedWeights.o8c4ByteSize(outChannels: 3, k: 4))
        assertRejected(model(shape: [3, 1, 1, 4], bytes: 160, layout: l5, set: [16: 0xFF, 17: 0xFF]), "layout-5 padding at offset 16 is 255, not 0")
    }

    /// Layout 6 (`oc4_k16_s8`, FullyConnected [out, in]): 4-row blocks, K rounded up to 16.
    func testLayout6SizeShapeAndDtype() throws {
        let l6 = PackedWeights.neonFCLayout
        // [3, 36]: one block, K -> 48: 4 x 48 = 192 bytes, then 4 biases.
        XCTAssertEqual(PackedWeights.biasOffset(layout: l6, shape: Shape([3, 36])), 192)
        XCTAssertEqual(PackedWeights.biasOffset(layout: l6, shape: Shape([5, 1])), 128)
        let file = try load(model(shape: [3, 36], bytes: 208, layout: l6))
        XCTAssertEqual(file.tensor(6).layout, l6)
        assertRejected(model(shape: [3, 36], bytes: 224, layout: l6), "layout-6 weights of shape 3x36 take 208 bytes, the record says 224")
        assertRejected(model(shape: [3, 1, 1, 36], bytes: 208, layout: l6),
                       "packed fully connected weights (layout 6) have shape 3x1x1x36; they must be [out, in]")
        assertRejected(model(shape: [3, 36], bytes: 208, dtype: .float32, layout: l6), "packed fully connected layout needs a constant int8 tensor")
    }

    /// Layout 6's padding (K values 36..47, row 3 of [3, 36]) must be 0, and no weight is -128.
    func testLayout6PaddingMustBeZeroAndNoWeightMinus128() throws {
        let shape = [3, 36], l6 = PackedWeights.neonFCLayout
        // Accepted: weights of rows 0..2 at K < 36 (offset (i / 16) * 64 + row * 16 + i % 16), any bias.
        _ = try load(model(shape: shape, bytes: 208, layout: l6, set: [0: 0x81, 15: 0x7F, 128 + 32 + 3: 0xFF, 192: 0x80, 207: 1]))
        // Row 3 at K = 0: offset 48.
        assertRejected(model(shape: shape, bytes: 208, layout: l6, set: [48: 1]), "layout-6 padding at offset 48 is 1, not 0")
        // Row 0 at K = 36: offset 128 + 4.
        assertRejected(model(shape: shape, bytes: 208, layout: l6, set: [132: 0xFF]), "layout-6 padding at offset 132 is 255, not 0")
        assertRejected(model(shape: shape, bytes: 208, layout: l6, set: [17: 0x80]), "layout-6 weight at offset 17 is -128")
    }
}
