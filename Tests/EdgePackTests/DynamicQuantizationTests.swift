import CEdgeKernels
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest
@testable import EdgePack

/// `edgepack pack --dynamic`: weight-only int8 (dynamic-range) layers with per-channel weight
/// scales, run by the hybrid kernels.
final class DynamicQuantizationTests: XCTestCase {
    func digits(_ model: String) throws -> (onnx: [UInt8], inputs: [[Float]], labels: [Int], calibration: NPYArray) {
        let inputs = try Harness.npy(Harness.firmwareModel(model, "test_inputs.npy"))
        let labels = try Harness.npy(Harness.firmwareModel(model, "test_labels.npy"))
        let n = inputs.shape[0], size = inputs.elementCount / n
        return (Array(try Data(contentsOf: Harness.firmwareModel(model, "model.onnx"))),
                (0..<n).map { r in (0..<size).map { inputs.float(at: r * size + $0) } },
                (0..<n).map { Int(labels.float(at: $0)) },
                try Harness.npy(Harness.firmwareModel(model, "calibration.npy")))
    }

    func pack(_ onnx: [UInt8], calibration: NPYArray?, keepFloat: Set<String> = []) throws -> PackResult {
        var options = PackOptions()
        var d = DynamicOptions()
        if let calibration { d.calibration = [(calibration, "calibration.npy")] }
        d.keepFloat = keepFloat
        options.dynamic = d
        return try Packer.pack(onnx: onnx, options: options)
    }

    /// Weight bytes of the converted layers shrink 4x, the layers run the per-channel hybrid
    /// kernels, and outputs and held-out accuracy stay with float.
    func check(_ model: String, converted: [String]) throws {
        let d = try digits(model)
        let result = try pack(d.onnx, calibration: d.calibration)
        let dynamic = try XCTUnwrap(result.quantized), float = result.float
        let interpreter = try dynamic.interpreter()
        let file = try EdgeModel(bytes: dynamic.bytes).file
        var floatWeightBytes = 0, int8WeightBytes = 0
        for (i, node) in dynamic.graph.nodes.enumerated() {
            let w = node.input(1).map { dynamic.graph[$0] }
            if converted.contains(node.name) {
                XCTAssertEqual(w?.dtype, .int8, node.name)
                let record = file.tensor(dynamic.lowered.tensorIndex[node.input(1)!]!)
                XCTAssertEqual(record.quantCount, w?.shape[0], "\(node.name): one scale per output channel")
                XCTAssertEqual("\(interpreter.kernelName(i))".contains("qd8_f32_qc8w"), true, "\(node.name) runs \(interpreter.kernelName(i))")
                XCTAssertEqual(dynamic.graph[node.outputs[0]].dtype, .float32, "\(node.name): activations stay float")
                int8WeightBytes += record.byteSize
                floatWeightBytes += float.graph[float.graph.nodes[i].input(1)!].shape.reduce(4, *)
            } else if let w, w.isConstant {
                XCTAssertEqual(w.dtype, .float32, "\(node.name) keeps float weights")
            }
        }
        XCTAssertEqual(floatWeightBytes, 4 * int8WeightBytes, "converted weights shrink exactly 4x")
        XCTAssertLessThan(dynamic.bytes.count, float.bytes.count)
        let report = try XCTUnwrap(result.report)
        XCTAssertTrue(report.dynamicRange)
        XCTAssertEqual(report.samples, d.calibration.shape[0])
        XCTAssertEqual(report.floatFileBytes, float.bytes.count)
        XCTAssertEqual(report.int8FileBytes, dynamic.bytes.count)
        XCTAssertGreaterThanOrEqual(report.top1Agreement, 0.99)
        for name in converted {
            let layer = try XCTUnwrap(report.layers.first { $0.name == name })
            XCTAssertFalse(layer.isFloat)
            XCTAssertGreaterThan(layer.sqnr, 25, "\(name) SQNR")
            XCTAssertGreaterThan(layer.cosine, 0.999, "\(name) cosine")
        }
        XCTAssertTrue(report.text.contains("dynamic-range int8 report"), report.text)
        XCTAssertTrue(report.json.contains("\"mode\" : \"dynamic-range\""), report.json)

        let fi = try float.interpreter()
        var floatRight = 0, dynamicRight = 0, worst: Float = 0, signal = 0.0, noise = 0.0
        for (input, label) in zip(d.inputs, d.labels) {
            ModelIO.feed(fi, input)
            fi.invoke()
            ModelIO.feed(interpreter, input)
            interpreter.invoke()
            let f = ModelIO.values(fi.output(0)), q = ModelIO.values(interpreter.output(0))
            worst = max(worst, Harness.relativeError(q, f))
            for (a, b) in zip(f, q) {
                signal += Double(a) * Double(a)
                noise += Double(a - b) * Double(a - b)
            }
            if QuantizationReport.argmax(f) == label { floatRight += 1 }
            if QuantizationReport.argmax(q) == label { dynamicRight += 1 }
        }
        print("\(model) --dynamic: model.bin \(float.bytes.count) -> \(dynamic.bytes.count) B, converted weights \(floatWeightBytes) -> \(int8WeightBytes) B, held-out accuracy \(dynamicRight) vs float \(floatRight) of \(d.inputs.count), worst relative output error \(worst), output SQNR \(10 * log10(signal / noise)) dB")
        XCTAssertGreaterThan(10 * log10(signal / noise), 30, "outputs stay close to float")
        XCTAssertLessThan(worst, 0.2, "no sample's output strays from float")
        XCTAssertGreaterThanOrEqual(Double(dynamicRight), Double(floatRight) - 0.005 * Double(d.inputs.count))
    }

