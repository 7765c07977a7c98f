import EdgeTestSupport
import EdgeRuntime
import Foundation
import XCTest

/// `edgepack` as a user runs it: exit codes, one-line errors, help, no partial output.
final class EdgePackCLITests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func edgepack() throws -> URL {
        // Linux: Bundle.main is the build directory; macOS: the .xctest bundle inside it.
        let bundle = Bundle.main.bundleURL
        for dir in [bundle, bundle.deletingLastPathComponent()] {
            let url = dir.appendingPathComponent("edgepack")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw MissingPrerequisite("edgepack is not built next to the tests (\(bundle.path)): build with `swift build --build-tests`")
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = try edgepack()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("edgepack-\(UUID().uuidString)-\(name)").path
    }

    let cnn = Harness.firmwareModel("digits_cnn", "model.onnx").path
    let calibration = Harness.firmwareModel("digits_cnn", "calibration.npy").path

    func testPackWritesTheModelAndPrintsASummary() throws {
        let output = temporary("cnn.bin")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let r = try run(["pack", cnn, "-o", output, "--labels", Harness.firmwareModel("digits_cnn", "labels.txt").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("wrote \(output): digits_cnn"), r.stdout)
        XCTAssertTrue(r.stdout.contains("image float32 [1, 1, 8, 8]"), r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output))
        let inspect = try run(["inspect", output])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("labels:  0, 1, 2"), inspect.stdout)
    }

    func testInt8PackPrintsTheQuantizationReport() throws {
        let output = temporary("cnn8.bin")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let r = try run(["pack", cnn, "-o", output, "--quantize", "int8", "--calibration", calibration])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("SQNR (dB)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("top-1 agreement with float"), r.stdout)
    }

    func testDynamicPackWritesHybridLayersAndTheReport() throws {
        let output = temporary("cnn-dynamic.bin"), json = temporary("dynamic.json")
        defer { for f in [output, json] { try? FileManager.default.removeItem(atPath: f) } }
        let r = try run(["pack", cnn, "-o", output, "--dynamic", "--calibration", calibration, "--report", json])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("dynamic-range int8 report"), r.stdout)
        XCTAssertTrue(r.stdout.contains("top-1 agreement with float"), r.stdout)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        XCTAssertEqual(report["mode"] as? String, "dynamic-range")
        let sizes = try XCTUnwrap(report["sizes"] as? [String: Int])
        XCTAssertLessThan(try XCTUnwrap(sizes["int8_weight_bytes"]), try XCTUnwrap(sizes["float_weight_bytes"]) / 3)
        let inspect = try run(["inspect", output])
        XCTAssertTrue(inspect.stdout.contains("ek_qd8_f32_qc8w_conv2d_minmax_1x1__ref"), inspect.stdout)
        XCTAssertTrue(inspect.stdout.contains("ek_qd8_f32_qc8w_fc_minmax_1x1__ref"), inspect.stdout)
    }

    func testUsageErrorsExitWithTwoAndOneLine() throws {
        let output = temporary("never.bin")
        let cases: [([String], String)] = [
            (["pack", cnn, "-o", output, "--quantize", "int8"], "--quantize int8 needs calibration inputs"),
            (["pack", cnn, "-o", output, "--io", "int8"], "--io int8 needs an int8 model"),
            (["pack", cnn, "-o", output, "--dynamic", "--quantize", "int8", "--calibration", calibration],
             "--dynamic (int8 weights, float32 activations) cannot be combined with --quantize int8"),
            (["pack", cnn, "-o", output, "--dynamic", "--bias-correction"], "cannot be combined with --bias-correction"),
            (["pack", cnn, "-o", output, "--input-shape", "image=1x1x8"], "dims"),
            (["pack", cnn, "-o", output, "--input-shape", "image"], "is not NAME=DIMS"),
            (["pack", cnn], "Missing expected argument"),
            (["pack", "/nonexistent/model.onnx", "-o", output], "/nonexistent/model.onnx"),
            (["pack", calibration, "-o", output], "is not a valid ONNX model"),
        ]
        for (arguments, expected) in cases {
            let r = try run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("edgepack: error: "), "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "\(arguments): one line expected: \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(arguments) left a file behind")
        }
    }

    func testHelpShowsExamplesAndExitCodes() throws {
        let root = try run(["--help"])
        XCTAssertEqual(root.status, 0)
        XCTAssertTrue(root.stdout.contains("Exit codes:"), root.stdout)
        let pack = try run(["pack", "--help"])
        XCTAssertEqual(pack.status, 0)
        for text in ["Examples:", "--quantize int8 --calibration calib.npy", "--input-shape input=1x3x224x224", "--io <float|int8>"] {
            XCTAssertTrue(pack.stdout.contains(text), "pack --help lacks '\(text)':\n\(pack.stdout)")
        }
    }
}

