import EdgeTestSupport
import EdgeFormat
import EdgeRuntime
import Foundation
import XCTest
@testable import EdgePack

/// Range estimation on known distributions, and each calibration method, bias correction
/// and mixed precision on the firmware digits models, judged by held-out accuracy.
final class CalibrationMethodTests: XCTestCase {
    // MARK: Range estimation

    func histogram(_ values: [Float]) -> Histogram {
        var h = Histogram(lo: values.min()!, hi: values.max()!)
        for x in values { h.add(x) }
        return h
    }

    /// 100,000 standard-normal-ish values (sum of uniforms) and one outlier at 50.
    func withOutlier() -> [Float] {
        var rng = SeededRandom(seed: 7)
        var values = (0..<100_000).map { _ in (0..<4).map { _ in rng.uniform(-1.7, 1.7) }.reduce(0, +) / 2 }
        values.append(50)
        return values
    }

    func testMinMaxKeepsTheObservedRange() {
        let r = RangeEstimation.range(histogram(withOutlier()), method: .minmax, percentile: 99.99)
        XCTAssertEqual(r.max, 50)
    }

    func testPercentileClipsARareOutlier() {
        let values = withOutlier()
        let r = RangeEstimation.range(histogram(values), method: .percentile, percentile: 99.9)
        XCTAssertLessThan(r.max, 5, "the 99.9th percentile of a unit-ish normal is near 3, not the outlier")
        XCTAssertGreaterThan(r.max, 1.5)
        XCTAssertLessThan(r.min, -1.5)
    }

    /// 100,000 Laplace(1) values: a long, thin tail that clipping trades for resolution.
    func laplace() -> [Float] {
        var rng = SeededRandom(seed: 11)
        return (0..<100_000).map { _ in
            let u = rng.uniform(1e-7, 1), sign: Float = rng.uniform(-1, 1) < 0 ? -1 : 1
            return sign * -log(u)
        }
    }

    /// Squared error of quantizing `values` to int8 over `range` (as the runtime would).
    func quantizationError(_ values: [Float], _ range: ValueRange) -> Double {
        let q = QuantizationRules.activation(range)
        return values.reduce(0.0) { sum, x in
            let d = Double(x) - Double(q.scale) * Double(Int(ModelIO.quantize(x, QuantParams(scale: q.scale, zeroPoint: q.zeroPoint))) - Int(q.zeroPoint))
            return sum + d * d
        }
    }

    func testMSEClipsALaplaceTailAndLowersTheRealError() {
        let values = laplace(), h = histogram(values)
        let full = RangeEstimation.range(h, method: .minmax, percentile: 99.99)
        let mse = RangeEstimation.range(h, method: .mse, percentile: 99.99)
        XCTAssertLessThan(mse.max, full.max * 0.95)
        XCTAssertLessThan(quantizationError(values, mse), quantizationError(values, full) * 0.9,
                          "the histogram's estimate must pick a range that really quantizes the data better")
    }

    func testEntropyClipsALaplaceTailButKeepsTheBulk() {
        let values = laplace(), h = histogram(values)
        let full = RangeEstimation.range(h, method: .minmax, percentile: 99.99)
        let entropy = RangeEstimation.range(h, method: .entropy, percentile: 99.99)
        XCTAssertLessThan(entropy.max, full.max)
        XCTAssertGreaterThan(entropy.max, 3, "the bulk of Laplace(1) lies within +-3")
    }

    func testOneSidedTensorsStayOneSided() {
        var rng = SeededRandom(seed: 3)
        let relu = (0..<50_000).map { _ in max(0, rng.uniform(-1, 4)) }
        for method in CalibrationMethod.allCases {
            let r = RangeEstimation.range(histogram(relu), method: method, percentile: 99.99)
            XCTAssertEqual(r.min, 0, "\(method)")
            XCTAssertGreaterThan(r.max, 2, "\(method) keeps most of a uniform [0, 4) range")
        }
    }

    // MARK: Accuracy on the digits

    struct Digits {
        var onnx: [UInt8]
        var inputs: [[Float]]
        var labels: [Int]
        var calibration: NPYArray
    }

    func digits(_ model: String) throws -> Digits {
        let inputs = try Harness.npy(Harness.firmwareModel(model, "test_inputs.npy"))
        let labels = try Harness.npy(Harness.firmwareModel(model, "test_labels.npy"))
        let n = inputs.shape[0], size = inputs.elementCount / n
        return Digits(onnx: Array(try Data(contentsOf: Harness.firmwareModel(model, "model.onnx"))),
                      inputs: (0..<n).map { r in (0..<size).map { inputs.float(at: r * size + $0) } },
                      labels: (0..<n).map { Int(labels.float(at: $0)) },
                      calibration: try Harness.npy(Harness.firmwareModel(model, "calibration.npy")))
    }

