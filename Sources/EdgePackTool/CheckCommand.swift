import ArgumentParser
import EdgeFormat
import EdgePack
import EdgeRuntime
import Foundation

/// `edgepack check model.bin --board NAME`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that a model.bin fits a board: flash, RAM and estimated latency against its budgets.",
        discussion: """
            flash   = the board's edgerun binary + model.bin. The binary counts with
                      the size recorded in the board profile (edgerun.binary_bytes,
                      an upper bound `make cross` enforces), or, with --binary, with
                      the size of a built one.
            RAM     = model.bin (all of it becomes resident: the loader checks every byte's
                      CRC) + the arena + the runtime's own resident bytes (the profile's
                      edgerun.rss_overhead_bytes).
            latency = per op, instructions (MACs x instructions per MAC of the kernel the
                      board's ISA selects, or bytes moved x instructions per byte for ops
                      without MACs, + a fixed cost per op) / the core's IPC, at the board's
                      clock on one core (boards/COST_MODEL.md). An estimate, checked only
                      with --max-latency-ms.

            Board profiles are boards/NAME.json: from --boards-dir, else ./boards, else
            the boards/ directory of the repository edgepack was built in.

            `--board host` (edgepack pack's target for this CPU's weight layouts) has no
            profile and no budgets; check refuses it and asks for a board profile.

            Exit codes: 0 fits, 1 over a budget, 2 bad input (file, board, option).

            Examples:
              edgepack check model.bin --board rpi-zero-2w
              edgepack check model.bin --board rpi4 --max-latency-ms 5 --json
              edgepack check model.bin --board rpi4 --binary out/rpi4/edgerun
            """)

    @Argument(help: ArgumentHelp("The packed model.", valueName: "model.bin"))
    var model: String

    @OptionGroup var board: BoardOptions

    func validate() throws { try board.validateRequired() }

    func run() throws {
        let edgeModel = try EdgeModel(path: model)
        let result = try board.check(edgeModel, path: model)
        print(board.json ? result.json : result.text)
        if !result.fits { throw ExitCode(1) }
    }
}

/// The options of a board check, shared by `check` and `pack --board`.
struct BoardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Board profile name (boards/NAME.json), e.g. rpi4; for pack also `host`: this CPU's weight layouts, no budget check.", valueName: "name"))
    var board: String?

    @Option(name: .customLong("boards-dir"), help: ArgumentHelp("Directory of board profiles.", valueName: "dir"))
    var boardsDir: String?

    @Option(name: .customLong("max-latency-ms"), help: ArgumentHelp("Latency budget per inference (estimated).", valueName: "ms"))
    var maxLatencyMs: Double?

    @Option(name: .customLong("ram-budget"), help: ArgumentHelp("Override the board's RAM budget.", valueName: "bytes"))
    var ramBudget: Int?

    @Option(name: .customLong("storage-budget"), help: ArgumentHelp("Override the board's flash/storage budget.", valueName: "bytes"))
    var storageBudget: Int?

    @Option(help: ArgumentHelp("A built edgerun whose size counts instead of the recorded one.", valueName: "path"))
    var binary: String?

    @Flag(help: "Print the check as one JSON object.")
    var json = false

    /// `--board host`: not a profile but the CPU running edgepack. `pack` takes it as the
    /// target of the weight layouts; it has no budgets, so nothing is checked against it.
    static let host = "host"
    var isHost: Bool { board == Self.host }

    func validateRequired() throws {
        if board == nil { throw ValidationError("--board is required: name a profile from boards/, e.g. --board rpi4") }
        if isHost {
            throw ValidationError("--board host names the CPU running edgepack, which has no board profile and no budgets to check: name a profile from boards/, e.g. --board rpi4 (host only selects weight layouts in edgepack pack)")
        }
        try validate()
    }

    func validate() throws {
        if let maxLatencyMs, !(maxLatencyMs > 0 && maxLatencyMs.isFinite) {
            throw ValidationError("--max-latency-ms \(maxLatencyMs) must be a number > 0, e.g. --max-latency-ms 5")
        }
        for (flag, value) in [("--ram-budget", ramBudget), ("--storage-budget", storageBudget)] {
            if let value, value <= 0 { throw ValidationError("\(flag) \(value) must be a byte count > 0") }
        }
        let budgetOptions: [(String, Bool)] = [("--max-latency-ms", maxLatencyMs != nil), ("--ram-budget", ramBudget != nil),
                                               ("--storage-budget", storageBudget != nil), ("--binary", binary != nil),
                                               ("--boards-dir", boardsDir != nil), ("--json", json)]
        for (flag, used) in budgetOptions where used && isHost {
            throw ValidationError("\(flag) needs a board profile, and --board host (this CPU's weight layouts) checks no budgets: drop \(flag), or name a profile, e.g. --board rpi4")
        }
        if board == nil, maxLatencyMs != nil || ramBudget != nil || storageBudget != nil || binary != nil || boardsDir != nil || json {
            throw ValidationError("board budget options need --board NAME: add it, e.g. --board rpi4")
        }
    }

    func check(_ model: EdgeModel, path: String) throws -> BudgetCheck {
        let profile = try BoardProfile.load(name: board ?? "", directory: try directory())
        let limits = CheckLimits(maxLatencyMs: maxLatencyMs, ramBudgetBytes: ramBudget,
                                 storageBudgetBytes: storageBudget, binaryPath: binary)
        return try BudgetCheck(model: model, path: path, board: profile, limits: limits)
    }

    /// --boards-dir, else ./boards, else boards/ in a parent of the executable's directory.
    func directory() throws -> String {
        let fm = FileManager.default
        func isDirectory(_ path: String) -> Bool {
            var dir: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
        }
        if let boardsDir {
            guard isDirectory(boardsDir) else {
                throw EdgeError(.usage, object: "--boards-dir \(boardsDir)", problem: "is not a directory",
                                fix: "pass the directory that holds the board JSON files (the repository's boards/)")
            }
            return boardsDir
        }
        var candidates = [fm.currentDirectoryPath + "/boards"]
        // /proc/self/exe: argv[0] may be a bare name found through PATH.
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("boards").path)
            dir = dir.deletingLastPathComponent()
        }
        if let found = candidates.first(where: { isDirectory($0) && !BoardProfile.available(in: $0).isEmpty }) { return found }
        throw EdgeError(.usage, object: "board profiles", problem: "no boards/ directory in \(candidates[0]) or above edgepack",
                        fix: "pass --boards-dir with the repository's boards/ directory")
    }
}
