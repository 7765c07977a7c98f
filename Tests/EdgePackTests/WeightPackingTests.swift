import CEdgeKernels
import EdgeFormat
@testable import EdgePack
import XCTest

/// Which int8 Conv2D nodes an AVX2 target packs in which layout: 1x1 convolutions the 4x16c4
/// tile reads in place take layout 3 (`ek_qs8_pconv2d_c4_fits`), the others layout 2; a target
/// without layout 3 keeps those the canonical path runs on the 4x16c4 tile over enough pixels
/// canonical (`WeightPacking.runsC4Canonically`).
final class WeightPackingTests: XCTestCase {
    /// A target with layout 2 only (what edgepack wrote for AVX2 before layout 3).
    static let avx2 = PackTarget(name: "test (avx2)", packsConvOC16K2: true)
    /// `PackTarget.host` / `board` for AVX2: layouts 2 and 3.
    static let avx2C4 = PackTarget(name: "test (avx2, c4)", packsConvOC16K2: true, packsConv1x1OC16K4: true)

    /// An int8 graph with one Conv2D of `kernel`x`kernel` windows, `inC` -> 32 channels over an `h`x`w` input.
    func conv(h: Int, w: Int, inC: Int = 16, kernel: Int = 1, stride: Int = 1, pad: Int = 0) throws -> (Graph, Node) {
        var g = Graph()
        let outC = 32, k = kernel * kernel * inC
        let x = g.addValue(Value(name: "x", dtype: .int8, shape: [1, h, w, inC], quantization: Quantization(scale: 0.1, zeroPoint: -3)))
        let weights = (0..<(outC * k)).map { Int8(truncatingIfNeeded: $0 * 37 + 11) }
        let wv = g.addConstant("w", shape: [outC, kernel, kernel, inC], data: .int8(weights))
        g[wv].quantization = Quantization(scales: Array(repeating: 0.01, count: outC), zeroPoints: Array(repeating: 0, count: outC), axis: 0)
        let b = g.addConstant("b", shape: [outC], data: .int32((0..<outC).map { Int32($0 * 5 - 40) }))
        let padding = Padding2D(top: pad, left: pad, bottom: pad, right: pad)
        let attributes = ConvAttributes(strideH: stride, strideW: stride, padding: padding, layout: .nhwc)
        let y = try g.append1(.conv2D(attributes), [x, wv, b], name: "conv")
        g[y].dtype = .int8
        g[y].quantization = Quantization(scale: 0.2, zeroPoint: 1)
        return (g, g.nodes[0])
    }

    func layout(_ graph: (Graph, Node), target: PackTarget = WeightPackingTests.avx2) -> UInt8? {
        WeightPacking.packedConv(graph.0, graph.1, target: target)?.layout
    }

    func testPointwiseTakesLayout3AtAnyPixelCountAndK() throws {
        let l3 = PackedWeights.conv1x1Layout
        XCTAssertEqual(layout(try conv(h: 12, w: 12), target: Self.avx2C4), l3)
        XCTAssertEqual(layout(try conv(h: 6, w: 6), target: Self.avx2C4), l3, "no repacking: few pixels too")
        XCTAssertEqual(layout(try conv(h: 1, w: 1), target: Self.avx2C4), l3)
        XCTAssertEqual(layout(try conv(h: 32, w: 32, stride: 2), target: Self.avx2C4), l3)
        XCTAssertEqual(layout(try conv(h: 3, w: 3, inC: Int(EK_CONV_C4_MAX_K) + 4), target: Self.avx2C4), l3,
                       "weights in the mapping: no K limit")
        XCTAssertEqual(layout(try conv(h: 2, w: 2, inC: PackedWeights.maxK + 4), target: Self.avx2C4), l3)
        // Windows the tile cannot read in place keep layout 2; stems stay canonical.
        XCTAssertEqual(layout(try conv(h: 12, w: 12, pad: 1), target: Self.avx2C4), PackedWeights.conv2DLayout)
        XCTAssertEqual(layout(try conv(h: 12, w: 12, kernel: 3, pad: 1), target: Self.avx2C4), PackedWeights.conv2DLayout)
        XCTAssertEqual(layout(try conv(h: 12, w: 12, inC: 4), target: Self.avx2C4), l3, "4 -> 32 channels is not a stem (out > 8)")
        XCTAssertNil(layout(try conv(h: 12, w: 12), target: .canonical))
    }

