import EdgeFormat
import EdgeTestSupport
import Foundation
import XCTest

/// Damaged op parameters and memory plans, end to end: every 4-byte word of the PARAMS and
/// PLAN sections of small models (Pad, Concatenation, Gather, MaxPoolIndices, integer
/// MaxPool2D, packed int8 Conv2D; and the packed weights' tensor record) is set to each of `FuzzSeeds.values` in turn, the section and
/// header CRCs are recomputed, and the host `edgerun info` and `edgerun` (one inference) run
/// on the file. Each must exit by itself within the timeout, 0 or with a one-line error
/// naming model.bin; a signal (trap, crash) or a hang fails the case.
final class ParamsFuzzTests: XCTestCase {
    static let timeout: TimeInterval = 20

    func testEveryParamsAndPlanWordAtEdgeValues() throws {
        let edgerun = try Tools.debugProduct("edgerun")
        // A run that rejects the file exits before reading its input: no SIGPIPE for us.
        signal(SIGPIPE, SIG_IGN)
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var cases = 0, failures: [String] = [], statuses: [Int32: Int] = [:]
        for seed in FuzzSeeds.all {
            let bytes = ModelWriter.serialize(seed.model)
            let clean = try run(edgerun, seed, bytes, dir)
            XCTAssertTrue(clean.allSatisfy { $0.status == 0 }, "seed \(seed.name) does not run: \(clean.map(\.stderr))")
            for (section, words) in FuzzSeeds.words(of: bytes, tensorRecords: seed.tensorRecords) {
                for word in words {
                    for value in FuzzSeeds.values {
                        guard let damaged = FuzzSeeds.setting(bytes, word: word, to: value) else { continue }
                        cases += 1
                        let outcomes = try run(edgerun, seed, damaged, dir)
                        for r in outcomes { statuses[r.status, default: 0] += 1 }
                        for r in outcomes where r.problem != nil {
                            failures.append("\(seed.name) \(section) word at +\(word.offset) = \(value): \(r.command): \(r.problem!)")
                        }
                    }
                }
            }
        }
        print("ParamsFuzzTests: \(cases) damaged files, \(2 * cases) edgerun runs (exit status: count \(statuses.sorted { $0.key < $1.key })), \(failures.count) failures")
        XCTAssertGreaterThan(cases, 1000)
        XCTAssertEqual(failures, [], failures.prefix(20).joined(separator: "\n"))
    }

    /// A filter of 2^30 x 2^30 whose top and left pads keep the output at 2x2 (two fields
    /// damaged consistently) runs in the time of the taps inside the input (before: the Swift
    /// MaxPoolIndices and integer MaxPool2D loops walked the whole filter, 2^60 steps a window).
    func testHugePoolWindowsRunInTheTimeOfTheirTaps() throws {
        let edgerun = try Tools.debugProduct("edgerun")
        signal(SIGPIPE, SIG_IGN)
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = 1 << 30
        for var seed in [FuzzSeeds.maxPoolIndices, FuzzSeeds.integerMaxPool] {
            var params = SampleModel.params([huge, huge, 2, 2, huge - 1, huge - 1, 0, 0])
            params += seed.model.ops[0].kind == .maxPoolIndices ? SampleModel.params([0]) : SampleModel.params([], [-.infinity, .infinity])
            seed.model.ops[0].params = params
            for r in try run(edgerun, seed, ModelWriter.serialize(seed.model), dir) {
                XCTAssertNil(r.problem, "\(seed.name): \(r.command)")
                XCTAssertEqual(r.status, 0, "\(seed.name): \(r.command): \(r.stderr)")
            }
        }
    }

    struct Outcome {
        var command: String
        var status: Int32
        var stderr: String
        var problem: String?
    }

    /// `edgerun info` and one inference on `bytes`, the input from `seed` on standard input.
    func run(_ edgerun: URL, _ seed: FuzzSeeds.Seed, _ bytes: [UInt8], _ dir: URL) throws -> [Outcome] {
        let path = dir.appendingPathComponent("\(seed.name).bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try [(["info", path], nil), ([path, "--input", "-"], Data(seed.input))].map { arguments, stdin in
            let command = "edgerun " + arguments.joined(separator: " ")
            let r = try BoundedRun(edgerun, arguments, stdin: stdin, timeout: Self.timeout)
            if r.timedOut {
                return Outcome(command: command, status: -1, stderr: "", problem: "no exit within \(Int(Self.timeout)) s")
            }
            var problem: String?
            if r.signalled {
                problem = "signal \(r.status): \(r.stderr.suffix(300))"
            } else if r.status != 0 && !r.stderr.contains("model.bin") && !r.stderr.contains("input") {
                problem = "exit \(r.status) without an error naming the object: \(r.stderr.suffix(300))"
            }
            return Outcome(command: command, status: r.status, stderr: r.stderr, problem: problem)
        }
    }
}
