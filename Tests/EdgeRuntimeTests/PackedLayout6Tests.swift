import CEdgeKernels
import EdgeFormat
@testable import EdgeRuntime
import XCTest

/// Layout-6 weights (FORMAT.md, "Packed int8 FullyConnected weights for NEON") are accepted only
/// where they belong, as input 1 of an int8 FullyConnected without a bias input, and run the
/// layout's kernel (its __ref twin, or the 1x4c16 NEON / SDOT tile on aarch64).
final class PackedLayout6Tests: PackedLayoutTestCase {
    override var layout: UInt8 { PackedWeights.neonFCLayout }

    func testInfoNamesTheLayout6KernelOnEveryLevel() throws {
        let d = try packedCase()
        XCTAssertEqual("\(try prepare(d).kernelName(0))", "ek_qs8_pfc_minmax_1x4c16__ref")
        let auto = KernelTable.forThisMachine()
        XCTAssertEqual("\(try prepare(d, kernels: auto).kernelName(0))", "\(auto.qs8PackedFullyConnected.name)")
        #if arch(x86_64)
        XCTAssertEqual("\(auto.qs8PackedFullyConnected.name)", "ek_qs8_pfc_minmax_1x4c16__ref", "no NEON on x86")
        #endif
        #if arch(arm64)
        for level in KernelTable.levels where level.isSupported(features: ek_cpu_features()) {
            let dot = level.requiredFeatures & UInt32(EK_CPU_LEVEL_NEONDOT) == UInt32(EK_CPU_LEVEL_NEONDOT)
            let neon = level.requiredFeatures & UInt32(EK_CPU_LEVEL_NEON) == UInt32(EK_CPU_LEVEL_NEON)
            XCTAssertEqual("\(level.table().qs8PackedFullyConnected.name)",
                           dot ? "ek_qs8_pfc_minmax_1x4c16__neondot" : neon ? "ek_qs8_pfc_minmax_1x4c16__neon"
                               : "ek_qs8_pfc_minmax_1x4c16__ref")
        }
        #endif
    }

    func testABiasInputBesideLayout6IsRejected() throws {
        try assertBiasInputBesidePackedWeightsIsRejected()
    }

    func testLayout6AsAnotherInputIsRejected() throws {
        try assertPackedWeightsAsAnotherInputAreRejected()
    }

    /// Layout-6 weights under a Conv2D (reshaped to rank 4 they would pass no size check, so the
    /// FullyConnected's op kind is changed instead) are rejected before any kernel runs.
    func testLayout6UnderAnotherOpIsRejected() throws {
        var d = try packedCase()
        d.ops[0].kind = .conv2D
        XCTAssertThrowsError(try prepare(d))
    }
}
