import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest
@testable import EdgePack

/// ONNX ops imported as compositions of runtime ops (LeakyRelu, PRelu, HardSigmoid, Sub with a
/// run-time right-hand side, ReduceMean over any axes, 1-D and count_include_pad pooling, Gemm
/// with a matrix bias): the packed model on the runtime against the ONNX formula by hand.
final class ONNXDecompositionTests: XCTestCase {
    /// Packs `b` (one input of `count` elements) and returns (input, runtime output, graph ops).
    func run(_ b: ONNXBuilder, count: Int, seed: UInt64 = 5) throws -> (x: [Float], y: [Float], ops: [String]) {
        let packed = try Harness.pack(b).float
        let x = Harness.randomInput(count, seed: seed)
        return (x, try Harness.run(packed, x), Harness.ops(packed.graph))
    }

    func testLeakyReluMatchesFormula() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 3, 4])
        b.node("LeakyRelu", ["x"], ["y"], [Attr.float("alpha", 0.1)])
        b.output("y")
        let r = try run(b, count: 24)
        XCTAssertEqual(r.y, r.x.map { $0 >= 0 ? $0 : 0.1 * $0 })
        XCTAssertTrue(r.x.contains { $0 < 0 } && r.x.contains { $0 > 0 })
    }

    func testPReluWithPerChannelSlope() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 3, 2, 2])
        let slope = b.random("slope", [3, 1, 1], 0.1, 0.9)
        b.node("PRelu", ["x", "slope"], ["y"])
        b.output("y")
        let r = try run(b, count: 12)
        XCTAssertEqual(r.y, r.x.enumerated().map { i, v in v >= 0 ? v : slope[i / 4] * v })
    }

    func testHardSigmoidMatchesFormula() throws {
        var b = ONNXBuilder()
        b.input("x", [3, 5])
        b.node("HardSigmoid", ["x"], ["y"], [Attr.float("alpha", 0.5), Attr.float("beta", 0.6)])
        b.output("y")
        let r = try run(b, count: 15)
        XCTAssertEqual(r.y, r.x.map { min(1, max(0, $0 * 0.5 + 0.6)) })
        XCTAssertTrue(r.y.contains(0) && r.y.contains(1), "the test input should reach both clamps")
    }

    func testSubWithRunTimeRightHandSide() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 5])
        b.node("Tanh", ["x"], ["t"])
        b.node("Sub", ["x", "t"], ["y"])
        b.output("y")
        let r = try run(b, count: 10)
        Harness.assertClose(r.y, r.x.map { $0 - Foundation.tanh($0) }, 1e-5)
    }

    func testDivWithRunTimeRightHandSideRunsAsDiv() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 5])
        b.node("Sigmoid", ["x"], ["t"])
        b.node("Div", ["x", "t"], ["y"])
        b.output("y")
        let r = try run(b, count: 10)
        XCTAssertEqual(r.ops, ["Logistic", "Div"])
        Harness.assertClose(r.y, r.x.map { $0 * (1 + Foundation.exp(-$0)) }, 1e-5)
    }

    /// Div has no int8 kernel: in an int8 model it runs in float32 between a Dequantize and a
    /// Quantize, and the report marks it.
    func testDivStaysFloatInAnInt8Model() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 4])
        b.node("Sigmoid", ["x"], ["t"])
        b.node("Div", ["x", "t"], ["y"])
        b.output("y")
        let calibration = NPYArray(element: .float32, shape: [2, 1, 4],
                                   data: (0..<8).flatMap { withUnsafeBytes(of: (Float($0) - 3.5).bitPattern.littleEndian, Array.init) })
        var options = PackOptions()
        options.quantization = QuantizationOptions(calibration: calibration, calibrationName: "calibration.npy")
        let result = try Harness.pack(b, options: options)
        let g = try XCTUnwrap(result.quantized).graph
        let div = try XCTUnwrap(g.nodes.first { $0.op.name == "Div" })
        XCTAssertEqual(g[div.outputs[0]].dtype, .float32)
        XCTAssertEqual(try XCTUnwrap(result.report).layers.first { $0.op == "Div" }?.isFloat, true)
        let x: [Float] = [-2, -0.5, 0.5, 2]
        Harness.assertClose(try Harness.run(result.quantized!, x), x.map { $0 * (1 + Foundation.exp(-$0)) }, 0.05)
    }

    func testReduceMeanOverMiddleAxisWithoutKeepDims() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 3, 4])
        b.node("ReduceMean", ["x"], ["y"], [Attr.ints("axes", [1]), Attr.int("keepdims", 0)])
        b.output("y")
        let r = try run(b, count: 24)
        var want: [Float] = []
        for n in 0..<2 { for k in 0..<4 { want.append((0..<3).map { r.x[n * 12 + $0 * 4 + k] }.reduce(0, +) / 3) } }
        Harness.assertClose(r.y, want, 1e-6)
    }

    func testReduceMeanOverFirstAndLastAxes() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 3, 4])
        b.node("ReduceMean", ["x"], ["y"], [Attr.ints("axes", [0, -1]), Attr.int("keepdims", 1)])
        b.output("y")
        let r = try run(b, count: 24)
        let want = (0..<3).map { c -> Float in
            var s: Float = 0
            for n in 0..<2 { for k in 0..<4 { s += r.x[n * 12 + c * 4 + k] } }
            return s / 8
        }
        Harness.assertClose(r.y, want, 1e-6)
    }

    func testAveragePoolCountIncludePadCountsPaddedZeros() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 1, 3, 3])
        b.node("AveragePool", ["x"], ["y"], [Attr.ints("kernel_shape", [2, 2]), Attr.ints("pads", [1, 1, 1, 1]),
                                             Attr.int("count_include_pad", 1)])
        b.output("y")
        let r = try run(b, count: 9)
        XCTAssertEqual(r.y.count, 16)
        // Corner windows hold one input pixel and three padded zeros.
        XCTAssertEqual(r.y[0], r.x[0] / 4, accuracy: 1e-6)
        XCTAssertEqual(r.y[15], r.x[8] / 4, accuracy: 1e-6)
        XCTAssertEqual(r.y[5], (r.x[0] + r.x[1] + r.x[3] + r.x[4]) / 4, accuracy: 1e-6)
    }

    func testMaxPool1DRunsAs2D() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 2, 7])
        b.node("MaxPool", ["x"], ["y"], [Attr.ints("kernel_shape", [3]), Attr.ints("strides", [2]), Attr.ints("pads", [1, 1])])
        b.output("y")
        let r = try run(b, count: 14)
        var want: [Float] = []
        for c in 0..<2 {
            for o in 0..<4 { want.append((o * 2 - 1...o * 2 + 1).filter { $0 >= 0 && $0 < 7 }.map { r.x[c * 7 + $0] }.max()!) }
        }
        XCTAssertEqual(r.y, want)
    }

    func testDilatedMaxPoolGathersWindowTaps() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 2, 5, 6])
        b.node("MaxPool", ["x"], ["y"], [Attr.ints("kernel_shape", [2, 2]), Attr.ints("dilations", [2, 3]), Attr.ints("strides", [1, 2])])
        b.output("y")
        let r = try run(b, count: 60)
        XCTAssertEqual(r.ops.filter { $0 == "Gather" }.count, 2, "\(r.ops)")
        XCTAssertEqual(r.ops.filter { $0 == "MaxPool2D" }.count, 1, "\(r.ops)")
        // outH = 5 - 3 + 1 = 3, outW = (6 - 4) / 2 + 1 = 2; taps rows o, o + 2; cols 2o, 2o + 3.
        var want: [Float] = []
        for c in 0..<2 {
            for oh in 0..<3 {
                for ow in 0..<2 {
                    want.append([(oh, 2 * ow), (oh, 2 * ow + 3), (oh + 2, 2 * ow), (oh + 2, 2 * ow + 3)].map { r.x[c * 30 + $0.0 * 6 + $0.1] }.max()!)
                }
            }
        }
        XCTAssertEqual(r.y, want)
    }

    /// Padded taps are skipped: MaxPool repeats an inside tap, AveragePool rescales the mean.
    func testDilatedPoolWithPaddingMatchesADirectLoop() throws {
        for op in ["MaxPool", "AveragePool"] {
            var b = ONNXBuilder()
            b.input("x", [1, 1, 5, 5])
            b.node(op, ["x"], ["y"], [Attr.ints("kernel_shape", [2, 2]), Attr.ints("dilations", [2, 2]), Attr.ints("pads", [1, 1, 1, 1])])
            b.output("y")
            let x = Harness.randomInput(25, seed: 21)
            let got = try Harness.run(try Harness.pack(b).float, x)
            var want: [Float] = []
            for oh in 0..<5 {
                for ow in 0..<5 {
                    var taps: [Float] = []
                    for dh in [0, 2] {
                        for dw in [0, 2] {
                            let h = oh - 1 + dh, w = ow - 1 + dw
                            if h >= 0 && h < 5 && w >= 0 && w < 5 { taps.append(x[h * 5 + w]) }
                        }
                    }
                    want.append(op == "MaxPool" ? taps.max()! : taps.reduce(0, +) / Float(taps.count))
                }
            }
            Harness.assertClose(got, want, 1e-5, op)
        }
    }

    func testBatchedMatMulWithOneConstantMatrixPerBatch() throws {
        var b = ONNXBuilder()
        b.input("a", [2, 3, 4])
        let w = b.random("w", [2, 4, 5])
        b.node("MatMul", ["a", "w"], ["y"])
        b.output("y")
        let r = try run(b, count: 24)
        var want: [Float] = []
        for e in 0..<2 {
            for m in 0..<3 {
                for n in 0..<5 { want.append((0..<4).map { r.x[e * 12 + m * 4 + $0] * w[e * 20 + $0 * 5 + n] }.reduce(0, +)) }
            }
        }
        Harness.assertClose(r.y, want, 1e-5)
        XCTAssertEqual(r.ops.filter { $0 == "FullyConnected" }.count, 2)
    }

    func testGemmWithMatrixBias() throws {
        var b = ONNXBuilder()
        b.input("a", [3, 4])
        let w = b.random("w", [4, 2])
        let c = b.random("c", [3, 2])
        b.node("Gemm", ["a", "w", "c"], ["y"], [Attr.float("beta", 0.5)])
        b.output("y")
        let r = try run(b, count: 12)
        var want: [Float] = []
        for m in 0..<3 {
            for n in 0..<2 { want.append((0..<4).map { r.x[m * 4 + $0] * w[$0 * 2 + n] }.reduce(0, +) + 0.5 * c[m * 2 + n]) }
        }
        Harness.assertClose(r.y, want, 1e-5)
    }

    func testOpset22IsAccepted() throws {
        var b = ONNXBuilder()
        b.opset = 22
        b.input("x", [1, 4])
        b.node("HardSwish", ["x"], ["y"])
        b.output("y")
        XCTAssertEqual(try run(b, count: 4).ops, ["HardSwish"])
    }
}
