import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest

/// Op parameters near 2^31 (a damaged PARAMS section whose CRC was recomputed) are
/// `unsupported` errors naming the op and the value, not arithmetic-overflow traps at prepare.
final class DamagedParamsTests: XCTestCase {
    func prepareError(_ description: ModelDescription) -> EdgeError? {
        do {
            _ = try Interpreter(model: try EdgeModel(bytes: ModelWriter.serialize(description)))
            return nil
        } catch {
            return error
        }
    }

    func assertRejected(_ description: ModelDescription, _ expected: String, line: UInt = #line) {
        guard let error = prepareError(description) else { return XCTFail("the model prepared", line: line) }
        XCTAssertEqual(error.kind, .unsupported, error.message, line: line)
        XCTAssertTrue(error.message.contains(expected), error.message, line: line)
    }

    func testHugeConvDilationIsRejected() {
        var d = SampleModel.description()
        d.ops[0].params = SampleModel.params([1, 1, 0x6400_0001, 1, 1, 1, 1, 1], [0, .infinity])
        assertRejected(d, "model.bin op 0 'conv' (Conv2D): kernel 3 with dilation 1677721601 does not fit input 6 padded to 8")
    }

    func testHugePoolPaddingIsRejected() {
        var d = SampleModel.description()
        d.ops[1].params = SampleModel.params([2, 2, 2, 2, 0, 0, Int(Int32.max), 0], [-.infinity, .infinity])
        assertRejected(d, "model.bin op 1 'pool' (MaxPool2D): kernel 2 with dilation 1 does not fit input 6 padded to 2147483653 (at most 2^31 - 1)")
    }

    /// A bottom pad as large as the filter gives windows of padding only, which have no index
    /// (before: index -1 relative to the plane, written as a wrong flat index).
    func testMaxPoolIndicesWindowsOfPaddingOnlyAreRejected() {
        var d = FuzzSeeds.maxPoolIndices.model
        XCTAssertNil(prepareError(d).map(\.message))
        // Input 4x4, filter 3, stride 2, pads top 1 and bottom 4: 9 rows, 4 windows, the last at rows 5..7.
        d.ops[0].params = SampleModel.params([3, 3, 2, 2, 1, 1, 4, 0, 0])
        d.tensors[1].shape = [1, 2, 4, 2]
        d.arenaBytes = d.tensors[1].arenaOffset + 128 + 64
        assertRejected(d, "model.bin op 0 'indices' (MaxPoolIndices): bottom/right pads (4,0) reach the filter 3x3")
    }

    func testHugeDepthMultiplierIsRejected() {
        var d = ModelDescription(name: "depthwise", producer: "DamagedParamsTests")
        d.tensors = [
            .init(name: "x", dtype: .float32, shape: [1, 4, 4, 2], arenaOffset: 0),
            .init(name: "w", dtype: .float32, shape: [1, 3, 3, 2], constantData: SampleModel.floats(SampleModel.values(18, seed: 5))),
            .init(name: "y", dtype: .float32, shape: [1, 2, 2, 2], arenaOffset: 128),
        ]
        let params = { (multiplier: Int) in SampleModel.params([1, 1, 1, 1, 0, 0, 0, 0], [-.infinity, .infinity]) + SampleModel.params([multiplier]) }
        d.ops = [.init(kind: .depthwiseConv2D, name: "dw", inputs: [0, 1], outputs: [2], params: params(1))]
        d.inputs = [0]
        d.outputs = [2]
        d.arenaBytes = 128 + 32 + 64
        d.lifetimes = [PlanEntry(tensor: 0, firstOp: 0, lastOp: 0), PlanEntry(tensor: 2, firstOp: 0, lastOp: 0)]
        XCTAssertNil(prepareError(d).map(\.message))
        d.ops[0].params = params(Int(Int32.max))
        assertRejected(d, "model.bin op 0 'dw' (DepthwiseConv2D): weights 1x3x3x2 do not match 2 input channels x depth multiplier 2147483647")
    }
}
