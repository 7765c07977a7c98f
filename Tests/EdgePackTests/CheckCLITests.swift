import EdgePack
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// `edgepack check` and `edgepack pack --board`: exit codes, the table, the JSON, fail-fast packing.
extension EdgePackCLITests {
    var boardsDir: String { Harness.root.appendingPathComponent("boards").path }

    /// digits_cnn packed to int8 (canonical weight layouts) into a temporary file (removed by
    /// the caller).
    func packedCNN() throws -> String {
        let output = temporary("cnn8.bin")
        let r = try run(["pack", cnn, "-o", output, "--quantize", "int8", "--calibration", calibration, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return output
    }

    func checkJSON(_ arguments: [String], status: Int32) throws -> [String: Any] {
        let r = try run(["check"] + arguments + ["--json"])
        XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], r.stdout)
    }

    func testCheckOfAFittingModelExitsZeroWithATable() throws {
        let model = try packedCNN()
        defer { try? FileManager.default.removeItem(atPath: model) }
        // No --boards-dir: edgepack finds the repository's boards/ from its own location.
        let r = try run(["check", model, "--board", "rpi-zero-2w", "--max-latency-ms", "100"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for text in ["cortex-a53 1000 MHz", "ek_qs8_conv2d_minmax_2x4c16__neon", "ek_qs8_fc_minmax_1x4c16__neon",
                     "flash", "RAM", "latency", "fits rpi-zero-2w"] {
            XCTAssertTrue(r.stdout.contains(text), "missing '\(text)':\n\(r.stdout)")
        }
    }

    /// A file packed with --board host on an AVX2 machine runs its Conv2D layers with the
    /// packed __ref kernel on a NEON board; the check shows that kernel and says how to fix it.
    func testCheckOfAHostPackedModelOnABoardNamesThePackedReferenceKernel() throws {
        guard KernelTable.forThisMachine().qs8PackedConv2D.name.description.hasSuffix("__avx2") else {
            throw XCTSkip("--board host packs canonical layouts here (no AVX2)")
        }
        let model = temporary("cnn8-host.bin")
        defer { try? FileManager.default.removeItem(atPath: model) }
        let packed = try run(["pack", cnn, "-o", model, "--quantize", "int8", "--calibration", calibration, "-q",
                              "--board", "host"])
        XCTAssertEqual(packed.status, 0, packed.stderr)
        let r = try run(["check", model, "--board", "rpi-zero-2w", "--boards-dir", boardsDir])
        XCTAssertEqual(r.status, 0, r.stderr)
        for text in ["ek_qs8_pconv2d_minmax_4x16c2__ref", "ek_qs8_pconv2d_minmax_4x16c4__ref", "re-pack without --board host (or with --board rpi-zero-2w)"] {
            XCTAssertTrue(r.stdout.contains(text), "missing '\(text)':\n\(r.stdout)")
        }
    }

    func testCheckJSONAddsUpFlashRAMAndLatency() throws {
        let model = try packedCNN()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let fileBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: model)[.size] as? Int)
        let board = try boardProfile("rpi5")
        let json = try checkJSON([model, "--board", "rpi5", "--boards-dir", boardsDir], status: 0)
        XCTAssertEqual(json["fits"] as? Bool, true)
        XCTAssertEqual(json["over_budget"] as? [String], [])
        let edgerun = try XCTUnwrap(board["edgerun"] as? [String: Any])
        let binary = try XCTUnwrap(edgerun["binary_bytes"] as? Int)
        let flash = try XCTUnwrap(json["flash_bytes"] as? [String: Any])
        XCTAssertEqual(flash["need"] as? Double, Double(binary + fileBytes))
        XCTAssertEqual(flash["budget"] as? Double, Double(try XCTUnwrap(board["storage_budget_bytes"] as? Int)))
        let ram = try XCTUnwrap(json["ram_bytes"] as? [String: Any])
        // digits_cnn int8's arena (inspect prints it; FORMAT.md: includes 64 B of padding).
        let inspect = try run(["inspect", model])
        let arena = try XCTUnwrap(inspect.stdout.components(separatedBy: "arena:   ").last?.split(separator: " ").first.flatMap { Int($0) })
        let overhead = try XCTUnwrap(edgerun["rss_overhead_bytes"] as? Int)
        let stack = try XCTUnwrap((json["kernel_stack_bytes"] as? [String: Any])?["need"] as? Int)
        XCTAssertEqual(stack, KernelStack.aarch64["ek_qs8_conv2d_minmax_8x8c4__neondot"], "the stem's tile on the A76")
        XCTAssertEqual(ram["need"] as? Double, Double(fileBytes + arena + overhead + stack))
        let ops = try XCTUnwrap(json["ops"] as? [[String: Any]])
        XCTAssertEqual(ops.count, 12)
        let macs = ops.compactMap { $0["macs"] as? Int }
        XCTAssertEqual(macs.reduce(0, +), 4608 + 4608 + 8192 + 36864 + 160, "conv1 + dw1 + pw1 + conv2 + fc")
        XCTAssertEqual(ops.first { $0["kind"] as? String == "FullyConnected" }?["kernel"] as? String,
                       "ek_qs8_fc_minmax_1x4c16__neondot", "the Pi 5's A76 has dotprod")
        let latency = try XCTUnwrap(json["latency_ms"] as? [String: Any])
        let sum = ops.compactMap { $0["estimated_ms"] as? Double }.reduce(0, +)
        XCTAssertEqual(try XCTUnwrap(latency["need"] as? Double), sum, accuracy: 1e-9)
        XCTAssertGreaterThan(sum, 0)
        XCTAssertTrue(latency["budget"] is NSNull, "no --max-latency-ms: no latency budget")
    }

