import Foundation
import XCTest

/// `edgepack pack model.tflite` as a user runs it.
extension EdgePackCLITests {
    func testPackReadsATFLiteModel() throws {
        let source = temporary("fc.tflite"), output = temporary("fc.bin")
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: output)
        }
        try Data(TFLiteImporterTests.floatFC().bytes()).write(to: URL(fileURLWithPath: source))
        let r = try run(["pack", source, "-o", output])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("input float32 [1, 4]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("FullyConnected x1"), r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output))
    }

    func testUnsupportedTFLiteOperatorFailsWithoutOutput() throws {
        let source = temporary("bad.tflite"), output = temporary("bad.bin")
        defer { try? FileManager.default.removeItem(atPath: source) }
        var model = TFLiteImporterTests.floatFC()
        model.operators[0] = .init(builtin: 99, inputs: [0, 0], outputs: [3])
        try Data(model.bytes()).write(to: URL(fileURLWithPath: source))
        let r = try run(["pack", source, "-o", output])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.hasPrefix("edgepack: error: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("operator 0 (SQUARED_DIFFERENCE)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("is not supported by edgepack"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "a failed pack left \(output) behind")
    }
}