    func testDigitsCNNDynamicRange() throws { try check("digits_cnn", converted: ["conv1", "pw1", "conv2", "fc"]) }
    func testDigitsMLPDynamicRange() throws {
        let d = try digits("digits_mlp")
        let g = try XCTUnwrap(try pack(d.onnx, calibration: nil).quantized).graph
        try check("digits_mlp", converted: g.nodes.filter { $0.op.name == "FullyConnected" }.map(\.name))
    }

    func testWithoutCalibrationTheReportGivesWeightSQNR() throws {
        let d = try digits("digits_cnn")
        let report = try XCTUnwrap(try pack(d.onnx, calibration: nil).report)
        XCTAssertEqual(report.samples, 0)
        XCTAssertEqual(report.layers.map(\.name), ["conv1", "pw1", "conv2", "fc"])
        for l in report.layers { XCTAssertGreaterThan(l.sqnr, 30, l.name) }
        XCTAssertFalse(report.text.contains("top-1 agreement"), report.text)
        XCTAssertTrue(report.json.contains("\"top1_agreement\" : null"), report.json)
    }

    func testKeepFloatLeavesTheLayerFloat() throws {
        let d = try digits("digits_cnn")
        let g = try XCTUnwrap(try pack(d.onnx, calibration: nil, keepFloat: ["fc"]).quantized).graph
        let fc = try XCTUnwrap(g.nodes.first { $0.name == "fc" })
        XCTAssertEqual(g[fc.input(1)!].dtype, .float32)
        let error = Harness.expectError { _ = try self.pack(d.onnx, calibration: nil, keepFloat: ["nope"]) }
        XCTAssertEqual(error?.object, "--keep-float nope")
    }

    func testDynamicWithFullInt8IsRejected() throws {
        let d = try digits("digits_cnn")
        var options = PackOptions()
        options.dynamic = DynamicOptions()
        options.quantization = QuantizationOptions(calibration: d.calibration, calibrationName: "calibration.npy")
        let error = Harness.expectError { _ = try Packer.pack(onnx: d.onnx, options: options) }
        XCTAssertEqual(error?.object, "--dynamic")
        XCTAssertTrue(error?.fix.contains("either --dynamic") == true, error?.message ?? "")
    }

