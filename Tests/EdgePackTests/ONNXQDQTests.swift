import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest
@testable import EdgePack

/// QDQ models (onnxruntime quantize_static, QuantFormat.QDQ): weights dequantize at import,
/// activation Q/DQ pairs become Clamps carrying the model's own int8 parameters, and int8
/// packing uses those parameters for native int8 ops.
final class ONNXQDQTests: XCTestCase {
    /// x -Q/DQ(0.02, -128)-> Conv(int8 per-channel weights, int32 bias) -Q/DQ(0.05, -128)-> y:
    /// the output pair also stands for a dropped Relu (its range starts at 0).
    func qdqConv() -> (ONNXBuilder, weights: [Int], wScales: [Float]) {
        var b = ONNXBuilder()
        b.input("x", [1, 2, 4, 4])
        b.constant("x_scale", [], [0.02])
        b.integers("x_zp", [], [-128], type: .int8)
        b.node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["x_q"])
        b.node("DequantizeLinear", ["x_q", "x_scale", "x_zp"], ["x_dq"])
        var rng = SeededRandom(seed: 8)
        let weights = (0..<(3 * 2 * 9)).map { _ in Int(rng.uniform(-127, 127)) }
        let wScales: [Float] = [0.01, 0.02, 0.005]
        b.integers("w_q", [3, 2, 3, 3], weights, type: .int8)
        b.constant("w_scale", [3], wScales)
        b.integers("w_zp", [3], [0, 0, 0], type: .int8)
        b.node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"], [Attr.int("axis", 0)])
        b.integers("b_q", [3], [100, -50, 7], type: .int32)
        b.constant("b_scale", [3], wScales.map { $0 * 0.02 })
        b.integers("b_zp", [3], [0, 0, 0], type: .int32)
        b.node("DequantizeLinear", ["b_q", "b_scale", "b_zp"], ["bias"], [Attr.int("axis", 0)])
        b.node("Conv", ["x_dq", "w", "bias"], ["c"], [Attr.ints("pads", [1, 1, 1, 1])])
        b.constant("y_scale", [], [0.05])
        b.integers("y_zp", [], [-128], type: .int8)
        b.node("QuantizeLinear", ["c", "y_scale", "y_zp"], ["y_q"])
        b.node("DequantizeLinear", ["y_q", "y_scale", "y_zp"], ["y"])
        b.output("y")
        return (b, weights, wScales)
    }

    func testFloatImportDequantizesWeightsAndClampsToTheQuantizedRanges() throws {
        let (b, weights, wScales) = qdqConv()
        let g = try Harness.imported(b)
        XCTAssertEqual(Harness.ops(g), ["Clamp", "Conv2D", "Clamp"])
        let conv = g.nodes[1]
        let w = try XCTUnwrap(g.floats(conv.input(1)))
        XCTAssertEqual(w[0], Float(weights[0]) * wScales[0])
        XCTAssertEqual(w[20], Float(weights[20]) * wScales[1])
        XCTAssertEqual(try XCTUnwrap(g.floats(conv.input(2))), [100 * 0.01 * 0.02, -50 * 0.02 * 0.02, 7 * 0.005 * 0.02])
        XCTAssertEqual(g.nodes[2].op, .clamp(Activation(min: 0, max: 255 * 0.05)))
        XCTAssertEqual(g[g.nodes[2].outputs[0]].sourceRange, ValueRange(min: 0, max: 255 * 0.05))
        // The output clamp is fused into the convolution as its Relu.
        let optimized = try Optimizer.prepareForRuntime(g)
        XCTAssertEqual(optimized.nodes.filter { $0.op.kind == .conv2D }.first?.op.activation, Activation(min: 0, max: 255 * 0.05))
    }

    func testInt8PackingUsesTheModelsOwnActivationParameters() throws {
        let (b, _, _) = qdqConv()
        var rng = SeededRandom(seed: 2)
        // Calibration data far narrower than the QDQ ranges: the QDQ parameters must win.
        let samples = (0..<8).map { _ in (0..<32).map { _ in rng.uniform(-0.1, 0.1) } }
        var options = PackOptions()
        options.quantization = QuantizationOptions(calibration: NPYArray(element: .float32, shape: [8, 2, 4, 4],
            data: samples.flatMap { $0 }.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
                                                   calibrationName: "calibration.npy", io: .int8)
        let result = try Harness.pack(b, options: options)
        let int8 = try XCTUnwrap(result.quantized).graph
        let input = try XCTUnwrap(int8[int8.inputs[0]].quantization)
        XCTAssertEqual(input.scale, 0.02, accuracy: 1e-7)
        XCTAssertEqual(input.zeroPoint, -128)
        let output = try XCTUnwrap(int8[int8.outputs[0]].quantization)
        XCTAssertEqual(output.scale, 0.05, accuracy: 1e-7)
        XCTAssertEqual(output.zeroPoint, -128)
        XCTAssertTrue(int8.nodes.contains { $0.op.kind == .conv2D && int8[$0.outputs[0]].dtype == .int8 })
    }

    func testStandaloneQuantizeLinearOutputIsAUInt8GraphOutput() throws {
        var b = ONNXBuilder()
        b.input("x", [4])
        b.constant("s", [], [0.1])
        b.integers("zp", [], [3], type: .uint8)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["y"])
        b.output("y")
        let g = try Harness.pack(b).float.graph
        XCTAssertEqual(Harness.ops(g), ["QuantizeLinear"])
        XCTAssertEqual(g[g.outputs[0]].dtype, .uint8)
    }

    func testInt16QuantizationIsRejected() {
        var b = ONNXBuilder()
        b.input("x", [4])
        b.constant("s", [], [0.1])
        b.integers("zp", [], [0], type: .int32)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"])
        b.node("DequantizeLinear", ["q", "s", "zp"], ["y"])
        b.output("y")
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertTrue(e?.problem.contains("quantized type int32 is not supported") ?? false, e?.message ?? "")
    }
}