    func testLayout3BytesAreTheCPackersAndTheSizeRule() throws {
        let (g, node) = try conv(h: 4, w: 4, inC: 27)
        let t = try XCTUnwrap(WeightPacking.packedConv(g, node, target: Self.avx2C4))
        XCTAssertEqual(t.layout, PackedWeights.conv1x1Layout)
        XCTAssertEqual(t.shape, [32, 1, 1, 27])
        XCTAssertEqual(t.constantData?.count, PackedWeights.c4ByteSize(outChannels: 32, k: 27))
        for (n, k) in [(1, 1), (17, 27), (40, 130), (256, 2049)] {
            XCTAssertEqual(PackedWeights.c4ByteSize(outChannels: n, k: k), Int(ek_qs8_pconv2d_c4_packed_bytes(n, k)))
            XCTAssertEqual(PackedWeights.c4BiasOffset(outChannels: n, k: k), Int(ek_qs8_pconv2d_c4_bias_offset(n, k)))
        }
        // Channel 0, K values 0..3: weights (37 i + 11) mod 256 as int8 = 11, 48, 85, 122 -> |w|
        // and no sign; channel 1 starts at 27 x 37 + 11 = 1010 -> -14: |w| 14, sign 0xff.
        let bytes = try XCTUnwrap(t.constantData)
        XCTAssertEqual(Array(bytes[0..<4]), [11, 48, 85, 122])
        XCTAssertEqual(Array(bytes[64..<68]), [0, 0, 0, 0])
        XCTAssertEqual(bytes[4], 14)
        XCTAssertEqual(bytes[68], 0xff)
    }

    func testHostAndAVX2BoardsPackLayout3AndNEONBoardsDoNot() {
        XCTAssertTrue(PackTarget.board("x", isa: ["avx2"]).packsConv1x1OC16K4)
        XCTAssertFalse(PackTarget.board("rpi5", isa: ["neon", "dotprod"]).packsConv1x1OC16K4)
        XCTAssertFalse(PackTarget.canonical.packsConv1x1OC16K4)
        XCTAssertEqual(PackTarget.host.packsConv1x1OC16K4, PackTarget.host.packsConvOC16K2)
    }

    func testPointwiseOverManyPixelsStaysCanonical() throws {
        XCTAssertNil(layout(try conv(h: 12, w: 12)), "144 output pixels: the canonical 4x16c4 tile is faster")
        XCTAssertNil(layout(try conv(h: 1, w: WeightPacking.c4MinPixels)))
        // Stride 2 without padding keeps every window inside the input: 16x16 output pixels.
        XCTAssertNil(layout(try conv(h: 32, w: 32, stride: 2)))
        XCTAssertNil(WeightPacking.packedConv(try conv(h: 12, w: 12).0, try conv(h: 12, w: 12).1, target: .canonical))
    }

    func testOtherConvolutionsKeepLayout2() throws {
        XCTAssertEqual(layout(try conv(h: 6, w: 6)), PackedWeights.conv2DLayout, "36 pixels do not repay the per-call repacking")
        XCTAssertEqual(layout(try conv(h: 1, w: WeightPacking.c4MinPixels - 1)), PackedWeights.conv2DLayout)
        XCTAssertEqual(layout(try conv(h: 12, w: 12, kernel: 3, pad: 1)), PackedWeights.conv2DLayout, "3x3 windows run 4x16c2")
        XCTAssertEqual(layout(try conv(h: 12, w: 12, pad: 1)), PackedWeights.conv2DLayout, "padded 1x1 runs 4x16c2")
        XCTAssertEqual(layout(try conv(h: 12, w: 12, inC: Int(EK_CONV_C4_MAX_K) + 4)), PackedWeights.conv2DLayout)
    }

    /// `PackTarget.board` for NEON boards without the dot product (Pi Zero 2 W, Pi 3, Pi 4).
    static let neon = PackTarget.board("rpi4", isa: ["neon"])

    func testNEONBoardsWithoutDotProductPackLayout4() {
        XCTAssertTrue(Self.neon.packsConvOC8K1)
        XCTAssertFalse(Self.neon.packsConvOC16K2 || Self.neon.packsConv1x1OC16K4)
        XCTAssertFalse(PackTarget.board("rpi5", isa: ["neon", "fp16", "dotprod"]).packsConvOC8K1,
                       "the SDOT tiles read canonical weights faster than the SMLAL tile reads layout 4")
        XCTAssertFalse(Self.neon.packsConvOC8K4)
        XCTAssertFalse(PackTarget.board("x", isa: ["avx2"]).packsConvOC8K1)
        XCTAssertFalse(PackTarget.canonical.packsConvOC8K1)
    }

