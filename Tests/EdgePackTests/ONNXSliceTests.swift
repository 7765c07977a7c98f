import EdgeFormat
import XCTest
@testable import EdgePack

/// Slice on run-time data becomes Gather ops (any steps, negative and out-of-range bounds);
/// Slice in shape arithmetic folds to a constant.
final class ONNXSliceTests: XCTestCase {
    func testSliceWithNegativeStepAndClampedBoundsRunsAsGathers() throws {
        var b = ONNXBuilder()
        b.input("x", [3, 10])
        b.ints("starts", [1, -1])
        b.ints("ends", [100, -100])
        b.ints("axes", [0, 1])
        b.ints("steps", [1, -3])
        b.node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
        b.output("y")
        let packed = try Harness.pack(b).float
        XCTAssertEqual(Harness.ops(packed.graph), ["Gather", "Gather"])
        let x = Harness.randomInput(30, seed: 3)
        // Rows 1, 2; columns 9, 6, 3, 0.
        let want = [1, 2].flatMap { r in [9, 6, 3, 0].map { x[r * 10 + $0] } }
        XCTAssertEqual(try Harness.run(packed, x), want)
    }

    func testSliceOfSpatialTensorFollowsTheLayout() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 2, 6, 6])
        _ = b.random("w", [3, 2, 3, 3])
        b.node("Conv", ["x", "w"], ["c"], [Attr.ints("pads", [1, 1, 1, 1])])
        b.ints("starts", [1, 0])
        b.ints("ends", [3, 6])
        b.ints("axes", [1, 3])
        b.ints("steps", [1, 2])
        b.node("Slice", ["c", "starts", "ends", "axes", "steps"], ["y"])
        b.output("y")
        let imported = try Harness.imported(b)
        let x = Harness.randomInput(72, seed: 4)
        let packed = try Harness.pack(b).float
        XCTAssertEqual(packed.graph.nodes.filter { $0.op.kind == .gather }.count, 2)
        Harness.assertClose(try Harness.run(packed, x), try Harness.reference(imported, x), 1e-5)
    }

    func testEmptySliceGivesAnEmptyTensor() throws {
        var b = ONNXBuilder()
        b.input("x", [4])
        b.ints("starts", [3])
        b.ints("ends", [1])
        b.node("Slice", ["x", "starts", "ends"], ["y"])
        b.output("y")
        let packed = try Harness.pack(b).float
        XCTAssertEqual(packed.graph[packed.graph.outputs[0]].shape, [0])
        XCTAssertEqual(try Harness.run(packed, [1, 2, 3, 4]), [])
    }

    /// x.view(x.shape[0], -1) as PyTorch exports it: Shape -> Slice -> Concat -> Reshape.
    func testShapeSliceConcatChainFoldsToAConstantReshape() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 3, 4])
        b.node("Shape", ["x"], ["s"])
        b.ints("zero", [0])
        b.ints("one", [1])
        b.node("Slice", ["s", "zero", "one"], ["batch"])
        b.ints("rest", [-1])
        b.node("Concat", ["batch", "rest"], ["target"], [Attr.int("axis", 0)])
        b.node("Reshape", ["x", "target"], ["flat"])
        b.node("Relu", ["flat"], ["y"])
        b.output("y")
        let imported = try Harness.imported(b)
        XCTAssertEqual(Harness.ops(imported), ["Reshape", "Clamp"])
        XCTAssertEqual(imported[imported.outputs[0]].shape, [2, 12])
    }
}
