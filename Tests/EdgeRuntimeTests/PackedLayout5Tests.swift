import CEdgeKernels
import EdgeFormat
@testable import EdgeRuntime
import XCTest

/// Layout-5 weights (FORMAT.md, "Packed int8 Conv2D weights for the NEON dot product") are
/// accepted only where they belong, as input 1 of an int8 Conv2D without a bias input, and run
/// the layout's kernel (its __ref twin, or the SDOT 8x8c4 tile on aarch64 with the dot product).
final class PackedLayout5Tests: PackedLayoutTestCase {
    override var layout: UInt8 { PackedWeights.dotConvLayout }

    func testInfoNamesTheLayout5KernelOnEveryLevel() throws {
        let d = try packedCase()
        XCTAssertEqual("\(try prepare(d).kernelName(0))", "ek_qs8_pconv2d_minmax_8x8c4__ref")
        let auto = KernelTable.forThisMachine()
        XCTAssertEqual("\(try prepare(d, kernels: auto).kernelName(0))", "\(auto.qs8PackedConv8x8c4.name)")
        #if arch(x86_64)
        XCTAssertEqual("\(auto.qs8PackedConv8x8c4.name)", "ek_qs8_pconv2d_minmax_8x8c4__ref", "no SDOT on x86")
        #endif
        #if arch(arm64)
        for level in KernelTable.levels where level.isSupported(features: ek_cpu_features()) {
            let dot = level.requiredFeatures & UInt32(EK_CPU_LEVEL_NEONDOT) == UInt32(EK_CPU_LEVEL_NEONDOT)
            XCTAssertEqual("\(level.table().qs8PackedConv8x8c4.name)",
                           dot ? "ek_qs8_pconv2d_minmax_8x8c4__neondot" : "ek_qs8_pconv2d_minmax_8x8c4__ref")
        }
        #endif
    }

    func testABiasInputBesideLayout5IsRejected() throws {
        try assertBiasInputBesidePackedWeightsIsRejected()
    }

    func testLayout5AsAnotherInputIsRejected() throws {
        try assertPackedWeightsAsAnotherInputAreRejected()
    }
}
