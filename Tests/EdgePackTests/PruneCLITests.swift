import Foundation
import XCTest

/// `edgepack pack --prune ...` as a user runs it.
final class PruneCLITests: XCTestCase {
    let cli = EdgePackCLITests(name: "cli", testClosure: { _ in })
    let mlp = Harness.firmwareModel("digits_mlp", "model.onnx").path
    let calibration = Harness.firmwareModel("digits_mlp", "calibration.npy").path

    func testPrunePrintsPerLayerReportAndRecordsTheChoice() throws {
        let output = cli.temporary("mlp-pruned.bin")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let r = try cli.run(["pack", mlp, "-o", output, "--quantize", "int8", "--calibration", calibration,
                             "--prune", "0.75", "--prune-layer", "fc2=0.5", "--sparse-storage", "size"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("err mask   err recon"), r.stdout)
        XCTAssertTrue(r.stdout.contains("fc1") && r.stdout.contains("bsr1x4"), r.stdout)
        let inspect = try cli.run(["inspect", output])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("sparse.fc1"), inspect.stdout)
    }

    func testBadPruneArgumentsAreUsageErrorsAndWriteNothing() throws {
        let output = cli.temporary("never.bin")
        let cases: [([String], String)] = [
            (["--prune", "0.75"], "needs --quantize int8"),
            (["--quantize", "int8", "--calibration", calibration, "--prune", "1.5"], "outside 0...0.95"),
            (["--quantize", "int8", "--calibration", calibration, "--prune", "0.5", "--prune-layer", "fc1"], "is not NAME=RATIO"),
            (["--quantize", "int8", "--calibration", calibration, "--prune", "0.5", "--prune-pattern", "3:8"], "3:8"),
            (["--quantize", "int8", "--calibration", calibration, "--prune", "0.5", "--prune-layer", "conv9=0.5"], "use one of: fc1, fc2"),
        ]
        for (arguments, message) in cases {
            let r = try cli.run(["pack", mlp, "-o", output] + arguments)
            XCTAssertNotEqual(r.status, 0, "\(arguments)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(arguments) left a file")
        }
    }
}
