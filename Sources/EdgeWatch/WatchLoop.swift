import CEdgeGPIO
import EdgeFormat
import EdgeRuntime

/// What a finished watch did (returned when a stop signal or the end of the edges arrives).
public struct WatchSummary: Equatable {
    /// Inferences run and logged.
    public var events = 0
    /// Events whose input could not be used (logged and skipped).
    public var skipped = 0
    /// Edges ignored as contact bounce.
    public var bounced = 0
    /// Edges ignored because they came sooner than the minimum interval.
    public var rateLimited = 0

    public init(events: Int = 0, skipped: Int = 0, bounced: Int = 0, rateLimited: Int = 0) {
        self.events = events
        self.skipped = skipped
        self.bounced = bounced
        self.rateLimited = rateLimited
    }
}

/// The event loop of `edgerun watch`: edge -> debounce and rate limit -> read the sensor ->
/// inference -> one JSON line -> output line. Everything it needs per event is allocated in
/// `init`, so serving events never touches the heap.
public final class WatchLoop<Edges: EdgeSource, Output: OutputLine, Clock: WatchClock> {
    let interpreter: Interpreter
    let options: WatchOptions
    let edges: Edges
    let output: Output?
    let clock: Clock
    let sensor: SensorInput
    let outputs: [TensorView]
    let outputNames: [[UInt8]]
    let labels: [[UInt8]]
    /// Log destinations: stdout and/or a --json-log file; stderr gets skip notices.
    let logFDs: [Int32]
    let line = ByteLine(capacity: 64 * 1024)
    let problem = ByteLine(capacity: 1024)
    let rankIndex: UnsafeMutablePointer<Int>
    let rankScore: UnsafeMutablePointer<Float>
    let k: Int

    public private(set) var summary = WatchSummary()
    /// Level last driven on the output line.
    public private(set) var outputActive = false
    private var holdUntil: UInt64? = nil

    public init(interpreter: Interpreter, options: WatchOptions, edges: Edges, output: Output?, clock: Clock,
                sensor: SensorInput, logFDs: [Int32]) {
        self.interpreter = interpreter
        self.options = options
        self.edges = edges
        self.output = output
        self.clock = clock
        self.sensor = sensor
        self.logFDs = logFDs
        var outputs: [TensorView] = []
        var names: [[UInt8]] = []
        for o in 0..<interpreter.outputCount {
            outputs.append(interpreter.output(o))
            names.append(jsonEscapedBytes(outputs[o].name))
        }
        self.outputs = outputs
        outputNames = names
        let file = interpreter.model.file
        var labels: [[UInt8]] = []
        for i in 0..<file.labelCount { labels.append(jsonEscapedBytes(file.label(i))) }
        self.labels = labels
        k = max(1, options.top)
        rankIndex = .allocate(capacity: k)
        rankScore = .allocate(capacity: k)
    }

    deinit {
        rankIndex.deallocate()
        rankScore.deallocate()
    }

    /// Serves edges until the source says stop, then drives the output inactive.
    public func run() throws(EdgeError) -> WatchSummary {
        var lastEdge: UInt64? = nil
        var lastAccepted: UInt64? = nil
        while true {
            let now = clock.now()
            if let until = holdUntil, now >= until {
                try drive(false)
                holdUntil = nil
            }
            var timeout = options.idleWaitNs
            if let until = holdUntil { timeout = min(timeout, until - now) }
            switch try edges.wait(timeoutNs: timeout) {
            case .stop:
                if outputActive { try drive(false) }
                return summary
            case .idle:
                continue
            case .edge(let kind, let ts):
                defer { lastEdge = ts }
                if let previous = lastEdge, ts >= previous, ts - previous < options.debounceNs {
                    summary.bounced += 1
                    continue
                }
                if let previous = lastAccepted, ts >= previous, ts - previous < options.minIntervalNs {
                    summary.rateLimited += 1
                    continue
                }
                lastAccepted = ts
                try serve(kind, ts)
            }
        }
    }

    private func drive(_ active: Bool) throws(EdgeError) {
        guard let output else { return }
        try output.set(active: active)
        outputActive = active
    }

