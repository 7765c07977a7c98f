import CEdgeGPIO
import CEdgeTestSupport
import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import EdgeWatch
import Foundation
import XCTest

/// The event loop of `edgerun watch` driven through its seams: scripted edges and clock, a
/// recording output line, and a real sensor file and log file.
final class WatchLoopTests: XCTestCase {
    static let ms: UInt64 = 1_000_000
    let labels = ["cat", "dog", "bird"]

    /// Sensor inputs (float32 1x6x6x1) keyed by the class the sample model gives them,
    /// found by running the model directly (independently of the loop).
    func inputsByClass() throws -> [Int: [Float]] {
        let interpreter = try Interpreter(model: try EdgeModel(bytes: SampleModel.bytes))
        let input = interpreter.input(0), output = interpreter.output(0)
        var found: [Int: [Float]] = [:]
        for seed in 1...400 where found.count < 3 {
            let values = SampleModel.values(input.elementCount, seed: UInt64(seed) * 7919)
            for (i, v) in values.enumerated() { input.data.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self) }
            interpreter.invoke()
            var best = 0
            for c in 1..<output.elementCount where output.value(at: c) > output.value(at: best) { best = c }
            if found[best] == nil { found[best] = values }
        }
        XCTAssertGreaterThanOrEqual(found.count, 2, "the sample model should reach at least two classes")
        return found
    }

    struct Harness {
        let scratch: Scratch
        let clock = ScriptedClock()
        let edges: ScriptedEdges
        let output: RecordingOutput
        let loop: WatchLoop<ScriptedEdges, RecordingOutput, ScriptedClock>
        let logFD: Int32

        init(steps: [ScriptedEdges.Step], options: WatchOptions, output hasOutput: Bool = true, initial: Data) throws {
            scratch = try Scratch()
            try initial.write(to: URL(fileURLWithPath: scratch.path("sensor.bin")))
            edges = ScriptedEdges(clock: clock, steps: steps)
            output = RecordingOutput(clock: clock)
            var fd: Int32 = -1
            XCTAssertEqual(eg_log_open(scratch.path("events.jsonl"), &fd), 0)
            logFD = fd
            let interpreter = try Interpreter(model: try EdgeModel(bytes: SampleModel.bytes))
            let sensor = try SensorInput(path: scratch.path("sensor.bin"), tensor: interpreter.input(0))
            loop = WatchLoop(interpreter: interpreter, options: options, edges: edges, output: hasOutput ? output : nil,
                             clock: clock, sensor: sensor, logFDs: [fd])
        }

        func setSensor(_ data: Data) { try! data.write(to: URL(fileURLWithPath: scratch.path("sensor.bin"))) }

        func events() throws -> [[String: Any]] {
            let text = try String(contentsOfFile: scratch.path("events.jsonl"), encoding: .utf8)
            return try text.split(separator: "\n").map {
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not a JSON object: \($0)")
            }
        }

        func finish() {
            eg_log_close(logFD)
            scratch.remove()
        }
    }

    func topLabel(_ event: [String: Any]) -> String? {
        let outputs = event["outputs"] as? [[String: Any]]
        let top = outputs?.first?["top"] as? [[String: Any]]
        return top?.first?["label"] as? String
    }

    func testOneJSONLinePerEdgeWithClassesAndOutputFollowingTheRule() throws {
        let byClass = try inputsByClass()
        let classes = byClass.keys.sorted()
        let target = classes[0]
        let sequence = [classes[0], classes[1], classes[1], classes[0], classes[classes.count - 1], classes[0]]
        var options = WatchOptions()
        options.rule = .classIs(target)
        options.holdNs = 0
        let steps = sequence.indices.map { ScriptedEdges.Step.edge(.rising, atNs: 2_000_000_000 + UInt64($0) * 300 * Self.ms) }
        let h = try Harness(steps: steps, options: options, initial: floatBytes(byClass[target]!))
        defer { h.finish() }
        h.edges.beforeEdge = { i in h.setSensor(floatBytes(byClass[sequence[i]]!)) }

        let summary = try h.loop.run()
        XCTAssertEqual(summary, WatchSummary(events: sequence.count, skipped: 0, bounced: 0, rateLimited: 0))
        let events = try h.events()
        XCTAssertEqual(events.count, sequence.count)
        for (i, event) in events.enumerated() {
            XCTAssertEqual(event["event"] as? Int, i + 1)
            XCTAssertEqual(event["edge"] as? String, "rising")
            XCTAssertEqual(event["edge_ns"] as? Int, 2_000_000_000 + i * 300_000_000)
            XCTAssertEqual(topLabel(event), labels[sequence[i]], "event \(i + 1)")
            XCTAssertEqual(event["rule"] as? Bool, sequence[i] == target)
            XCTAssertEqual(event["out"] as? Int, sequence[i] == target ? 1 : 0)
            XCTAssertNotNil(event["latency_ms"] as? Double)
            XCTAssertNotNil(event["time"] as? Double)
        }
        // hold 0: each event sets the level to its rule result; stop leaves the line inactive.
        var expected = sequence.map { $0 == target }
        if expected.last == true { expected.append(false) }
        XCTAssertEqual(h.output.levels.map(\.active), expected)
    }

    func testDebounceAndMinimumIntervalDropEdges() throws {
        let byClass = try inputsByClass()
        var options = WatchOptions()
        options.debounceNs = 20 * Self.ms
        options.minIntervalNs = 100 * Self.ms
        let t0: UInt64 = 5_000_000_000
        let steps: [ScriptedEdges.Step] = [
            .edge(.rising, atNs: t0),
            .edge(.rising, atNs: t0 + 5 * Self.ms),     // bounce
            .edge(.rising, atNs: t0 + 12 * Self.ms),    // bounce (12 - 5 < 20)
            .edge(.rising, atNs: t0 + 60 * Self.ms),    // settled, but within 100 ms of t0
            .edge(.rising, atNs: t0 + 200 * Self.ms),   // accepted
            .edge(.falling, atNs: t0 + 400 * Self.ms),  // accepted (both edges requested)
        ]
        let h = try Harness(steps: steps, options: options, output: false, initial: floatBytes(byClass.values.first!))
        defer { h.finish() }
        let summary = try h.loop.run()
        XCTAssertEqual(summary, WatchSummary(events: 3, skipped: 0, bounced: 2, rateLimited: 1))
        let events = try h.events()
        XCTAssertEqual(events.map { $0["edge_ns"] as? Int }, [Int(t0), Int(t0 + 200 * Self.ms), Int(t0 + 400 * Self.ms)])
        XCTAssertEqual(events.map { $0["ignored_edges"] as? Int }, [0, 3, 3])
        XCTAssertEqual(events.last?["edge"] as? String, "falling")
        XCTAssertNil(events.first?["out"], "no output line, no out field")
    }

    func testWrongSizeInputIsSkippedLoggedAndServingContinues() throws {
        let byClass = try inputsByClass()
        let good = floatBytes(byClass.values.first!)
        var options = WatchOptions()
        options.rule = .classIs(0)
        let bad = [Data(count: 10), npy(descr: "<f8", shape: "(36,)", data: Data(count: 288)),
                   npy(descr: "<f4", shape: "(1, 35)", data: Data(count: 140)), floatBytes([Float](repeating: .nan, count: 36))]
        let inputs = [good] + bad + [npy(descr: "<f4", shape: "(1, 6, 6, 1)", data: good)]
        let steps = inputs.indices.map { ScriptedEdges.Step.edge(.rising, atNs: 1_000_000_000 + UInt64($0) * Self.ms * 500) }
        let h = try Harness(steps: steps, options: options, initial: good)
        defer { h.finish() }
        h.edges.beforeEdge = { i in h.setSensor(inputs[i]) }
        let summary = try h.loop.run()
        XCTAssertEqual(summary.events, 2)
        XCTAssertEqual(summary.skipped, 4)
        let events = try h.events()
        XCTAssertEqual(events.count, 6)
        XCTAssertEqual(events.map { $0["skipped"] as? Bool ?? false }, [false, true, true, true, true, false])
        let errors = events.compactMap { $0["error"] as? String }
        XCTAssertEqual(errors.count, 4)
        XCTAssertTrue(errors[0].hasPrefix("raw input has 10 bytes, the model input 'image' 1x6x6x1 float32 (144 bytes)"), errors[0])
        XCTAssertTrue(errors[1].contains("dtype"), errors[1])
        XCTAssertTrue(errors[2].hasPrefix(".npy array has 35 elements"), errors[2])
        XCTAssertTrue(errors[3].hasPrefix("element 0 is NaN"), errors[3])
        XCTAssertEqual(topLabel(events[0]), topLabel(events[5]), "the .npy and the raw form of one input give one class")
    }

    func testHoldKeepsTheOutputActiveThenReleasesIt() throws {
        let byClass = try inputsByClass()
        let target = byClass.keys.sorted()[0]
        var options = WatchOptions()
        options.rule = .classIs(target)
        options.holdNs = 500 * Self.ms
        options.idleWaitNs = 200 * Self.ms
        let steps: [ScriptedEdges.Step] = [.edge(.rising, atNs: 2_000_000_000), .quiet, .quiet, .quiet, .quiet]
        let h = try Harness(steps: steps, options: options, initial: floatBytes(byClass[target]!))
        defer { h.finish() }
        _ = try h.loop.run()
        XCTAssertEqual(h.output.levels.map(\.active), [true, false])
        let on = h.output.levels[0].at, off = h.output.levels[1].at
        XCTAssertEqual(off - on, 500 * Self.ms, "the line goes inactive exactly when the hold ends")
        // Waits are cut to the hold's end, so the release is not late by a whole idle wait.
        XCTAssertEqual(Array(h.edges.timeouts.prefix(4)), [200 * Self.ms, 200 * Self.ms, 200 * Self.ms, 100 * Self.ms])
    }

    func testStopReleasesAnActiveOutputAndLogsEverything() throws {
        let byClass = try inputsByClass()
        let target = byClass.keys.sorted()[0]
        var options = WatchOptions()
        options.rule = .scoreAbove(target, 0)
        options.holdNs = 60_000 * Self.ms
        let h = try Harness(steps: [.edge(.rising, atNs: 2_000_000_000)], options: options, initial: floatBytes(byClass[target]!))
        defer { h.finish() }
        _ = try h.loop.run()
        XCTAssertEqual(h.output.levels.map(\.active), [true, false], "stop must drive the output inactive")
        XCTAssertEqual(try h.events().count, 1)
        XCTAssertFalse(h.loop.outputActive)
    }

    func testServingEventsAllocatesNothing() throws {
        let byClass = try inputsByClass()
        var options = WatchOptions()
        options.rule = .classIs(byClass.keys.sorted()[0])
        options.holdNs = 0
        options.debounceNs = 0
        options.minIntervalNs = 0
        var steps: [ScriptedEdges.Step] = []
        for i in 0..<500 { steps.append(.edge(i % 2 == 0 ? .rising : .falling, atNs: 1_000_000_000 + UInt64(i) * Self.ms)) }
        steps.append(.quiet)
        let h = try Harness(steps: steps, options: options, initial: floatBytes(byClass.values.first!))
        defer { h.finish() }
        _ = try h.loop.run()  // warm-up: first-use costs of the C library
        h.edges.rewind()
        edge_test_allocations_start()
        let summary = try h.loop.run()
        let count = edge_test_allocations_stop()
        XCTAssertEqual(summary.events, 1000)
        XCTAssertEqual(count, 0, "500 events made \(count) heap allocations")
        XCTAssertEqual(try h.events().count, 1000)
    }

    func testOutputRuleParsing() throws {
        let labels = ["cat", "dog", "bird"]
        XCTAssertEqual(try OutputRule.parse("class=dog", labels: labels, classes: 3), .classIs(1))
        XCTAssertEqual(try OutputRule.parse("class=2", labels: labels, classes: 3), .classIs(2))
        XCTAssertEqual(try OutputRule.parse("class!=cat", labels: labels, classes: 3), .classIsNot(0))
        XCTAssertEqual(try OutputRule.parse("score:bird>0.75", labels: labels, classes: 3), .scoreAbove(2, 0.75))
        XCTAssertEqual(try OutputRule.parse("score:0<.5", labels: labels, classes: 3), .scoreBelow(0, 0.5))
        for bad in ["class=fish", "class=3", "score:dog>", "score:dog>x", "score:dog=1", "label=dog", ""] {
            XCTAssertThrowsError(try OutputRule.parse(bad, labels: labels, classes: 3), bad) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .usage)
                XCTAssertTrue(e.message.contains("--out-when"), e.message)
            }
        }
        XCTAssertTrue(OutputRule.scoreAbove(1, 0.5).holds(best: 0) { $0 == 1 ? 0.6 : 0.1 })
        XCTAssertFalse(OutputRule.classIsNot(0).holds(best: 0) { _ in 1 })
    }

    /// This host has no GPIO chips: opening one by path, name or label must fail with a GPIO
    /// error that names the chip and says how to find the right one.
    func testMissingChipIsAClearGPIOError() {
        for spec in ["/dev/gpiochip9", "gpiochip9", "no-such-label"] {
            XCTAssertThrowsError(try GPIOChip(spec), spec) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .gpio)
                XCTAssertEqual(e.exitCode, 8)
                XCTAssertTrue(e.message.contains("GPIO chip '\(spec)': no such GPIO chip"), e.message)
                XCTAssertTrue(e.message.contains("gpiodetect"), e.message)
            }
        }
    }
}