    func testCheckOverBudgetExitsOne() throws {
        let model = try packedCNN()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let tight = try checkJSON([model, "--board", "rpi4", "--boards-dir", boardsDir, "--max-latency-ms", "0.0001"], status: 1)
        XCTAssertEqual(tight["fits"] as? Bool, false)
        XCTAssertEqual(tight["over_budget"] as? [String], ["latency"])
        let ram = try checkJSON([model, "--board", "rpi4", "--boards-dir", boardsDir, "--ram-budget", "100000"], status: 1)
        XCTAssertEqual(ram["over_budget"] as? [String], ["RAM"])
        let text = try run(["check", model, "--board", "rpi4", "--storage-budget", "1000"])
        XCTAssertEqual(text.status, 1, text.stderr)
        XCTAssertTrue(text.stdout.contains("does not fit rpi4: over flash"), text.stdout)
        XCTAssertTrue(text.stdout.contains("OVER"), text.stdout)
    }

    /// A RAM budget that holds the mapping, the arena and the runtime but not the kernel stack
    /// fails, and the report names the stack row and its kernel.
    func testCheckCountsTheKernelStackInRAM() throws {
        let model = try packedCNN()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let fits = try checkJSON([model, "--board", "rpi4", "--boards-dir", boardsDir], status: 0)
        let stack = try XCTUnwrap(fits["kernel_stack_bytes"] as? [String: Any])
        let bytes = try XCTUnwrap(stack["need"] as? Int)
        XCTAssertEqual(stack["kernel"] as? String, "ek_qs8_conv2d_minmax_8x8__neon")
        let ops = try XCTUnwrap(fits["ops"] as? [[String: Any]])
        XCTAssertEqual(ops[try XCTUnwrap(stack["op"] as? Int)]["kernel"] as? String, "ek_qs8_conv2d_minmax_8x8__neon")
        XCTAssertEqual(ops.compactMap { $0["stack_bytes"] as? Int }.max(), bytes)
        // Mapping + arena + runtime, counted apart from the check.
        let fileBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: model)[.size] as? Int)
        let inspect = try run(["inspect", model])
        let arena = try XCTUnwrap(inspect.stdout.components(separatedBy: "arena:   ").last?.split(separator: " ").first.flatMap { Int($0) })
        let overhead = try XCTUnwrap((try boardProfile("rpi4")["edgerun"] as? [String: Any])?["rss_overhead_bytes"] as? Int)
        let withoutStack = fileBytes + arena + overhead
        let budget = "\(withoutStack + bytes / 2)"
        let over = try checkJSON([model, "--board", "rpi4", "--boards-dir", boardsDir, "--ram-budget", budget], status: 1)
        XCTAssertEqual(over["over_budget"] as? [String], ["RAM"])
        let text = try run(["check", model, "--board", "rpi4", "--boards-dir", boardsDir, "--ram-budget", budget])
        XCTAssertEqual(text.status, 1, text.stderr)
        for expected in ["does not fit rpi4: over RAM", "RAM counts the kernel stack row", " stack ",
                         "deepest kernel ek_qs8_conv2d_minmax_8x8__neon (op ", "+ kernel stack "] {
            XCTAssertTrue(text.stdout.contains(expected), "missing '\(expected)':\n\(text.stdout)")
        }
        let roomy = try run(["check", model, "--board", "rpi4", "--boards-dir", boardsDir, "--ram-budget", "\(withoutStack + bytes)"])
        XCTAssertEqual(roomy.status, 0, roomy.stdout)
    }

    func testCheckErrorsExitTwoNamingTheObject() throws {
        let model = try packedCNN()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let broken = temporary("boards")
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: broken) }
        var profile = try boardProfile("rpi4")
        profile["clock_mhz"] = -5
        try JSONSerialization.data(withJSONObject: profile).write(to: URL(fileURLWithPath: broken + "/rpi4.json"))
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: broken + "/garbled.json"))
        let cases: [([String], [String])] = [
            (["check", model, "--board", "rpi9"], ["--board rpi9", "rpi4", "rpi5"]),
            (["check", "/nonexistent/model.bin", "--board", "rpi4"], ["/nonexistent/model.bin"]),
            (["check", cnn, "--board", "rpi4"], [cnn]),
            (["check", model], ["--board is required"]),
            (["check", model, "--board", "rpi4", "--max-latency-ms", "0"], ["--max-latency-ms 0.0 must be a number > 0"]),
            (["check", model, "--board", "rpi4", "--boards-dir", "/nonexistent"], ["--boards-dir /nonexistent"]),
            (["check", model, "--board", "rpi4", "--boards-dir", broken], ["rpi4.json field clock_mhz", "-5"]),
            (["check", model, "--board", "garbled", "--boards-dir", broken], ["garbled.json", "is not valid JSON"]),
            (["check", model, "--board", "rpi4", "--binary", "/nonexistent/edgerun"], ["--binary /nonexistent/edgerun"]),
        ]
        for (arguments, needles) in cases {
            let r = try run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("edgepack: error: "), "\(arguments): \(r.stderr)")
            for needle in needles { XCTAssertTrue(r.stderr.contains(needle), "\(arguments): '\(needle)' not in \(r.stderr)") }
        }
    }

    func testPackWithBoardFailsFastAndWritesNothing() throws {
        let output = temporary("board.bin")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let over = try run(["pack", cnn, "-o", output, "--board", "rpi4", "--max-latency-ms", "0.0001"])
        XCTAssertEqual(over.status, 1, over.stderr)
        XCTAssertTrue(over.stdout.contains("does not fit rpi4: over latency"), over.stdout)
        XCTAssertTrue(over.stdout.contains("not written: \(output)"), over.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))

        try Data("previous".utf8).write(to: URL(fileURLWithPath: output))
        XCTAssertEqual(try run(["pack", cnn, "-o", output, "--board", "rpi4", "--ram-budget", "1000"]).status, 1)
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "previous", "an over-budget pack replaced the file")

        let fits = try run(["pack", cnn, "-o", output, "--board", "rpi4", "--max-latency-ms", "100"])
        XCTAssertEqual(fits.status, 0, fits.stderr)
        XCTAssertTrue(fits.stdout.contains("wrote \(output)"), fits.stdout)
        XCTAssertTrue(fits.stdout.contains("fits rpi4"), fits.stdout)
        XCTAssertEqual(try run(["check", output, "--board", "rpi4"]).status, 0)

        let json = try run(["pack", cnn, "-o", output, "--board", "rpi5", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stdout)
        XCTAssertEqual(object["board"] as? String, "rpi5")
        XCTAssertEqual(object["fits"] as? Bool, true)

        let orphan = try run(["pack", cnn, "-o", temporary("never.bin"), "--max-latency-ms", "5"])
        XCTAssertEqual(orphan.status, 2)
        XCTAssertTrue(orphan.stderr.contains("need --board"), orphan.stderr)
    }

    /// A board profile as a JSON object.
    func boardProfile(_ board: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Harness.root.appendingPathComponent("boards/\(board).json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
