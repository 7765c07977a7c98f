import CEdgeKernels
import EdgeFormat
@testable import EdgePack
import XCTest

/// Which int8 FullyConnected nodes a target packs in layout 6 (`oc4_k16_s8`, FORMAT.md "Packed
/// int8 FullyConnected weights for NEON"): every one on NEON boards without i8mm, none elsewhere.
final class WeightPackingFCTests: XCTestCase {
    static let rpi4 = PackTarget.board("rpi4", isa: ["neon"])
    static let rpi5 = PackTarget.board("rpi5", isa: ["neon", "fp16", "dotprod"])

    /// Weight (c, i) of the test graphs: spread over [-127, 127].
    static func w(_ c: Int, _ i: Int) -> Int8 {
        let v = Int8(truncatingIfNeeded: (c * 131 + i) * 37 + 11)
        return v == -128 ? 127 : v
    }

    /// An int8 graph with one FullyConnected `k` -> `out` (weights `w(c, i)`, bias 5 c - 40).
    func fc(k: Int, out: Int, input: DType = .int8, weight: (Int, Int) -> Int8 = WeightPackingFCTests.w) throws -> (Graph, Node) {
        var g = Graph()
        let x = g.addValue(Value(name: "x", dtype: input, shape: [1, k], quantization: Quantization(scale: 0.1, zeroPoint: -3)))
        let weights = (0..<(out * k)).map { weight($0 / k, $0 % k) }
        let wv = g.addConstant("w", shape: [out, k], data: .int8(weights))
        g[wv].quantization = Quantization(scales: Array(repeating: 0.01, count: out), zeroPoints: Array(repeating: 0, count: out), axis: 0)
        let b = g.addConstant("b", shape: [out], data: .int32((0..<out).map { Int32($0 * 5 - 40) }))
        let y = try g.append1(.fullyConnected(.none), [x, wv, b], name: "fc")
        g[y].dtype = input
        g[y].quantization = Quantization(scale: 0.2, zeroPoint: 1)
        return (g, g.nodes[0])
    }

    func testNEONBoardsWithoutI8MMPackLayout6() {
        XCTAssertTrue(Self.rpi4.packsFCOC4K16)
        XCTAssertTrue(Self.rpi5.packsFCOC4K16)
        XCTAssertTrue(PackTarget.board("hub", isa: ["neon", "dotprod"]).packsFCOC4K16)
        XCTAssertFalse(PackTarget.board("n2", isa: ["neon", "fp16", "dotprod", "i8mm"]).packsFCOC4K16,
                       "i8mm boards keep the canonical weights their SMMLA kernel reads")
        XCTAssertFalse(PackTarget.board("x", isa: ["avx2"]).packsFCOC4K16)
        XCTAssertFalse(PackTarget.canonical.packsFCOC4K16)
        XCTAssertFalse(PackTarget.host.packsFCOC4K16)
    }

    /// The rule (WeightPacking.packedFC): every int8 FullyConnected, any shape, on both boards;
    /// not a float one, not one holding a -128 weight, not for a target without layout 6.
    func testLayout6Rule() throws {
        for (k, out) in [(640, 128), (128, 128), (128, 8), (8, 128), (64, 12), (1, 1), (17, 5)] {
            for target in [Self.rpi4, Self.rpi5] {
                let (g, node) = try fc(k: k, out: out)
                XCTAssertEqual(WeightPacking.packedFC(g, node, target: target)?.layout, PackedWeights.neonFCLayout, "\(k) -> \(out)")
            }
        }
        let (g, node) = try fc(k: 64, out: 12)
        XCTAssertNil(WeightPacking.packedFC(g, node, target: .canonical))
        XCTAssertNil(WeightPacking.packedFC(g, node, target: PackTarget.board("x", isa: ["avx2"])))
        XCTAssertNil(WeightPacking.packedConv(g, node, target: Self.rpi4), "FullyConnected is not a Conv2D")
        let float = try fc(k: 64, out: 12, input: .float32)
        XCTAssertNil(WeightPacking.packedFC(float.0, float.1, target: Self.rpi4))
        let withMin = try fc(k: 64, out: 12) { c, i in c == 3 && i == 7 ? -128 : 1 }
        XCTAssertNil(WeightPacking.packedFC(withMin.0, withMin.1, target: Self.rpi4), "-128 is outside the layout's weights")
    }

    func testLayout6BytesAreTheCPackersAndTheSizeRule() throws {
        let (g, node) = try fc(k: 27, out: 6)
        let t = try XCTUnwrap(WeightPacking.packedFC(g, node, target: Self.rpi4))
        XCTAssertEqual(t.shape, [6, 27])
        XCTAssertEqual(t.constantData?.count, Int(ek_qs8_pfc_packed_bytes(6, 27)))
        for (n, k) in [(1, 1), (17, 27), (40, 130), (256, 2049)] {
            let shape = Shape([n, k])
            XCTAssertEqual(PackedWeights.biasOffset(layout: PackedWeights.neonFCLayout, shape: shape), Int(ek_qs8_pfc_bias_offset(n, k)))
        }
        // Byte b * 32 * 4 + (i / 16) * 64 + j * 16 + i % 16 = w[4 b + j][i] (R = 32 for K = 27).
        let bytes = try XCTUnwrap(t.constantData)
        let w = { (c: Int, i: Int) in UInt8(bitPattern: Self.w(c, i)) }
        XCTAssertEqual(bytes[0], w(0, 0))
        XCTAssertEqual(bytes[16], w(1, 0))
        XCTAssertEqual(bytes[64 + 2 * 16 + 3], w(2, 19))
        XCTAssertEqual(bytes[128 + 16 + 5], w(5, 5))
        XCTAssertEqual(bytes[64 + 11], 0, "K values past 27 are zero")
        XCTAssertEqual(bytes[128 + 2 * 16], 0, "rows past 6 are zero")
        // Folded bias of row 1: 5 - 40, minus zero point -3 times the sum of w[1][...].
        let sum = (0..<27).reduce(0) { $0 + Int(Int8(bitPattern: w(1, $1))) }
        let at = Int(ek_qs8_pfc_bias_offset(6, 27)) + 4
        let folded = Int32(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        XCTAssertEqual(Int(folded), -35 + 3 * sum)
    }
}
