import EdgeFormat
import EdgeRuntime

/// `edgerun bench MODEL.bin [--runs N] [--warmup N] [--input FILE] [--json] [--ops]`.
enum BenchCommand {
    static func run(_ args: inout Arguments) throws(EdgeError) -> Int32 {
        var pathArgument: String? = nil
        var runs = 100, warmup = 10
        var inputs: [String] = []
        var json = false, perOp = false
        while let word = args.peek() {
            args.advance()
            if word.is("--runs") { runs = try args.integer(for: "--runs", in: 1...10_000_000) }
            else if word.is("--warmup") { warmup = try args.integer(for: "--warmup", in: 0...1_000_000) }
            else if word.is("--input") || word.is("-i") { inputs.append(try args.value(for: "--input")) }
            else if word.is("--json") { json = true }
            else if word.is("--ops") { perOp = true }
            else { try args.operand(word, into: &pathArgument) }
        }
        let path = try args.required(pathArgument, "missing MODEL.bin")
        let s = try ModelSession(path: path)
        if !inputs.isEmpty { try s.loadInputs(inputs) }
        for _ in 0..<warmup { s.interpreter.invoke() }
        if perOp { return profile(s, runs: runs) }
        var samples = [UInt64](repeating: 0, count: runs)
        for r in 0..<runs {
            let start = Platform.nanoseconds()
            s.interpreter.invoke()
            samples[r] = Platform.nanoseconds() - start
        }
        let unsorted = samples
        for (r, i) in sortedIndices(runs, by: { unsorted[$0] < unsorted[$1] }).enumerated() { samples[r] = unsorted[i] }
        let total = samples.reduce(0, +)
        func ms(_ ns: UInt64) -> String { TextFormat.fixed(Double(ns) / 1e6, 4) }
        func percentile(_ p: Int) -> UInt64 { samples[max(0, (runs * p + 99) / 100 - 1)] }
        let f = s.model.file
        if json {
            Platform.write("""
                {"model":\(TextFormat.json(f.modelName)),"runs":\(runs),"kernels":"\(s.interpreter.kernels.isa)",\
                "p50_ms":\(ms(percentile(50))),"p90_ms":\(ms(percentile(90))),"p99_ms":\(ms(percentile(99))),\
                "min_ms":\(ms(samples[0])),"mean_ms":\(ms(total / UInt64(runs))),"load_ms":\(ms(s.loadNanoseconds)),\
                "arena_bytes":\(f.arenaBytes),"mapped_bytes":\(s.model.mappedBytes),\
                "peak_rss_bytes":\(Platform.peakResidentBytes())}

                """, to: 1)
        } else {
            Platform.write("""
                model: \(f.modelName) (\(s.interpreter.kernels.isa) kernels), \(runs) runs after \(warmup) warm-up
                latency ms: p50 \(ms(percentile(50)))  p90 \(ms(percentile(90)))  p99 \(ms(percentile(99)))\
                  min \(ms(samples[0]))  mean \(ms(total / UInt64(runs)))
                load + prepare ms: \(ms(s.loadNanoseconds))
                arena bytes: \(f.arenaBytes)
                mapped bytes: \(s.model.mappedBytes)
                peak RSS bytes: \(Platform.peakResidentBytes())

                """, to: 1)
        }
        return 0
    }

    /// `--ops`: the total time of each op over `runs` inferences (the clock is read between
    /// ops, so the sum is a little above `bench`'s latency), sorted by op index, with its share.
    private static func profile(_ s: ModelSession, runs: Int) -> Int32 {
        let f = s.model.file
        var totals = [UInt64](repeating: 0, count: f.opCount)
        for _ in 0..<runs {
            var last = Platform.nanoseconds()
            s.interpreter.invoke(observing: { i in
                let now = Platform.nanoseconds()
                totals[i] &+= now - last
                last = now
            })
        }
        let all = max(totals.reduce(0, +), 1)
        var out = """
            model: \(f.modelName) (\(s.interpreter.kernels.isa) kernels), time per op over \(runs) runs
            op: kind, microseconds per run, share of the total, kernel

            """
        for k in 0..<f.opCount {
            let us = TextFormat.fixed(Double(totals[k]) / Double(runs) / 1e3, 2)
            let share = TextFormat.fixed(Double(totals[k]) * 100 / Double(all), 1)
            out += "  \(k). \(f.op(k).kind.name)  \(us) us  \(share)%  [\(s.interpreter.kernelName(k))]\n"
        }
        out += "total us/run: \(TextFormat.fixed(Double(all) / Double(runs) / 1e3, 2))\n"
        Platform.write(out, to: 1)
        return 0
    }
}
