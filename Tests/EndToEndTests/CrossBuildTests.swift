import EdgeTestSupport
import Foundation
import XCTest

/// Board profiles (`boards/*.json`, rules in `boards/SCHEMA.md`) and the cross-built static
/// aarch64 edgerun, run under qemu-aarch64 as each board's core and compared with the host build.
final class CrossBuildTests: XCTestCase {
    static let boardsDirectory = Tools.root.appendingPathComponent("boards")

    // MARK: board profiles

    static let fields: Set<String> = [
        "name", "description", "triple", "toolset", "cpu", "isa", "clock_mhz", "cores", "ram_bytes",
        "ram_budget_bytes", "storage_budget_bytes", "qemu_cpu", "gpio", "latency_model", "edgerun",
    ]
    /// Armv8.2 cores have dotprod and fp16; Armv8.0 cores have neither. None has i8mm.
    static let armv82: Set<String> = ["cortex-a55", "cortex-a76"]
    static let armv80: Set<String> = ["cortex-a53", "cortex-a72"]
    /// The qemu 7.2 CPU models that implement each core's ISA (qemu 7.2 has no cortex-a55).
    static let qemuModels: [String: Set<String>] = [
        "cortex-a53": ["cortex-a53", "cortex-a72"], "cortex-a72": ["cortex-a53", "cortex-a72"],
        "cortex-a55": ["cortex-a76"], "cortex-a76": ["cortex-a76"],
    ]

