import CEdgeKernels
import EdgeFormat
@testable import EdgePack
import XCTest

/// Which int8 Conv2D nodes an AVX2 target packs in layout 2: 1x1 convolutions the canonical
/// path runs on the 4x16c4 tile over enough pixels stay canonical (`WeightPacking.runsC4Canonically`).
final class WeightPackingTests: XCTestCase {
    static let avx2 = PackTarget(name: "test (avx2)", packsConvOC16K2: true)

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

    func layout(_ graph: (Graph, Node)) -> UInt8? {
        WeightPacking.packedConv(graph.0, graph.1, target: Self.avx2)?.layout
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
}
