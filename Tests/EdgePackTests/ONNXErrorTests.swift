import EdgeFormat
import XCTest
@testable import EdgePack

/// What the packer refuses, and that each refusal names the node, the op or attribute, the
/// value and a fix.
final class ONNXErrorTests: XCTestCase {
    func reluModel(opset: Int = 13, dims: [Int?] = [1, 3, 4, 4]) -> ONNXBuilder {
        var b = ONNXBuilder()
        b.opset = opset
        b.input("x", dims)
        b.node("Relu", ["x"], ["y"], name: "relu")
        b.output("y")
        return b
    }

    func testUnsupportedOpNamesTheNodeAndTheOp() {
        var b = ONNXBuilder()
        b.input("x", [1, 4])
        b.node("Erf", ["x"], ["y"], name: "act1")
        b.output("y")
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertEqual(e?.object, "ONNX node 'act1' (Erf)")
        XCTAssertTrue(e?.problem.contains("op type Erf is not supported") ?? false, e?.message ?? "")
        XCTAssertFalse(e?.fix.isEmpty ?? true)
    }

    func testGroupedConvolutionNamesTheAttributeAndValue() {
        var b = ONNXBuilder()
        b.input("x", [1, 4, 5, 5])
        _ = b.random("w", [4, 2, 3, 3])
        b.node("Conv", ["x", "w"], ["y"], name: "grouped", [Attr.int("group", 2)])
        b.output("y")
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertEqual(e?.object, "ONNX node 'grouped' (Conv)")
        XCTAssertTrue(e?.problem.contains("group = 2") ?? false, e?.message ?? "")
    }

    func testUnknownAttributeIsRejectedRatherThanIgnored() {
        var b = ONNXBuilder()
        b.input("x", [1, 1, 4, 4])
        b.node("MaxPool", ["x"], ["y"], name: "pool", [Attr.ints("kernel_shape", [2, 2]), Attr.int("storage_order", 1)])
        b.output("y")
        XCTAssertTrue(Harness.expectError { _ = try Harness.pack(b) }?.problem.contains("storage_order = 1") ?? false)

        var c = ONNXBuilder()
        c.input("x", [1, 1, 4, 4])
        c.node("AveragePool", ["x"], ["y"], name: "pool", [Attr.ints("kernel_shape", [3, 3]), Attr.ints("pads", [1, 1, 1, 1]),
                                                           Attr.ints("strides", [2, 2]), Attr.int("ceil_mode", 1),
                                                           Attr.int("count_include_pad", 1)])
        c.output("y")
        XCTAssertTrue(Harness.expectError { _ = try Harness.pack(c) }?.problem.contains("count_include_pad = 1 together with ceil_mode = 1") ?? false)

        var d = ONNXBuilder()
        d.input("x", [1, 4])
        d.node("Relu", ["x"], ["y"], name: "relu", [Attr.float("mystery", 2)])
        d.output("y")
        let e = Harness.expectError { _ = try Harness.pack(d) }
        XCTAssertTrue(e?.problem.contains("attribute 'mystery' = 2.0 is not supported for Relu") ?? false, e?.message ?? "")
    }

    func testOpsetsOutsideElevenToTwentyTwoAreRejected() throws {
        for opset in [10, 23] {
            let e = Harness.expectError { _ = try Harness.pack(self.reluModel(opset: opset)) }
            XCTAssertEqual(e?.kind, .unsupported)
            XCTAssertTrue(e?.problem.contains("opset \(opset)") ?? false, e?.message ?? "")
            XCTAssertTrue(e?.problem.contains("11...22") ?? false, e?.message ?? "")
        }
        for opset in [11, 21, 22] { _ = try Harness.pack(reluModel(opset: opset)) }
    }

    func testZeroSizedInputIsAnEmptyTensorNotDynamic() throws {
        let packed = try Harness.pack(reluModel(dims: [0, 3, 4, 4])).float
        XCTAssertEqual(packed.graph[packed.graph.inputs[0]].shape, [0, 3, 4, 4])
        XCTAssertEqual(packed.graph[packed.graph.outputs[0]].shape, [0, 3, 4, 4])
    }

    func testDynamicInputNeedsAnInputShape() throws {
        let b = reluModel(dims: [nil, 3, 4, 4])
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertEqual(e?.kind, .input)
        XCTAssertEqual(e?.object, "model.onnx input 'x'")
        XCTAssertTrue(e?.problem.contains("dim 0 is dynamic ('N')") ?? false, e?.message ?? "")
        XCTAssertEqual(e?.fix, "pass --input-shape x=1x3x4x4")

        var options = PackOptions()
        options.inputShapes = ["x": [2, 3, 4, 4]]
        let packed = try Packer.pack(onnx: b.bytes(), options: options).float
        XCTAssertEqual(packed.graph[packed.graph.inputs[0]].shape, [2, 3, 4, 4])

        options.inputShapes = ["x": [1, 3, 4]]
        XCTAssertEqual(Harness.expectError { _ = try Packer.pack(onnx: b.bytes(), options: options) }?.kind, .usage)
        options.inputShapes = ["x": [1, 5, 4, 4]]
        XCTAssertTrue(Harness.expectError { _ = try Packer.pack(onnx: b.bytes(), options: options) }?.problem.contains("dim 1 is 5") ?? false)
        options.inputShapes = ["image": [1, 3, 4, 4]]
        XCTAssertEqual(Harness.expectError { _ = try Packer.pack(onnx: b.bytes(), options: options) }?.fix, "use one of: x")
    }

    func testRunTimeWeightsAreRejected() {
        var b = ONNXBuilder()
        b.input("x", [1, 4])
        b.input("w", [4, 2])
        b.node("MatMul", ["x", "w"], ["y"], name: "matmul")
        b.output("y")
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertEqual(e?.object, "ONNX node 'matmul' (MatMul)")
        XCTAssertTrue(e?.problem.contains("computed at run time") ?? false, e?.message ?? "")
    }

    func testNonFloatInputAndGarbageAreRejected() {
        var b = reluModel()
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        b.inputs[0].type.value = .tensorType(t)
        XCTAssertTrue(Harness.expectError { _ = try Harness.pack(b) }?.problem.contains("int64") ?? false)

        let e = Harness.expectError { _ = try Packer.pack(onnx: [1, 2, 3, 4, 5], options: PackOptions()) }
        XCTAssertEqual(e?.kind, .input)
    }

    func testOutputThatIsAnInputGetsItsOwnTensor() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 3])
        b.node("Identity", ["x"], ["y"], name: "identity")
        b.output("y")
        let packed = try Harness.pack(b).float
        XCTAssertEqual(packed.graph[packed.graph.outputs[0]].name, "y")
        XCTAssertEqual(try Harness.run(packed, [1, -2, 3]), [1, -2, 3])
    }
}
