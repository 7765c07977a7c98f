import EdgeTestSupport
import Foundation
import XCTest

/// `edgerun` as a user meets it, on both the host build and the static Embedded build.
final class EdgerunCLITests: XCTestCase {
    var dir: URL!
    var model: String!

    override func setUpWithError() throws {
        dir = try Tools.temporaryDirectory()
        model = dir.appendingPathComponent("sample.bin").path
        try Data(SampleModel.bytes).write(to: URL(fileURLWithPath: model))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func tools() throws -> [(String, URL)] {
        [("host", try Tools.debugProduct("edgerun")), ("embedded", try Tools.embeddedEdgerun())]
    }

    /// A float32 .npy of the sample model's 1x6x6x1 input.
    func writeInput(_ values: [Float], name: String = "input.npy", shape: String = "(1, 6, 6, 1)") throws -> String {
        let url = dir.appendingPathComponent(name)
        try Tools.float32NPY(values, shape: shape).write(to: url)
        return url.path
    }

    var ramp: [Float] { (0..<36).map { Float($0) / 36 } }

    func testHelpListsCommandsAndExitCodes() throws {
        for (name, tool) in try tools() {
            let r = try Tools.run(tool, ["--help"])
            XCTAssertEqual(r.status, 0, name)
            for needle in ["edgerun info MODEL.bin", "edgerun bench MODEL.bin", "EXIT CODES", "4  invalid model file", "6  bad input tensor"] {
                XCTAssertTrue(r.stdout.contains(needle), "\(name) --help lacks '\(needle)'")
            }
        }
    }

    func testRunPrintsTopClassesWithLabels() throws {
        let input = try writeInput(ramp)
        var predictions: [String] = []
        for (name, tool) in try tools() {
            let r = try Tools.run(tool, [model, "--input", input, "--top", "3"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("output 'probabilities' 1x3 float32"), r.stdout)
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("prediction: ") }
            XCTAssertNotNil(line, r.stdout)
            predictions.append(String(line ?? ""))
            let json = try Tools.run(tool, [model, "--input", input, "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let outputs = object?["outputs"] as? [[String: Any]]
            let top = outputs?.first?["top"] as? [[String: Any]]
            XCTAssertEqual(top?.count, 3, json.stdout)
            XCTAssertTrue(["cat", "dog", "bird"].contains(top?.first?["label"] as? String ?? ""), json.stdout)
            let values = outputs?.first?["values"] as? [Double] ?? []
            XCTAssertEqual(values.reduce(0, +), 1, accuracy: 1e-5)
        }
        XCTAssertEqual(Set(predictions).count, 1, "host and embedded disagree: \(predictions)")
    }

    func testRawInputFromStandardInput() throws {
        var raw = Data()
        for v in ramp { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        let npy = try writeInput(ramp)
        for (name, tool) in try tools() {
            let fromStdin = try Tools.run(tool, [model, "--json"], stdin: raw)
            let fromFile = try Tools.run(tool, [model, "--json", "--input", npy])
            XCTAssertEqual(fromStdin.status, 0, "\(name): \(fromStdin.stderr)")
            XCTAssertEqual(values(fromStdin.stdout), values(fromFile.stdout), name)
        }
    }

    func values(_ json: String) -> [Double] {
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return ((object?["outputs"] as? [[String: Any]])?.first?["values"] as? [Double]) ?? []
    }

    func testBadInputsFailWithClearErrors() throws {
        let nan = try writeInput(ramp.enumerated().map { $0.offset == 5 ? .nan : $0.element }, name: "nan.npy")
        let wrongShape = try writeInput(Array(ramp.prefix(30)), name: "short.npy", shape: "(1, 30)")
        for (name, tool) in try tools() {
            var r = try Tools.run(tool, [model], stdin: Data(repeating: 0, count: 10))
            XCTAssertEqual(r.status, 6, name)
            XCTAssertTrue(r.stderr.contains("raw input has 10 bytes, the model expects 144"), r.stderr)
            r = try Tools.run(tool, [model, "--input", nan])
            XCTAssertEqual(r.status, 6, name)
            XCTAssertTrue(r.stderr.contains("element 5 is nan"), r.stderr)
            r = try Tools.run(tool, [model, "--input", wrongShape])
            XCTAssertEqual(r.status, 6, name)
            XCTAssertTrue(r.stderr.contains("does not match the model input 1x6x6x1"), r.stderr)
            r = try Tools.run(tool, [model, "--bogus"])
            XCTAssertEqual(r.status, 2, name)
            r = try Tools.run(tool, [dir.appendingPathComponent("missing.bin").path])
            XCTAssertEqual(r.status, 3, name)
            XCTAssertTrue(r.stderr.contains("No such file"), r.stderr)
        }
    }

    func testCorruptAndTruncatedModelsAreRejected() throws {
        var corrupt = SampleModel.bytes
        corrupt[corrupt.count - 100] ^= 0x10
        let corruptPath = dir.appendingPathComponent("corrupt.bin").path
        try Data(corrupt).write(to: URL(fileURLWithPath: corruptPath))
        let truncatedPath = dir.appendingPathComponent("truncated.bin").path
        try Data(SampleModel.bytes.prefix(1000)).write(to: URL(fileURLWithPath: truncatedPath))
        let input = try writeInput(ramp)
        for (name, tool) in try tools() {
            var r = try Tools.run(tool, [corruptPath, "--input", input])
            XCTAssertEqual(r.status, 4, name)
            XCTAssertTrue(r.stderr.contains("CRC"), r.stderr)
            r = try Tools.run(tool, [truncatedPath, "--input", input])
            XCTAssertEqual(r.status, 4, name)
            XCTAssertTrue(r.stderr.contains("file size field says"), r.stderr)
        }
    }

    func testOutputFileIsWrittenWholeOrNotAtAll() throws {
        let input = try writeInput(ramp)
        for (name, tool) in try tools() {
            let good = dir.appendingPathComponent("\(name)-out.npy")
            var r = try Tools.run(tool, [model, "--input", input, "--output", good.path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let data = try Data(contentsOf: good)
            XCTAssertEqual(Array(data.prefix(6)), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
            let headerBytes = 10 + Int(data[8]) + Int(data[9]) << 8
            XCTAssertEqual(headerBytes % 64, 0, "npy data should start 64-byte aligned")
            XCTAssertEqual(data.count, headerBytes + 12, "header plus three float32 values")
            let bad = dir.appendingPathComponent("no-such-dir/out.npy")
            r = try Tools.run(tool, [model, "--input", input, "--output", bad.path])
            XCTAssertEqual(r.status, 3, name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: bad.path))
            // A failing run (bad input) must not create the output file either.
            let never = dir.appendingPathComponent("\(name)-never.npy")
            r = try Tools.run(tool, [model, "--output", never.path], stdin: Data(repeating: 0, count: 3))
            XCTAssertEqual(r.status, 6, name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: never.path))
        }
    }

    func testInfoAndBench() throws {
        for (name, tool) in try tools() {
            // The reference table names its kernels exactly; `auto` names this CPU's conv kernel.
            var r = try Tools.run(tool, ["info", model], environment: ["EDGE_KERNELS": "auto"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("Conv2D 'conv' -> 1x6x6x4 float32  [ek_f32_conv2d_minmax_"), "\(name) auto info:\n\(r.stdout)")
            r = try Tools.run(tool, ["info", model], environment: ["EDGE_KERNELS": "ref"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            for needle in ["model: sample", "arena bytes: 1040", "input 0: 'image' 1x6x6x1 float32", "Conv2D 'conv'", "ek_f32_conv2d_minmax_1x1__ref", "labels (3): cat dog bird",
                           "tensors (10):", "1. 'conv.weights' 4x3x3x1 float32 144 B constant", "5. 'flat' 1x36 float32 144 B arena @832"] {
                XCTAssertTrue(r.stdout.contains(needle), "\(name) info lacks '\(needle)':\n\(r.stdout)")
            }
            r = try Tools.run(tool, ["info", model, "--json"])
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)), r.stdout)
            r = try Tools.run(tool, ["bench", model, "--runs", "50", "--json"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let bench = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            for key in ["p50_ms", "p90_ms", "p99_ms", "arena_bytes", "mapped_bytes", "peak_rss_bytes"] {
                XCTAssertNotNil(bench?[key], "\(name) bench lacks \(key): \(r.stdout)")
            }
            XCTAssertLessThanOrEqual(bench?["p50_ms"] as? Double ?? 1, bench?["p99_ms"] as? Double ?? 0)
            // --ops: one line per op with its kernel, then the total.
            r = try Tools.run(tool, ["bench", model, "--runs", "20", "--ops"], environment: ["EDGE_KERNELS": "ref"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let opLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") }
            XCTAssertEqual(opLines.count, 5, "\(name) bench --ops:\n\(r.stdout)")
            XCTAssertTrue(opLines.first?.contains("0. Conv2D ") == true && opLines.first?.contains("[ek_f32_conv2d_minmax_1x1__ref]") == true,
                          "\(name) bench --ops:\n\(r.stdout)")
            XCTAssertTrue(r.stdout.contains("total us/run: "), "\(name) bench --ops:\n\(r.stdout)")
        }
    }

    func testUnknownKernelChoiceIsAUsageError() throws {
        for (name, tool) in try tools() {
            let process = Process()
            process.executableURL = tool
            process.arguments = ["info", model]
            process.environment = ["EDGE_KERNELS": "sparc"]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = Pipe()
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 2, name)
            XCTAssertTrue(text.contains("EDGE_KERNELS"), text)
        }
    }

    /// `edgerun watch` before any edge: command-line checks, the sensor source, and a GPIO
    /// error for a chip this host does not have (it has no GPIO at all; the emulated board of
    /// `make board-test` covers the edges themselves).
    func testWatchRejectsBadSetupsBeforeServing() throws {
        let input = try writeInput(ramp)
        let base = ["watch", model!, "--line", "0", "--edge", "rising", "--input", input]
        for (name, tool) in try tools() {
            var r = try Tools.run(tool, base + ["--chip", "/dev/gpiochip9"])
            XCTAssertEqual(r.status, 8, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("GPIO chip '/dev/gpiochip9': no such GPIO chip"), r.stderr)
            r = try Tools.run(tool, base + ["--chip", "edgerun-sim"])
            XCTAssertEqual(r.status, 8, "\(name): \(r.stderr)")
            r = try Tools.run(tool, ["watch", model!, "--chip", "gpiochip0", "--line", "0", "--input", input])
            XCTAssertEqual(r.status, 2, name)
            XCTAssertTrue(r.stderr.contains("missing --edge"), r.stderr)
            r = try Tools.run(tool, base + ["--chip", "gpiochip0", "--edge", "sideways"])
            XCTAssertEqual(r.status, 2, name)
            r = try Tools.run(tool, base + ["--chip", "gpiochip0", "--out-line", "1", "--out-when", "class=fish"])
            XCTAssertEqual(r.status, 2, name)
            XCTAssertTrue(r.stderr.contains("--out-when class=fish: 'fish' is neither a label nor a class index below 3"), r.stderr)
            r = try Tools.run(tool, base + ["--chip", "gpiochip0", "--out-line", "1"])
            XCTAssertEqual(r.status, 2, name)
            r = try Tools.run(tool, ["watch", model!, "--chip", "gpiochip0", "--line", "0", "--edge", "both", "--input", dir.appendingPathComponent("nope.npy").path])
            XCTAssertEqual(r.status, 3, name)
            XCTAssertTrue(r.stderr.contains("--input") && r.stderr.contains("No such file"), r.stderr)
        }
    }
}