    /// The rule (WeightPacking.packedConv): every int8 Conv2D with K up to
    /// `PackedWeights.neonMaxK` over at least `neonMinPixels` output pixels, stems included.
    func testLayout4RuleOnNEON() throws {
        let l4 = PackedWeights.neonConvLayout
        XCTAssertEqual(layout(try conv(h: 12, w: 12), target: Self.neon), l4, "pointwise")
        XCTAssertEqual(layout(try conv(h: 12, w: 12, kernel: 3, pad: 1), target: Self.neon), l4, "3x3")
        XCTAssertEqual(layout(try conv(h: 32, w: 32, inC: 3, kernel: 3, stride: 2), target: Self.neon), l4, "stem")
        XCTAssertEqual(layout(try conv(h: 1, w: WeightPacking.neonMinPixels), target: Self.neon), l4)
        XCTAssertNil(layout(try conv(h: 1, w: WeightPacking.neonMinPixels - 1), target: Self.neon),
                     "under one 8-pixel tile the canonical 2x4c16 kernel is faster")
        XCTAssertEqual(layout(try conv(h: 3, w: 3, inC: PackedWeights.neonMaxK), target: Self.neon), l4)
        XCTAssertNil(layout(try conv(h: 3, w: 3, inC: PackedWeights.neonMaxK + 1), target: Self.neon),
                     "beyond the tile's window rows: canonical")
    }

