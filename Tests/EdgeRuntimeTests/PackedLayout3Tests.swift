import EdgeFormat
@testable import EdgeRuntime
import XCTest

/// Layout-3 weights (FORMAT.md, "Packed int8 1x1 Conv2D weights") are accepted only where
/// they belong: as input 1 of an int8 Conv2D without a bias input.
final class PackedLayout3Tests: PackedLayoutTestCase {
    override var layout: UInt8 { PackedWeights.conv1x1Layout }

    func testInfoNamesTheLayout3KernelOnEveryLevel() throws {
        let d = try packedCase()
        XCTAssertEqual("\(try prepare(d).kernelName(0))", "ek_qs8_pconv2d_minmax_4x16c4__ref")
        let auto = KernelTable.forThisMachine()
        XCTAssertEqual("\(try prepare(d, kernels: auto).kernelName(0))", "\(auto.qs8PackedConv1x1.name)")
    }

    func testABiasInputBesideLayout3IsRejected() throws {
        try assertBiasInputBesidePackedWeightsIsRejected()
    }

    func testLayout3AsAnotherInputIsRejected() throws {
        try assertPackedWeightsAsAnotherInputAreRejected()
    }
}