    func accuracy(_ model: PackedModel, _ d: Digits) throws -> Double {
        let interpreter = try model.interpreter()
        var right = 0
        for (input, label) in zip(d.inputs, d.labels) {
            ModelIO.feed(interpreter, input)
            interpreter.invoke()
            if QuantizationReport.argmax(ModelIO.values(interpreter.output(0))) == label { right += 1 }
        }
        return Double(right) / Double(d.inputs.count)
    }

    func pack(_ d: Digits, _ configure: (inout QuantizationOptions) -> Void) throws -> PackResult {
        var options = PackOptions()
        var q = QuantizationOptions(calibration: d.calibration, calibrationName: "calibration.npy")
        configure(&q)
        options.quantization = q
        return try Packer.pack(onnx: d.onnx, options: options)
    }

    /// Every method, with and without bias correction, keeps int8 within 0.5 points of float
    /// on the held-out digits.
    func checkMethods(_ model: String) throws {
        let d = try digits(model)
        let floatAccuracy = try accuracy(try pack(d) { _ in }.float, d)
        let cases: [(CalibrationMethod, Bool, Double)] = [
            (.minmax, false, 0.005), (.minmax, true, 0.005), (.percentile, false, 0.005),
            (.mse, false, 0.005), (.mse, true, 0.005), (.entropy, false, 0.005),
        ]
        for (method, correct, allowed) in cases {
            let result = try pack(d) { $0.method = method; $0.biasCorrection = correct }
            let int8Accuracy = try accuracy(try XCTUnwrap(result.quantized), d)
            print(String(format: "%@ int8 %@%@: held-out accuracy %.2f %% (float %.2f %%), max |output error| %.4f",
                         model, method.rawValue, correct ? " + bias correction" : "", 100 * int8Accuracy, 100 * floatAccuracy,
                         result.report!.maxOutputError))
            XCTAssertGreaterThanOrEqual(int8Accuracy, floatAccuracy - allowed - 1e-9,
                                        "\(model) \(method) bias correction \(correct): int8 \(int8Accuracy) vs float \(floatAccuracy)")
        }
    }

    func testDigitsMLPEveryMethodKeepsAccuracy() throws { try checkMethods("digits_mlp") }
    func testDigitsCNNEveryMethodKeepsAccuracy() throws { try checkMethods("digits_cnn") }

    func testBiasCorrectionShrinksTheOutputError() throws {
        for model in ["digits_mlp", "digits_cnn"] {
            let d = try digits(model)
            let plain = try pack(d) { _ in }.report!, corrected = try pack(d) { $0.biasCorrection = true }.report!
            XCTAssertLessThan(corrected.maxOutputError, plain.maxOutputError, model)
            XCTAssertTrue(corrected.biasCorrection)
        }
    }

    // MARK: Mixed precision

    func testKeepFloatRunsTheLayerInFloatWithoutRoundTrips() throws {
        let d = try digits("digits_cnn")
        let result = try pack(d) { $0.keepFloat = ["pw1", "pool1"] }
        let g = try XCTUnwrap(result.quantized).graph
        let pw1 = try XCTUnwrap(g.nodes.first { $0.name == "pw1" })
        XCTAssertEqual(g[pw1.outputs[0]].dtype, .float32)
        XCTAssertEqual(g[try XCTUnwrap(pw1.input(1))].dtype, .float32, "float layers keep float weights")
        let pool = try XCTUnwrap(g.nodes.first { $0.name == "pool1" })
        XCTAssertEqual(pool.inputs[0], pw1.outputs[0], "pw1 feeds pool1 in float32, with no Quantize/Dequantize between")
        XCTAssertEqual(result.report!.floatLayers, ["pool1", "pw1"])
        XCTAssertEqual(result.report!.layers.filter(\.isFloat).map(\.name).sorted(), ["pool1", "pw1"])
        XCTAssertGreaterThanOrEqual(try accuracy(result.quantized!, d), try accuracy(result.float, d) - 0.005)
    }

    func testKeepFloatRejectsAnUnknownLayer() throws {
        let d = try digits("digits_cnn")
        let error = Harness.expectError { _ = try self.pack(d) { $0.keepFloat = ["conv9"] } }
        XCTAssertEqual(error?.object, "--keep-float conv9")
        XCTAssertTrue(error?.fix.contains("conv1") == true, error?.message ?? "")
    }

    func testAutomaticMixedPrecisionLiftsEveryLayerOverTheThreshold() throws {
        let d = try digits("digits_cnn")
        let plain = try pack(d) { _ in }.report!
        let threshold = plain.layers.filter { !$0.sqnr.isInfinite }.map(\.sqnr).sorted()[2] + 0.1
        let report = try pack(d) { $0.floatBelowSQNR = threshold }.report!
        XCTAssertFalse(report.floatLayers.isEmpty, "layers under \(threshold) dB exist, so some stay float")
        for layer in report.layers where !layer.isFloat && report.floatLayers.contains(layer.name) == false {
            if ["Quantize", "Dequantize", "Reshape"].contains(layer.op) { continue }
            XCTAssertGreaterThanOrEqual(layer.sqnr, threshold, "\(layer.name) stays int8 below the threshold")
        }
    }
}