    static func boardFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: boardsDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    }

    static func load(_ file: URL) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
        guard let board = object as? [String: Any] else { throw MissingPrerequisite("\(file.lastPathComponent): not a JSON object") }
        return board
    }

    func testEveryBoardProfileFollowsTheSchema() throws {
        let files = try Self.boardFiles()
        XCTAssertGreaterThanOrEqual(files.count, 6, "expected the six documented boards in \(Self.boardsDirectory.path)")
        for file in files {
            let problems = try Self.problems(in: Self.load(file), fileName: file.deletingPathExtension().lastPathComponent)
            XCTAssertEqual(problems, [], "\(file.lastPathComponent) breaks boards/SCHEMA.md")
        }
    }

    func testSchemaRulesCatchWrongISAClaims() throws {
        var board = try Self.load(Self.boardsDirectory.appendingPathComponent("rpi4.json"))
        XCTAssertEqual(try Self.problems(in: board, fileName: "rpi4"), [])
        board["isa"] = ["neon", "dotprod"]
        XCTAssertTrue(try Self.problems(in: board, fileName: "rpi4").contains { $0.contains("dotprod") })
        board["isa"] = ["neon"]
        board["qemu_cpu"] = "cortex-a76"
        board["ram_budget_bytes"] = 0
        board["toolset"] = "toolchains/missing.json"
        let problems = try Self.problems(in: board, fileName: "rpi4")
        for needle in ["qemu_cpu", "ram_budget_bytes", "toolset"] {
            XCTAssertTrue(problems.contains { $0.hasPrefix(needle) }, "no complaint about \(needle): \(problems)")
        }
    }

    /// Every way `board` breaks the rules in boards/SCHEMA.md, as "field: problem" lines.
    static func problems(in board: [String: Any], fileName: String) throws -> [String] {
        var problems: [String] = []
        for missing in fields.subtracting(board.keys).sorted() { problems.append("\(missing): missing") }
        for extra in Set(board.keys).subtracting(fields).sorted() { problems.append("\(extra): not a schema field") }
        func string(_ key: String) -> String? {
            guard let value = board[key] as? String, !value.isEmpty else { problems.append("\(key): expected a non-empty string"); return nil }
            return value
        }
        func positive(_ key: String, in object: [String: Any] = board) -> Int? {
            guard let value = object[key] as? Int, value > 0 else { problems.append("\(key): expected an integer > 0, got \(object[key] ?? "nothing")"); return nil }
            return value
        }
        if let name = string("name"), name != fileName { problems.append("name: '\(name)' differs from the file name '\(fileName)'") }
        _ = string("description")
        if let triple = string("triple"), triple != "aarch64-none-none-elf" { problems.append("triple: '\(triple)' is not aarch64-none-none-elf") }
        if let toolset = string("toolset"), !FileManager.default.fileExists(atPath: Tools.root.appendingPathComponent(toolset).path) {
            problems.append("toolset: \(toolset) does not exist")
        }
        let cpu = string("cpu")
        if let cpu, !armv80.contains(cpu), !armv82.contains(cpu) { problems.append("cpu: unknown core '\(cpu)'") }
        if let isa = board["isa"] as? [String] {
            let features = Set(isa)
            if let unknown = features.subtracting(["neon", "fp16", "dotprod", "i8mm"]).first { problems.append("isa: unknown feature '\(unknown)'") }
            if !features.contains("neon") { problems.append("isa: every aarch64 core here has neon") }
            if features.contains("i8mm") { problems.append("isa: none of these cores has i8mm") }
            if let cpu {
                for feature in ["dotprod", "fp16"] where features.contains(feature) != armv82.contains(cpu) {
                    problems.append("isa: \(feature) is present if and only if the core is Armv8.2 (cortex-a55, cortex-a76); \(cpu) \(armv82.contains(cpu) ? "has" : "lacks") it")
                }
            }
        } else {
            problems.append("isa: expected an array of strings")
        }
        if let qemu = string("qemu_cpu"), let cpu, let allowed = qemuModels[cpu], !allowed.contains(qemu) {
            problems.append("qemu_cpu: '\(qemu)' does not emulate \(cpu)'s ISA; use one of \(allowed.sorted())")
        }
        _ = positive("clock_mhz")
        _ = positive("cores")
        _ = positive("storage_budget_bytes")
        if let ram = positive("ram_bytes"), let budget = positive("ram_budget_bytes"), budget > ram {
            problems.append("ram_budget_bytes: \(budget) exceeds ram_bytes \(ram)")
        }
        if let gpio = board["gpio"] as? [[String: Any]] {
            for (i, line) in gpio.enumerated() {
                let chip = line["chip"] as? String ?? ""
                if !chip.hasPrefix("gpiochip") || Int(chip.dropFirst(8)) == nil { problems.append("gpio[\(i)].chip: '\(chip)' is not gpiochipN") }
                if (line["line"] as? Int ?? -1) < 0 { problems.append("gpio[\(i)].line: expected an integer >= 0") }
                if (line["use"] as? String ?? "").isEmpty { problems.append("gpio[\(i)].use: expected a non-empty string") }
            }
        } else {
            problems.append("gpio: expected an array of objects")
        }
        if let model = board["latency_model"] as? [String: Any] {
            if !["derived", "measured"].contains(model["status"] as? String ?? "") { problems.append("latency_model.status: expected derived or measured") }
            let perMAC = model["instructions_per_mac"] as? [String: Double] ?? [:]
            // Kernel classes every aarch64 board needs: the reference convolutions and the NEON
            // fully connected kernels; dotprod boards also the neondot one.
            var needed = ["f32_conv2d_ref", "qs8_conv2d_ref", "f32_dwconv2d_ref", "qs8_dwconv2d_ref", "f32_fc_neon", "qs8_fc_neon"]
            if (board["isa"] as? [String] ?? []).contains("dotprod") { needed.append("qs8_fc_neondot") }
            for key in needed where (perMAC[key] ?? 0) <= 0 { problems.append("latency_model.instructions_per_mac.\(key): expected a number > 0") }
            for key in ["instructions_per_byte", "instructions_per_op", "ipc"] where (model[key] as? Double ?? 0) <= 0 {
                problems.append("latency_model.\(key): expected a number > 0")
            }
            for key in ["instructions_source", "ipc_source", "reference_source"] where (model[key] as? String ?? "").isEmpty {
                problems.append("latency_model.\(key): expected where the figures come from")
            }
            let reference = model["reference_ms"] as? [String: Double] ?? [:]
            for task in ["kws", "vww", "ic", "ad"] where (reference[task] ?? 0) <= 0 {
                problems.append("latency_model.reference_ms.\(task): expected a number > 0")
            }
        } else {
            problems.append("latency_model: expected an object")
        }
        if let edgerun = board["edgerun"] as? [String: Any] {
            _ = positive("binary_bytes", in: edgerun)
            _ = positive("rss_overhead_bytes", in: edgerun)
            if (edgerun["source"] as? String ?? "").isEmpty { problems.append("edgerun.source: expected where the figures come from") }
        } else {
            problems.append("edgerun: expected an object")
        }
        return problems
    }

    // MARK: the cross-built edgerun

    func testAarch64EdgerunIsStaticAarch64ELF() throws {
        let binary = try Data(contentsOf: Tools.aarch64Edgerun())
        XCTAssertEqual(Array(binary.prefix(4)), [0x7F, 0x45, 0x4C, 0x46], "not an ELF file")
        XCTAssertEqual(binary[4], 2, "not a 64-bit ELF")
        let machine = binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 18, as: UInt16.self) }
        XCTAssertEqual(machine, 183, "e_machine is not EM_AARCH64")
        let phoff = Int(binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 32, as: UInt64.self) })
        let phentsize = Int(binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 54, as: UInt16.self) })
        let phnum = Int(binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 56, as: UInt16.self) })
        for i in 0..<phnum {
            let type = binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: phoff + i * phentsize, as: UInt32.self) }
            XCTAssertNotEqual(type, 3, "program header \(i) is PT_INTERP: the binary needs a dynamic loader")
            XCTAssertNotEqual(type, 2, "program header \(i) is PT_DYNAMIC: the binary links shared libraries")
        }
    }

    /// The ceiling for the stripped aarch64 edgerun with every op, kernel and `edgerun watch`
    /// (toolchains/README.md: 281,536 B before watch mode, libgpiod and the SIMD convolution and
    /// sparse kernels; 424,440 B with them; 311,888 B with out-of-line string code and no musl
    /// printf; 345,672 B with the i8mm kernels and integer I/O; 331,704 B with per-op prepare
    /// functions, less SIL inlining and no frame pointers; 344,216 B with narrow float and int4
    /// tensors, the float 4x16 conv and the packed-conv kernels; 297,512 B after the size rounds,
    /// with libgpiod built from source for musl; 299,432 B with layout 4 and the reserved-field and
    /// packed-value checks; 299,856 B with layout 5, the Softmax kernels and the hybrid convolution
    /// reference compiled for size; 294,536 B after size round 9; 297,904 B with layout 6, the
    /// NEON float32 Softmax and the sliced CRC). The ceiling is the product target, 300 KB.
    static let sizeTarget = 300_000

    /// The stripped binary stays within the budget every board records (`edgerun.binary_bytes`,
    /// also enforced by `make cross`) and within the ceiling; all ops and kernels are in.
    func testAarch64EdgerunIsWithinItsSizeBudget() throws {
        let binary = try Tools.aarch64Edgerun()
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: binary.path)[.size] as? Int)
        XCTAssertLessThanOrEqual(size, Self.sizeTarget, "\(binary.path): \(size) bytes, over the \(Self.sizeTarget) B ceiling")
        for file in try Self.boardFiles() {
            let edgerun = try XCTUnwrap(try Self.load(file)["edgerun"] as? [String: Any], file.lastPathComponent)
            let budget = try XCTUnwrap(edgerun["binary_bytes"] as? Int, file.lastPathComponent)
            XCTAssertLessThanOrEqual(size, budget, "\(binary.path): \(size) bytes, over \(file.lastPathComponent)'s edgerun.binary_bytes")
            XCTAssertLessThanOrEqual(budget, Self.sizeTarget, "\(file.lastPathComponent): the recorded budget exceeds the \(Self.sizeTarget) B ceiling")
        }
        // Every kernel a KernelTable level can select is linked in (the names edgerun info prints).
        let text = String(decoding: try Data(contentsOf: binary), as: UTF8.self)
        for kernel in ["ek_f32_conv2d_minmax_1x1__ref", "ek_qs8_dwconv2d_minmax_1x1__ref", "ek_f32_fc_minmax_1x4c4__neon",
                       "ek_qs8_fc_minmax_1x4c16__neon", "ek_qs8_fc_minmax_1x4c16__neondot", "ek_qs8_fc_minmax_2x4c16__neoni8mm",
                       "ek_qs8_conv2d_minmax_4x8c16__neoni8mm", "ek_qs8_softmax_x1__ref", "ek_qs8_pfc_minmax_1x4c16__neon",
                       "ek_qs8_pfc_minmax_1x4c16__neondot", "ek_qs8_pfc_minmax_1x4c16__ref",
                       "ek_xN_transpose__ref", "ek_qs8_hswish_x1__ref"] {
            XCTAssertTrue(text.contains(kernel), "\(kernel) is missing from \(binary.path)")
        }
    }

    /// qemu's `max` CPU: FEAT_I8MM (and everything else qemu emulates), so `auto` runs the
    /// neoni8mm kernels; pauth-impdef=on keeps pointer authentication from tripling run time.
    static let qemuMax = "max,pauth-impdef=on"

    /// The qemu CPU models to run: every board's, plus the Armv8.0 and Armv8.2 extremes and
    /// `max` (i8mm, which no board core has).
    static func qemuCPUs() throws -> [String] {
        var cpus: Set<String> = ["cortex-a53", "cortex-a76", qemuMax]
        for file in try boardFiles() { if let cpu = try load(file)["qemu_cpu"] as? String { cpus.insert(cpu) } }
        return cpus.sorted()
    }

    func testAarch64EdgerunRunsUnderEveryBoardCPU() throws {
        let edgerun = try Tools.aarch64Edgerun().path
        let qemu = try Tools.qemuAarch64()
        for cpu in try Self.qemuCPUs() {
            let r = try Tools.run(qemu, ["-cpu", cpu, edgerun, "--version"])
            XCTAssertEqual(r.status, 0, "qemu-aarch64 -cpu \(cpu) edgerun --version: \(r.stderr)")
            XCTAssertTrue(r.stdout.hasPrefix("edgerun "), "\(cpu): \(r.stdout)")
        }
    }

    /// `EDGE_KERNELS` and `edgerun info` on aarch64: `auto` takes neoni8mm only on a CPU with
    /// i8mm (qemu max), where its SMMLA kernels serve the int8 Conv2D and FullyConnected ops;
    /// forcing neoni8mm on a dotprod-only core (the Pi 5's A76) is a usage error.
    func testAarch64KernelLevelsFollowTheCPU() throws {
        let edgerun = try Tools.aarch64Edgerun().path
        let qemu = try Tools.qemuAarch64()
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try XCTUnwrap(try Tools.packFirmwareModels(into: dir).first { $0.model == "digits_cnn" && $0.quantized }).bin
        for (cpu, level) in [("cortex-a53", "neon"), ("cortex-a76", "neondot"), (Self.qemuMax, "neoni8mm")] {
            let r = try Tools.run(qemu, ["-cpu", cpu, edgerun, "info", model], environment: ["EDGE_KERNELS": "auto"])
            XCTAssertEqual(r.status, 0, "\(cpu): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("kernels: \(level)\n"), "\(cpu) should pick \(level): \(r.stdout)")
        }
        let forced = try Tools.run(qemu, ["-cpu", Self.qemuMax, edgerun, "info", model], environment: ["EDGE_KERNELS": "neoni8mm"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        for kernel in ["ek_qs8_conv2d_minmax_4x8c16__neoni8mm", "ek_qs8_fc_minmax_2x4c16__neoni8mm"] {
            XCTAssertTrue(forced.stdout.contains("[\(kernel)]"), "EDGE_KERNELS=neoni8mm info lacks \(kernel): \(forced.stdout)")
        }
        let refused = try Tools.run(qemu, ["-cpu", "cortex-a76", edgerun, "info", model], environment: ["EDGE_KERNELS": "neoni8mm"])
        XCTAssertEqual(refused.status, 2, "EDGE_KERNELS=neoni8mm on cortex-a76: \(refused.stdout)")
        XCTAssertTrue(refused.stderr.contains("level 'neoni8mm' needs CPU features this CPU lacks; use one of the levels this CPU supports: auto, ref, neon, neondot"),
                      refused.stderr)
    }

    func testAarch64AndHostEdgerunAgreeByteForByte() throws {
        let edgerun = try Tools.aarch64Edgerun().path
        let qemu = try Tools.qemuAarch64()
        let host = try Tools.debugProduct("edgerun")
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        // (model, input) pairs: the sample model on a ramp, and the firmware models packed both ways.
        var cases: [(model: String, input: String)] = []
        let sample = dir.appendingPathComponent("sample.bin")
        try Data(SampleModel.bytes).write(to: sample)
        let ramp = dir.appendingPathComponent("ramp.npy")
        try Tools.float32NPY((0..<36).map { Float($0) / 36 }, shape: "(1, 6, 6, 1)").write(to: ramp)
        cases.append((sample.path, ramp.path))
        for c in try Tools.packFirmwareModels(into: dir) { cases.append((c.bin, c.input)) }

        // Every case with the reference kernels; int8 cases also with each machine's SIMD kernels
        // (auto: avx2 here, neon, neondot or neoni8mm by qemu CPU), which must stay bit-exact. Float SIMD
        // kernels sum in an ISA-specific order, so float outputs agree across ISAs only with ref.
        for (index, c) in cases.enumerated() {
            var hostOutputs: [String: Data] = [:]
            for kernels in c.model.hasSuffix("-int8.bin") ? ["ref", "auto"] : ["ref"] {
                let environment = ["EDGE_KERNELS": kernels]
                let expected = dir.appendingPathComponent("\(index)-\(kernels)-host.npy")
                let r = try Tools.run(host, [c.model, "--input", c.input, "--output", expected.path], environment: environment)
                XCTAssertEqual(r.status, 0, "host edgerun on \(c.model): \(r.stderr)")
                let want = try Data(contentsOf: expected)
                hostOutputs[kernels] = want
                for cpu in try Self.qemuCPUs() {
                    let out = dir.appendingPathComponent("\(index)-\(kernels)-\(cpu).npy")
                    let q = try Tools.run(qemu, ["-cpu", cpu, edgerun, c.model, "--input", c.input, "--output", out.path],
                                          environment: environment)
                    XCTAssertEqual(q.status, 0, "qemu-aarch64 -cpu \(cpu) edgerun on \(c.model): \(q.stderr)")
                    XCTAssertEqual(try? Data(contentsOf: out), want,
                                   "\((c.model as NSString).lastPathComponent) on \((c.input as NSString).lastPathComponent), EDGE_KERNELS=\(kernels): aarch64 (\(cpu)) and host outputs differ")
                }
            }
            // int8: this machine's SIMD kernels reproduce the reference kernels byte for byte.
            if let ref = hostOutputs["ref"], let auto = hostOutputs["auto"] {
                XCTAssertEqual(auto, ref, "\((c.model as NSString).lastPathComponent): host EDGE_KERNELS=auto and ref outputs differ")
            }
        }
    }

    /// A model packed for rpi4 (layout-4 Conv2D weights, FORMAT.md "Packed int8 Conv2D weights
    /// for NEON") gives the canonical model's outputs byte for byte: on aarch64 with the NEON
    /// 8x8 tile reading it in place (cortex-a53, and cortex-a76, whose dotprod level runs the
    /// same tile on it) and with the __ref twins, and on the host with the __ref twin.
    func testModelPackedForRpi4MatchesTheCanonicalModel() throws {
        try checkPackedModelMatchesTheCanonicalModel(board: "rpi4", tile: "ek_qs8_pconv2d_minmax_8x8__neon",
                                                     tileCPU: "cortex-a53", cpus: ["cortex-a53", "cortex-a76"])
    }

    /// A model packed for rpi5 (layout-5 Conv2D weights, FORMAT.md "Packed int8 Conv2D weights
    /// for the NEON dot product") gives the canonical file's outputs byte for byte: with the
    /// SDOT tile on cortex-a76 and max, with its __ref twin on cortex-a53, under EDGE_KERNELS=ref,
    /// and on the host (__ref).
    func testModelPackedForRpi5MatchesTheCanonicalModel() throws {
        try checkPackedModelMatchesTheCanonicalModel(board: "rpi5", tile: "ek_qs8_pconv2d_minmax_8x8c4__neondot",
                                                     tileCPU: "cortex-a76",
                                                     cpus: ["cortex-a53", "cortex-a76", "max,pauth-impdef=on"])
    }

    /// digits_mlp (int8 FullyConnected only) packed for rpi4 (layout-6 weights, FORMAT.md "Packed
    /// int8 FullyConnected weights for NEON") gives the canonical file's outputs byte for byte:
    /// with the NEON 1x4c16 tile on cortex-a53, the SDOT one on cortex-a76, the __ref twin under
    /// EDGE_KERNELS=ref and on the host.
    func testMLPPackedForRpi4MatchesTheCanonicalModel() throws {
        try checkPackedModelMatchesTheCanonicalModel(board: "rpi4", tile: "ek_qs8_pfc_minmax_1x4c16__neon",
                                                     tileCPU: "cortex-a53", cpus: ["cortex-a53", "cortex-a76"], model: "digits_mlp")
    }

    /// The same for rpi5: the SDOT 1x4c16 tile over layout 6 on cortex-a76 and max.
    func testMLPPackedForRpi5MatchesTheCanonicalModel() throws {
        try checkPackedModelMatchesTheCanonicalModel(board: "rpi5", tile: "ek_qs8_pfc_minmax_1x4c16__neondot",
                                                     tileCPU: "cortex-a76", cpus: ["cortex-a53", "cortex-a76", "max,pauth-impdef=on"],
                                                     model: "digits_mlp")
    }

    /// `model` (digits_cnn) int8 packed for `board` against the canonical file: `edgerun info` on
    /// `tileCPU` names `tile`, and every sample's output equals the canonical file's on the host
    /// (__ref) and under qemu on each of `cpus` with EDGE_KERNELS=ref and auto.
    private func checkPackedModelMatchesTheCanonicalModel(board name: String, tile: String, tileCPU: String,
                                                          cpus: [String], model: String = "digits_cnn") throws {
        let edgerun = try Tools.aarch64Edgerun().path
        let qemu = try Tools.qemuAarch64()
        let host = try Tools.debugProduct("edgerun")
        let edgepack = try Tools.debugProduct("edgepack")
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Tools.root.appendingPathComponent("firmware-models/\(model)")
        var bins: [String] = []
        for board in [[], ["--board", name]] {
            let bin = dir.appendingPathComponent("\(model)-int8\(board.last.map { "-" + $0 } ?? "").bin").path
            let args = ["pack", source.appendingPathComponent("model.onnx").path, "-o", bin, "--quantize", "int8",
                        "--calibration", source.appendingPathComponent("calibration.npy").path] + board
            let packed = try Tools.run(edgepack, args)
            XCTAssertEqual(packed.status, 0, "edgepack \(args.joined(separator: " ")): \(packed.stderr)")
            bins.append(bin)
        }
        let info = try Tools.run(qemu, ["-cpu", tileCPU, edgerun, "info", bins[1]])
        XCTAssertTrue(info.stdout.contains(tile), "\(name) file on \(tileCPU) lacks \(tile): \(info.stdout)")
        for n in 0..<3 {
            let input = source.appendingPathComponent("sample_\(n).npy").path
            let expected = dir.appendingPathComponent("want-\(n).npy")
            let r = try Tools.run(host, [bins[0], "--input", input, "--output", expected.path], environment: ["EDGE_KERNELS": "ref"])
            XCTAssertEqual(r.status, 0, "host edgerun on \(bins[0]): \(r.stderr)")
            let want = try Data(contentsOf: expected)
            let hostOut = dir.appendingPathComponent("host-\(n).npy")
            let h = try Tools.run(host, [bins[1], "--input", input, "--output", hostOut.path], environment: ["EDGE_KERNELS": "ref"])
            XCTAssertEqual(h.status, 0, "host edgerun on \(bins[1]): \(h.stderr)")
            XCTAssertEqual(try? Data(contentsOf: hostOut), want, "sample \(n): \(name) file on the host (__ref) differs from canonical")
            for cpu in cpus {
                for kernels in ["ref", "auto"] {
                    let out = dir.appendingPathComponent("\(n)-\(cpu.prefix { $0 != "," })-\(kernels).npy")
                    let q = try Tools.run(qemu, ["-cpu", cpu, edgerun, bins[1], "--input", input, "--output", out.path],
                                          environment: ["EDGE_KERNELS": kernels])
                    XCTAssertEqual(q.status, 0, "qemu-aarch64 -cpu \(cpu) edgerun on \(bins[1]): \(q.stderr)")
                    XCTAssertEqual(try? Data(contentsOf: out), want,
                                   "sample \(n), \(cpu), EDGE_KERNELS=\(kernels): \(name) file differs from the canonical model")
                }
            }
        }
    }
}