    private func serve(_ kind: EdgeKind, _ ts: UInt64) throws(EdgeError) {
        let wall = clock.wall()
        line.reset()
        problem.reset()
        line.put("{\"event\":")
        line.put(summary.events + summary.skipped + 1)
        line.put(",\"time\":")
        line.put(UInt64(max(0, wall.seconds)), minDigits: 1)
        line.put(".")
        line.put(UInt64(max(0, wall.nanoseconds)), minDigits: 9)
        line.put(kind == .rising ? ",\"edge\":\"rising\",\"edge_ns\":" : ",\"edge\":\"falling\",\"edge_ns\":")
        line.put(ts, minDigits: 1)
        line.put(",\"ignored_edges\":")
        line.put(summary.bounced + summary.rateLimited)
        guard sensor.read(problem: problem) else {
            summary.skipped += 1
            line.put(",\"skipped\":true,\"error\":\"")
            line.putEscaped(problem)
            line.put("\"}\n")
            emit()
            notice()
            return
        }
        let start = clock.now()
        interpreter.invoke()
        let done = clock.now()
        summary.events += 1
        line.put(",\"latency_ms\":")
        line.put(fixed: done >= ts ? Double(done - ts) / 1e6 : 0, 3)
        line.put(",\"inference_ms\":")
        line.put(fixed: Double(done - start) / 1e6, 3)
        line.put(",\"outputs\":[")
        var best = -1
        // Index loops throughout: iterating an array allocates an iterator box in debug builds.
        for o in 0..<outputs.count {
            let n = rank(outputs[o])
            if o == 0 { best = n > 0 ? rankIndex[0] : -1 }
            line.put(o == 0 ? "{\"name\":\"" : ",{\"name\":\"")
            line.put(outputNames[o])
            line.put("\",\"top\":[")
            for r in 0..<n {
                line.put(r == 0 ? "{\"index\":" : ",{\"index\":")
                line.put(rankIndex[r])
                if o == 0 && rankIndex[r] < labels.count {
                    line.put(",\"label\":\"")
                    line.put(labels[rankIndex[r]])
                    line.put("\"")
                }
                line.put(",\"score\":")
                line.put(fixed: Double(rankScore[r]), 6)
                line.put("}")
            }
            line.put("]}")
        }
        line.put("]")
        if let rule = options.rule, output != nil {
            let first = outputs[0]
            let holds = rule.holds(best: best) { i in i < first.elementCount ? first.value(at: i) : .nan }
            if holds {
                try drive(true)
                holdUntil = options.holdNs > 0 ? clock.now() + options.holdNs : nil
            } else if options.holdNs == 0 {
                try drive(false)
            }
            line.put(holds ? ",\"rule\":true,\"out\":" : ",\"rule\":false,\"out\":")
            line.put(outputActive ? 1 : 0)
        }
        line.put("}\n")
        emit()
    }

    /// The k best entries of the last axis of batch 0 into rankIndex/rankScore (descending,
    /// ties by index); returns how many.
    private func rank(_ t: TensorView) -> Int {
        let depth = t.shape.rank == 0 ? 1 : t.shape[t.shape.rank - 1]
        var n = 0
        for i in 0..<depth {
            let score = t.value(at: i)
            var pos = n
            while pos > 0 && rankScore[pos - 1] < score { pos -= 1 }
            guard pos < k else { continue }
            var j = min(n, k - 1)
            while j > pos {
                rankIndex[j] = rankIndex[j - 1]
                rankScore[j] = rankScore[j - 1]
                j -= 1
            }
            rankIndex[pos] = i
            rankScore[pos] = score
            n = min(n + 1, k)
        }
        return n
    }

    private func emit() {
        for i in 0..<logFDs.count { _ = eg_log_write(logFDs[i], line.bytes.baseAddress, line.count) }
    }

    /// A skipped event also goes to stderr, for people watching the service's journal.
    private func notice() {
        line.reset()
        line.put("edgerun watch: event skipped: ")
        line.put(sensor.pathBytes)
        line.put(": ")
        line.put(problem)
        line.put("\n")
        _ = eg_log_write(2, line.bytes.baseAddress, line.count)
    }
}