    func testLayout4BytesAreTheCPackersAndTheSizeRule() throws {
        let (g, node) = try conv(h: 4, w: 4, inC: 3, kernel: 3, pad: 1)
        let t = try XCTUnwrap(WeightPacking.packedConv(g, node, target: Self.neon))
        XCTAssertEqual(t.layout, PackedWeights.neonConvLayout)
        XCTAssertEqual(t.shape, [32, 3, 3, 3])
        XCTAssertEqual(t.constantData?.count, PackedWeights.o8ByteSize(outChannels: 32, k: 27))
        for (n, k) in [(1, 1), (17, 27), (40, 130), (256, 2049)] {
            XCTAssertEqual(PackedWeights.o8ByteSize(outChannels: n, k: k), Int(ek_qs8_pconv2d_o8_packed_bytes(n, k)))
            XCTAssertEqual(PackedWeights.o8BiasOffset(outChannels: n, k: k), Int(ek_qs8_pconv2d_o8_bias_offset(n, k)))
        }
        // int16 entry (b * 32 + i) * 8 + j = w[8 b + j][i], w[c][i] = (37 (27 c + i) + 11) as int8:
        // entry 0 = w[0][0] = 11, entry 1 = w[1][0] = (999 + 11) mod 256 = -14, entry 8 = w[0][1] = 48.
        let bytes = try XCTUnwrap(t.constantData)
        let entry = { (e: Int) in Int16(bitPattern: UInt16(bytes[2 * e]) | UInt16(bytes[2 * e + 1]) << 8) }
        XCTAssertEqual([entry(0), entry(1), entry(8)], [11, -14, 48])
        XCTAssertEqual(entry(27 * 8), 0, "K rows past 27 are zero")
        // Folded bias of channel 0: bias 0 * 5 - 40, minus zero point -3 times the sum of w[0][...].
        let sum = (0..<27).reduce(0) { $0 + Int(Int8(truncatingIfNeeded: $1 * 37 + 11)) }
        let at = PackedWeights.o8BiasOffset(outChannels: 32, k: 27)
        let folded = Int32(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        XCTAssertEqual(Int(folded), -40 + 3 * sum)
    }

    /// `PackTarget.board` for dot-product boards without i8mm (Pi 5, Cortex-A55 hubs).
    static let dot = PackTarget.board("rpi5", isa: ["neon", "fp16", "dotprod"])

    func testDotProductBoardsWithoutI8MMPackLayout5() {
        XCTAssertTrue(Self.dot.packsConvOC8K4)
        XCTAssertFalse(Self.dot.packsConvOC8K1 || Self.dot.packsConvOC16K2 || Self.dot.packsConv1x1OC16K4)
        XCTAssertTrue(PackTarget.board("hub", isa: ["neon", "dotprod"]).packsConvOC8K4)
        XCTAssertFalse(PackTarget.board("n2", isa: ["neon", "fp16", "dotprod", "i8mm"]).packsConvOC8K4,
                       "i8mm boards keep the canonical weights their SMMLA kernels read")
        XCTAssertFalse(PackTarget.board("x", isa: ["avx2"]).packsConvOC8K4)
        XCTAssertFalse(PackTarget.canonical.packsConvOC8K4)
        XCTAssertFalse(PackTarget.host.packsConvOC8K4)
    }

    /// The rule (WeightPacking.packedConv): every int8 Conv2D with K up to
    /// `PackedWeights.dotMaxK`, stems and single output pixels included (layout 5 measured
    /// fewer guest instructions than the canonical SDOT kernels on every shape).
    func testLayout5RuleOnDotProductBoards() throws {
        let l5 = PackedWeights.dotConvLayout
        XCTAssertEqual(layout(try conv(h: 12, w: 12), target: Self.dot), l5, "pointwise")
        XCTAssertEqual(layout(try conv(h: 12, w: 12, kernel: 3, pad: 1), target: Self.dot), l5, "3x3")
        XCTAssertEqual(layout(try conv(h: 32, w: 32, inC: 3, kernel: 3, stride: 2), target: Self.dot), l5, "stem")
        XCTAssertEqual(layout(try conv(h: 1, w: 1, inC: 128), target: Self.dot), l5, "one pixel")
        XCTAssertEqual(layout(try conv(h: 1, w: 1, inC: PackedWeights.dotMaxK), target: Self.dot), l5)
        XCTAssertNil(layout(try conv(h: 1, w: 1, inC: PackedWeights.dotMaxK + 1), target: Self.dot),
                     "beyond the tile's window rows: canonical")
    }

    func testLayout5BytesAreTheCPackersAndTheSizeRule() throws {
        let (g, node) = try conv(h: 4, w: 4, inC: 3, kernel: 3, pad: 1)
        let t = try XCTUnwrap(WeightPacking.packedConv(g, node, target: Self.dot))
        XCTAssertEqual(t.layout, PackedWeights.dotConvLayout)
        XCTAssertEqual(t.shape, [32, 3, 3, 3])
        XCTAssertEqual(t.constantData?.count, PackedWeights.o8c4ByteSize(outChannels: 32, k: 27))
        for (n, k) in [(1, 1), (17, 27), (40, 130), (256, 4097)] {
            XCTAssertEqual(PackedWeights.o8c4ByteSize(outChannels: n, k: k), Int(ek_qs8_pconv2d_o8c4_packed_bytes(n, k)))
            XCTAssertEqual(PackedWeights.o8c4BiasOffset(outChannels: n, k: k), Int(ek_qs8_pconv2d_o8c4_bias_offset(n, k)))
        }
        // Byte b * 32 * 8 + ((i / 4) * 8 + j) * 4 + i % 4 = w[8 b + j][i], w[c][i] = (37 (27 c + i)
        // + 11) as int8: byte 0 = w[0][0] = 11, byte 1 = w[0][1] = 48, byte 4 = w[1][0] = -14,
        // byte 32 = w[0][4] = 159 - 256 = -97, byte 256 = w[8][0] = (37 * 216 + 11) mod 256 = 67.
        let bytes = try XCTUnwrap(t.constantData).map { Int8(bitPattern: $0) }
        XCTAssertEqual([bytes[0], bytes[1], bytes[4], bytes[32], bytes[256]], [11, 48, -14, -97, 67])
        XCTAssertEqual(bytes[6 * 32 + 3], 0, "K values past 27 are zero")
        // Folded bias of channel 0: bias 0 * 5 - 40, minus zero point -3 times the sum of w[0][...].
        let sum = (0..<27).reduce(0) { $0 + Int(Int8(truncatingIfNeeded: $1 * 37 + 11)) }
        let at = PackedWeights.o8c4BiasOffset(outChannels: 32, k: 27)
        let u = bytes[at..<at + 4].map { UInt32(UInt8(bitPattern: $0)) }
        XCTAssertEqual(Int(Int32(bitPattern: u[0] | u[1] << 8 | u[2] << 16 | u[3] << 24)), -40 + 3 * sum)
    }
}
