import EdgeFormat
import EdgeRuntime
import Foundation

/// Budgets a check compares against: the board's, unless overridden on the command line.
public struct CheckLimits: Sendable {
    public var maxLatencyMs: Double?
    public var ramBudgetBytes: Int?
    public var storageBudgetBytes: Int?
    /// A built edgerun whose size replaces the board's recorded `edgerun.binary_bytes`.
    public var binaryPath: String?

    public init(maxLatencyMs: Double? = nil, ramBudgetBytes: Int? = nil, storageBudgetBytes: Int? = nil, binaryPath: String? = nil) {
        self.maxLatencyMs = maxLatencyMs
        self.ramBudgetBytes = ramBudgetBytes
        self.storageBudgetBytes = storageBudgetBytes
        self.binaryPath = binaryPath
    }
}

/// Does a model fit a board: flash, RAM and estimated latency against the budgets.
///
/// - flash = the edgerun binary + model.bin.
/// - RAM = model.bin (the loader's CRC check reads every byte, so the whole mapping becomes
///   resident: weights are never loaded lazily) + the arena + the runtime's own resident bytes
///   (the board's `edgerun.rss_overhead_bytes`) + the C stack of the deepest kernel the model's
///   ops run on the board (`KernelStackUse`; the convolutions pack weights and gather windows
///   in stack buffers of up to about 115 KiB, which the measured overhead does not include).
/// - latency = the sum of the ops' `CostModel` estimates at the board's clock, one core.
public struct BudgetCheck {
    public struct Line: Sendable {
        public var resource: String
        public var need: Double
        /// nil: no budget (latency without --max-latency-ms).
        public var budget: Double?
        public var detail: String
        public var fits: Bool { budget.map { need <= $0 } ?? true }
    }

    public var modelPath: String
    public var modelName: String
    public var board: BoardProfile
    public var ops: [OpCost]
    public var flash: Line
    public var ram: Line
    public var latency: Line
    /// The kernel stack counted in `ram`, shown as its own row.
    public var stack: KernelStackUse
    public var binaryBytes: Int
    public var binarySource: String

    public var lines: [Line] { [flash, ram, latency] }
    public var fits: Bool { lines.allSatisfy(\.fits) }

    public init(model: EdgeModel, path: String, board: BoardProfile, limits: CheckLimits = CheckLimits()) throws(EdgeError) {
        modelPath = path
        modelName = model.file.modelName
        self.board = board
        let kernels = try CostModel.kernels(for: model, isa: board.isa)
        ops = try CostModel.estimate(CostModel.work(of: model, kernels: kernels), coefficients: board.cost,
                                     clockMHz: board.clockMHz, board: board.name)
        if let binary = limits.binaryPath {
            guard let size = (try? FileManager.default.attributesOfItem(atPath: binary))?[.size] as? Int else {
                throw EdgeError(.io, object: "--binary \(binary)", problem: "cannot read the file's size",
                                fix: "build it with `make cross BOARD=\(board.name)` or drop --binary to use the recorded size")
            }
            binaryBytes = size
            binarySource = binary
        } else {
            binaryBytes = board.edgerunBytes
            binarySource = "recorded in the board profile (edgerun.binary_bytes)"
        }
        stack = KernelStackUse(kernels: kernels, isa: board.isa)
        let file = model.mappedBytes, arena = model.file.arenaBytes
        flash = Line(resource: "flash", need: Double(binaryBytes + file),
                     budget: Double(limits.storageBudgetBytes ?? board.storageBudgetBytes),
                     detail: "edgerun \(formatBytes(binaryBytes)) + model \(formatBytes(file))")
        ram = Line(resource: "RAM", need: Double(file + arena + board.runtimeOverheadBytes + stack.bytes),
                   budget: Double(limits.ramBudgetBytes ?? board.ramBudgetBytes),
                   detail: "model mapping \(formatBytes(file)) + arena \(formatBytes(arena)) + runtime \(formatBytes(board.runtimeOverheadBytes))"
                       + " + kernel stack \(formatBytes(stack.bytes))")
        let ms = ops.reduce(0) { $0 + $1.milliseconds }
        let macs = ops.reduce(0) { $0 + $1.macs }
        latency = Line(resource: "latency", need: ms, budget: limits.maxLatencyMs,
                       detail: "\(macs) MACs, \(ops.count) ops, cost model \(board.cost.status)")
    }

