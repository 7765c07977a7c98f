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
        var d = try packedCase()
        let weights = try XCTUnwrap(d.ops[0].inputs[1])
        // Any int32 [out] tensor as input 2: the folded bias already lives in the weights.
        var bias = ModelDescription.Tensor(name: "bias", dtype: .int32, shape: [d.tensors[weights].shape[0]])
        bias.constantData = [UInt8](repeating: 0, count: 4 * d.tensors[weights].shape[0])
        d.tensors.append(bias)
        d.ops[0].inputs.append(d.tensors.count - 1)
        assertRejected(d, "packed conv weights carry the bias; input 2 must be absent")
    }

    func testLayout3AsAnotherInputIsRejected() throws {
        var d = try packedCase()
        let weights = try XCTUnwrap(d.ops[0].inputs[1])
        d.ops[0].inputs[0] = weights
        assertRejected(d, "input 0 has the packed conv layout 3; only Conv2D weights (input 1) may")
    }
}