    /// The per-channel kernels equal the per-tensor ones bit for bit when every channel has the
    /// same scale, and scale each channel by its own scale otherwise.
    func testPerChannelHybridKernelsMatchPerTensor() {
        var rng = SeededRandom(seed: 41)
        let batch = 2, inF = 37, outF = 5
        let x = (0..<batch * inF).map { _ in rng.uniform(-3, 3) }
        let w = (0..<outF * inF).map { _ in Int8(Int(rng.uniform(-127, 127))) }
        let bias = (0..<outF).map { _ in rng.uniform(-1, 1) }
        var shape = ek_fc_shape(batch: Int32(batch), in_features: Int32(inF), out_features: Int32(outF))
        var scratch = [Int8](repeating: 0, count: batch * inF)
        var perTensor = [Float](repeating: 0, count: batch * outF), perChannel = perTensor
        ek_qd8_f32_qs8w_fc_minmax_1x1__ref(&shape, 0.0123, x, w, bias, &scratch, &perTensor, -.infinity, .infinity)
        ek_qd8_f32_qc8w_fc_minmax_1x1__ref(&shape, [Float](repeating: 0.0123, count: outF), x, w, bias, &scratch, &perChannel,
                                           -.infinity, .infinity)
        XCTAssertEqual(perTensor.map(\.bitPattern), perChannel.map(\.bitPattern))
        let scales = (0..<outF).map { Float($0 + 1) * 0.01 }
        ek_qd8_f32_qc8w_fc_minmax_1x1__ref(&shape, scales, x, w, bias, &scratch, &perChannel, -.infinity, .infinity)
        for b in 0..<batch {
            for o in 0..<outF {
                var single = [Float](repeating: 0, count: batch * outF)
                ek_qd8_f32_qs8w_fc_minmax_1x1__ref(&shape, scales[o], x, w, bias, &scratch, &single, -.infinity, .infinity)
                XCTAssertEqual(perChannel[b * outF + o].bitPattern, single[b * outF + o].bitPattern, "batch \(b) channel \(o)")
            }
        }
        var conv = ek_conv2d_shape(batch: 1, in_h: 5, in_w: 4, in_c: 3, out_h: 3, out_w: 2, out_c: 4, kernel_h: 3, kernel_w: 3,
                                   stride_h: 2, stride_w: 2, dilation_h: 1, dilation_w: 1, pad_top: 1, pad_left: 1, depth_multiplier: 1)
        let cx = (0..<60).map { _ in rng.uniform(-2, 2) }
        let cw = (0..<4 * 27).map { _ in Int8(Int(rng.uniform(-127, 127))) }
        let cscales: [Float] = [0.02, 0.005, 0.03, 0.011]
        var cScratch = [Int8](repeating: 0, count: 60)
        var cOut = [Float](repeating: 0, count: 24), cSingle = cOut
        ek_qd8_f32_qc8w_conv2d_minmax_1x1__ref(&conv, cscales, cx, cw, nil, &cScratch, &cOut, -1, 1)
        for o in 0..<4 {
            ek_qd8_f32_qs8w_conv2d_minmax_1x1__ref(&conv, cscales[o], cx, cw, nil, &cScratch, &cSingle, -1, 1)
            for p in 0..<6 { XCTAssertEqual(cOut[p * 4 + o].bitPattern, cSingle[p * 4 + o].bitPattern, "pixel \(p) channel \(o)") }
        }
    }

    /// A float TFLite model (the MLPerf Tiny anomaly-detection autoencoder, FullyConnected only).
    func testFloatTFLiteModelPacksDynamicRange() throws {
        guard let dir = TFLiteMLPerfTests.modelsDirectory() else {
            throw XCTSkip("MLPerf Tiny models not found: set EDGERUN_MLPERF_DIR")
        }
        var options = PackOptions()
        options.sourceName = "ad01_fp32.tflite"
        options.dynamic = DynamicOptions()
        let result = try Packer.pack(model: Array(try Data(contentsOf: dir.appendingPathComponent("ad01_fp32.tflite"))), options: options)
        let dynamic = try XCTUnwrap(result.quantized)
        let fcs = dynamic.graph.nodes.filter { $0.op.name == "FullyConnected" }
        XCTAssertEqual(fcs.count, 10)
        for n in fcs { XCTAssertEqual(dynamic.graph[n.input(1)!].dtype, .int8, n.name) }
        XCTAssertLessThan(Double(dynamic.lowered.constantBytes), 0.26 * Double(result.float.lowered.constantBytes))
        let input = Harness.randomInput(640, seed: 5).map { $0 * 0.5 }
        let error = Harness.relativeError(try Harness.run(dynamic, input), try Harness.run(result.float, input))
        XCTAssertLessThan(error, 0.1)
        print("ad01_fp32 --dynamic: model.bin \(result.float.bytes.count) -> \(dynamic.bytes.count) B, relative output error \(error)")
    }
}
