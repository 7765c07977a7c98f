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
        var d = try packedCase()
        let weights = try XCTUnwrap(d.ops[0].inputs[1])
        var bias = ModelDescription.Tensor(name: "bias", dtype: .int32, shape: [d.tensors[weights].shape[0]])
        bias.constantData = [UInt8](repeating: 0, count: 4 * d.tensors[weights].shape[0])
        d.tensors.append(bias)
        d.ops[0].inputs.append(d.tensors.count - 1)
        assertRejected(d, "packed conv weights carry the bias; input 2 must be absent")
    }

    func testLayout4AsAnotherInputIsRejected() throws {
        var d = try packedCase()
        let weights = try XCTUnwrap(d.ops[0].inputs[1])
        d.ops[0].inputs[0] = weights
        assertRejected(d, "input 0 has the packed conv layout 4; only Conv2D weights (input 1) may")
    }
}