    /// The readable report: per-op table, then one line per budget and the verdict.
    public var text: String {
        var out = ["\(modelPath) (\(modelName)) on \(board.name): \(board.cpu) \(board.clockMHz) MHz, kernels for [\(board.isa.joined(separator: ", "))]",
                   ""]
        out.append(pad("op", 4) + pad("kind", 17) + pad("kernel", 36) + rpad("MACs", 10) + rpad("bytes", 10) + rpad("est. ms", 10))
        for op in ops {
            out.append(pad("\(op.index)", 4) + pad(op.kind.name, 17) + pad(op.kernel, 36) + rpad("\(op.macs)", 10)
                       + rpad("\(op.bytes)", 10) + rpad(String(format: "%.4f", op.milliseconds), 10))
        }
        if ops.contains(where: { ($0.kernel.hasPrefix("ek_qs8_pconv2d") || $0.kernel.hasPrefix("ek_qs8_pfc")) && $0.kernel.hasSuffix("__ref") }) {
            out.append("")
            out.append("note: Conv2D or FullyConnected weights are packed for another CPU (x86 AVX2, a NEON or a dot-product board) and run the portable __ref kernel here;")
            out.append("      re-pack without --board host (or with --board \(board.name)) for this board's SIMD kernels")
        }
        out.append("")
        out.append(pad("", 10) + rpad("need", 16) + rpad("budget", 16) + rpad("use", 8) + "  " + pad("", 9) + "made of")
        for line in lines {
            let isLatency = line.resource == "latency"
            func show(_ v: Double) -> String { isLatency ? String(format: "%.4f ms", v) : formatBytes(Int(v)) }
            let use = line.budget.map { String(format: "%.1f%%", 100 * line.need / $0) } ?? "-"
            let verdict = line.budget == nil ? "no budget" : line.fits ? "ok" : "OVER"
            out.append(pad(line.resource, 10) + rpad(show(line.need), 16) + rpad(line.budget.map(show) ?? "none", 16)
                       + rpad(use, 8) + "  " + pad(verdict, 9) + line.detail)
            if line.resource == "RAM" {
                out.append(pad(" stack", 10) + rpad(formatBytes(stack.bytes), 16) + rpad("", 16) + rpad("", 8) + "  "
                           + pad("in RAM", 9) + stackDetail)
            }
        }
        out.append("")
        out.append("edgerun size: \(binarySource); latency: estimate, not a measurement (boards/COST_MODEL.md)")
        out.append(fits ? "fits \(board.name)" : "does not fit \(board.name): over \(lines.filter { !$0.fits }.map(\.resource).joined(separator: ", "))")
        if !ram.fits, stack.bytes > 0 {
            out.append("RAM counts the kernel stack row: \(stackDetail)")
        }
        return out.joined(separator: "\n")
    }

    /// Which kernel the stack row is for.
    var stackDetail: String {
        guard let op = stack.op, let kernel = stack.kernel else { return "no C kernel" }
        return "deepest kernel \(kernel) (op \(op) '\(ops[op].name)'), scripts/kernel-stack.py"
    }

    /// The same content for machines (one JSON object, keys sorted).
    public var json: String {
        func line(_ l: Line) -> [String: Any] {
            ["need": l.need, "budget": l.budget.map { $0 as Any } ?? NSNull(), "fits": l.fits, "detail": l.detail]
        }
        let object: [String: Any] = [
            "model": modelPath, "model_name": modelName, "board": board.name, "cpu": board.cpu,
            "clock_mhz": board.clockMHz, "isa": board.isa, "fits": fits,
            "over_budget": lines.filter { !$0.fits }.map(\.resource),
            "flash_bytes": line(flash), "ram_bytes": line(ram), "latency_ms": line(latency),
            "kernel_stack_bytes": ["need": stack.bytes, "op": stack.op.map { $0 as Any } ?? NSNull(),
                                   "kernel": stack.kernel.map { $0 as Any } ?? NSNull(), "detail": stackDetail],
            "binary_bytes": binaryBytes, "binary_source": binarySource, "cost_model_status": board.cost.status,
            "ops": ops.map { op -> [String: Any] in
                ["index": op.index, "kind": op.kind.name, "name": op.name, "kernel": op.kernel, "macs": op.macs,
                 "bytes": op.bytes, "instructions": op.instructions, "estimated_ms": op.milliseconds,
                 "stack_bytes": stack.perOp[op.index]]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
    private func rpad(_ s: String, _ width: Int) -> String { s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s }
}
