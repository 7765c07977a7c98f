import EdgeFormat
@testable import EdgeRuntime
import XCTest

/// Layout-4 weights (FORMAT.md, "Packed int8 Conv2D weights for NEON") are accepted only where
/// they belong, as input 1 of an int8 Conv2D without a bias input, and run the layout's kernel
/// (its __ref twin, or the NEON 8x8 tile on aarch64).
final class PackedLayout4Tests: PackedLayoutTestCase {
    override var layout: UInt8 { PackedWeights.neonConvLayout }

    func testInfoNamesTheLayout4KernelOnEveryLevel() throws {
        let d = try packedCase()
        XCTAssertEqual("\(try prepare(d).kernelName(0))", "ek_qs8_pconv2d_minmax_8x8__ref")
        let auto = KernelTable.forThisMachine()
        XCTAssertEqual("\(try prepare(d, kernels: auto).kernelName(0))", "\(auto.qs8PackedConv8x8.name)")
        #if arch(arm64)
        XCTAssertEqual("\(auto.qs8PackedConv8x8.name)", "ek_qs8_pconv2d_minmax_8x8__neon")
        #endif
    }

    func testABiasInputBesideLayout4IsRejected() throws {
        try assertBiasInputBesidePackedWeightsIsRejected()
    }

    func testLayout4AsAnotherInputIsRejected() throws {
        try assertPackedWeightsAsAnotherInputAreRejected()
    }
}
