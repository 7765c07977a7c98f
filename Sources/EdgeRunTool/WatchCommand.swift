import CEdgeGPIO
import EdgeFormat
import EdgeRuntime
import EdgeWatch

/// `edgerun watch MODEL.bin --chip CHIP --line N --edge rising|falling|both --input SOURCE ...`:
/// one inference per accepted GPIO edge, one JSON line per event, an output line driven by a rule.
enum WatchCommand {
    static let consumer = "edgerun"

    static func run(_ args: inout Arguments) throws(EdgeError) -> Int32 {
        var modelArgument: String? = nil
        var chipSpec: String? = nil
        var lineOffset: Int? = nil
        var edges: EdgeSelection? = nil
        var input: String? = nil
        var outLine: Int? = nil
        var outWhen: String? = nil
        var logPath: String? = nil
        var quiet = false
        var options = WatchOptions()
        while let word = args.peek() {
            args.advance()
            if word.is("--chip") {
                chipSpec = try args.value(for: "--chip")
            } else if word.is("--line") {
                lineOffset = try args.integer(for: "--line", in: 0...65535)
            } else if word.is("--edge") {
                let v = try args.value(for: "--edge")
                if v.is("rising") { edges = .rising } else if v.is("falling") { edges = .falling } else if v.is("both") { edges = .both } else {
                    throw args.usage("--edge \(v): expected rising, falling or both")
                }
            } else if word.is("--debounce-ms") {
                options.debounceNs = UInt64(try args.integer(for: "--debounce-ms", in: 0...60_000)) * 1_000_000
            } else if word.is("--min-interval-ms") {
                options.minIntervalNs = UInt64(try args.integer(for: "--min-interval-ms", in: 0...3_600_000)) * 1_000_000
            } else if word.is("--input") || word.is("-i") {
                input = try args.value(for: "--input")
            } else if word.is("--out-line") {
                outLine = try args.integer(for: "--out-line", in: 0...65535)
            } else if word.is("--out-when") {
                outWhen = try args.value(for: "--out-when")
            } else if word.is("--out-hold-ms") {
                options.holdNs = UInt64(try args.integer(for: "--out-hold-ms", in: 0...3_600_000)) * 1_000_000
            } else if word.is("--json-log") {
                logPath = try args.value(for: "--json-log")
            } else if word.is("--top") {
                options.top = try args.integer(for: "--top", in: 1...1000)
            } else if word.is("--quiet") {
                quiet = true
            } else {
                try args.operand(word, into: &modelArgument, command: " for edgerun watch")
            }
        }
        let modelPath = try args.required(modelArgument, "edgerun watch: missing MODEL.bin")
        guard let chipSpec else { throw args.usage("edgerun watch: missing --chip (a /dev path, name such as gpiochip0, or label)") }
        guard let lineOffset else { throw args.usage("edgerun watch: missing --line (the input line's offset)") }
        guard let edges else { throw args.usage("edgerun watch: missing --edge rising|falling|both") }
        guard let input else { throw args.usage("edgerun watch: missing --input (file or device re-read per event, FIFO, or - for stdin frames)") }
        if (outLine == nil) != (outWhen == nil) { throw args.usage("--out-line and --out-when go together") }
        if outLine == lineOffset { throw args.usage("--out-line \(outLine!) is the input line") }
        if quiet && logPath == nil { throw args.usage("--quiet needs --json-log (events would go nowhere)") }

        let session = try ModelSession(path: modelPath)
        let interpreter = session.interpreter
        if interpreter.inputCount != 1 {
            throw EdgeError(.unsupported, object: modelPath, problem: "edgerun watch feeds one input, the model has \(interpreter.inputCount)",
                            fix: "use a model with a single input tensor")
        }
        if outWhen != nil {
            let file = session.model.file
            var labels: [String] = []
            for i in 0..<file.labelCount { labels.append(file.label(i)) }
            let first = interpreter.output(0)
            let classes = first.shape.rank == 0 ? 1 : first.shape[first.shape.rank - 1]
            options.rule = try OutputRule.parse(outWhen!, labels: labels, classes: classes)
        }
        let sensor = try SensorInput(path: input, tensor: interpreter.input(0))
        if sensor.isStream && input.is("-") && Platform.standardInputIsTerminal {
            throw args.usage("--input - reads frames from standard input, which is a terminal")
        }

        // Stop signals are blocked from here on and only delivered while waiting for an edge.
        if eg_signals_install() != 0 {
            throw EdgeError(.resource, object: "signal handlers", problem: "cannot install", fix: "")
        }
        let chip = try GPIOChip(chipSpec)
        let source = try GPIOEdgeSource(chip: chip, offset: lineOffset, edges: edges, consumer: consumer)
        let output = try outLine.map { (o: Int) throws(EdgeError) -> GPIOOutputLine in
            try GPIOOutputLine(chip: chip, offset: o, consumer: consumer)
        }
        var logFD: Int32 = -1
        if let logPath {
            let cPath = Platform.cString(logPath)
            let rc = eg_log_open(cPath, &logFD)
            cPath.deallocate()
            if rc != 0 {
                throw EdgeError(.io, object: "--json-log \(logPath)", problem: "cannot open for appending: \(Platform.errorText(rc))",
                                fix: "check that the directory exists and is writable")
            }
        }
        // Standard output unless --quiet, then the log (literals: no array growth path for Int32).
        let fds: [Int32] = quiet ? (logFD < 0 ? [] : [logFD]) : (logFD < 0 ? [1] : [1, logFD])
        let edgeText = edges == .rising ? "rising" : edges == .falling ? "falling" : "both"
        Platform.write("edgerun watch: \(session.model.file.modelName) on \(chip.name) (\(chip.label)) line \(lineOffset), \(edgeText) edges, input \(input)\(outLine.map { ", output line \($0)" } ?? ""); ready\n", to: 2)

        let loop = WatchLoop(interpreter: interpreter, options: options, edges: source, output: output, clock: SystemClock(),
                             sensor: sensor, logFDs: fds)
        let summary = try loop.run()
        if logFD >= 0 {
            _ = eg_log_flush(logFD)
            eg_log_close(logFD)
        }
        Platform.write("edgerun watch: stopped after \(summary.events) events (\(summary.skipped) skipped, \(summary.bounced) bounced, \(summary.rateLimited) rate-limited edges)\n", to: 2)
        return 0
    }
}