/// Calibration inputs from a directory, methods, and the JSON report, as a user runs them.
extension EdgePackCLITests {
    func testCalibrationDirectoryEqualsTheConcatenatedFile() throws {
        let whole = try Harness.npy(Harness.firmwareModel("digits_mlp", "calibration.npy"))
        let dir = temporary("calibration")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let half = whole.shape[0] / 2, rowBytes = whole.data.count / whole.shape[0]
        for (i, rows) in [0..<half, half..<whole.shape[0]].enumerated() {
            let part = NPYArray(element: whole.element, shape: [rows.count] + whole.shape.dropFirst(),
                                data: Array(whole.data[(rows.lowerBound * rowBytes)..<(rows.upperBound * rowBytes)]))
            try Data(part.serialized()).write(to: URL(fileURLWithPath: "\(dir)/part\(i).npy"))
        }
        let model = Harness.firmwareModel("digits_mlp", "model.onnx").path
        let a = temporary("a.bin"), b = temporary("b.bin")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        let fromFile = try run(["pack", model, "-o", a, "--quantize", "int8", "--calibration",
                                    Harness.firmwareModel("digits_mlp", "calibration.npy").path, "--name", "m"])
        let fromDir = try run(["pack", model, "-o", b, "--quantize", "int8", "--calibration", dir, "--name", "m"])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertEqual(fromDir.status, 0, fromDir.stderr)
        // Same samples, same model: the reports agree line for line except where paths appear.
        func report(_ r: Run) -> [Substring] {
            r.stdout.split(separator: "\n").filter { !$0.contains(a) && !$0.contains(b) && !$0.contains("size:") && !$0.contains("model.bin:") }
        }
        XCTAssertEqual(report(fromFile), report(fromDir))
        XCTAssertTrue(fromDir.stdout.contains("(256 calibration samples"), fromDir.stdout)
    }

    func testReportJSONHasEveryLayerAndTheSizes() throws {
        let output = temporary("m.bin"), report = temporary("report.json")
        defer { for p in [output, report] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try run(["pack", cnn, "-o", output, "--quantize", "int8", "--calibration", calibration,
                             "--calibration-method", "mse", "--bias-correction", "--keep-float", "fc", "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        XCTAssertEqual(json["calibration_method"] as? String, "mse")
        XCTAssertEqual(json["bias_correction"] as? Bool, true)
        XCTAssertEqual(json["float_layers"] as? [String], ["fc"])
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.first { $0["name"] as? String == "fc" }?["precision"] as? String, "float32")
        XCTAssertNotNil(layers.first { $0["name"] as? String == "conv1" }?["cosine"] as? Double)
        let sizes = try XCTUnwrap(json["sizes"] as? [String: Int])
        XCTAssertLessThan(sizes["int8_file_bytes"]!, sizes["float_file_bytes"]!)
        XCTAssertGreaterThan(json["top1_agreement"] as? Double ?? 0, 0.98)
    }

    func testInt8OnlyOptionsNeedQuantize() throws {
        for extra in [["--calibration-method", "mse"], ["--bias-correction"], ["--keep-float", "fc"], ["--report", "r.json"]] {
            let r = try run(["pack", cnn, "-o", temporary("x.bin")] + extra)
            XCTAssertEqual(r.status, 2, "\(extra)")
            XCTAssertTrue(r.stderr.contains("only applies to --quantize int8"), r.stderr)
        }
    }

    func testEmptyCalibrationDirectoryIsAClearError() throws {
        let dir = temporary("empty")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(["pack", cnn, "-o", temporary("x.bin"), "--quantize", "int8", "--calibration", dir])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("holds no .npy files"), r.stderr)
    }
}
