import EdgeFormat
import EdgeRuntime

/// Human and JSON renderings of a run's outputs: top-k classes with labels, raw values.
enum OutputReport {
    struct Ranked {
        var index: Int
        var score: Float
    }

    /// The `k` best entries of the last axis of batch 0 (descending, ties by index).
    static func top(_ t: TensorView, _ k: Int) -> [Ranked] {
        let depth = t.shape.rank == 0 ? 1 : t.shape[t.shape.rank - 1]
        var best: [Ranked] = []
        for i in 0..<depth {
            let r = Ranked(index: i, score: t.value(at: i))
            var pos = best.count
            while pos > 0 && best[pos - 1].score < r.score { pos -= 1 }
            if pos < k {
                best.insert(r, at: pos)
                if best.count > k { best.removeLast() }
            }
        }
        return best
    }

    static func label(_ file: ModelFile, _ output: Int, _ index: Int) -> String? {
        output == 0 && index < file.labelCount ? file.label(index) : nil
    }

    static func text(_ s: ModelSession, latency: UInt64, top k: Int) -> String {
        let file = s.model.file
        var out = "model: \(file.modelName) (\(s.interpreter.kernels.isa) kernels)\n"
        for o in 0..<s.interpreter.outputCount {
            let t = s.interpreter.output(o)
            out += "output '\(t.name)' \(t.shape.text) \(t.dtype.name)\n"
            let ranked = top(t, k)
            if t.elementCount > 1 {
                for (n, r) in ranked.enumerated() {
                    let name = label(file, o, r.index).map { "\($0) (class \(r.index))" } ?? "class \(r.index)"
                    out += "  \(n + 1). \(name)  \(TextFormat.fixed(Double(r.score), 6))\n"
                }
            }
            if t.elementCount <= 16 {
                out += "  values:"
                for i in 0..<t.elementCount { out += " \(TextFormat.fixed(Double(t.value(at: i)), 6))" }
                out += "\n"
            }
            if o == 0, let best = ranked.first, t.elementCount > 1 {
                let name = label(file, o, best.index) ?? "class \(best.index)"
                out += "prediction: \(name) (score \(TextFormat.fixed(Double(best.score), 4)))\n"
            }
        }
        out += "latency: \(TextFormat.fixed(Double(latency) / 1e6, 3)) ms\n"
        return out
    }

    static func json(_ s: ModelSession, latency: UInt64, top k: Int) -> String {
        let file = s.model.file
        var out = "{\"model\":\(TextFormat.json(file.modelName)),\"latency_ms\":\(TextFormat.fixed(Double(latency) / 1e6, 4)),\"outputs\":["
        for o in 0..<s.interpreter.outputCount {
            let t = s.interpreter.output(o)
            out += "\(o == 0 ? "" : ","){\"name\":\(TextFormat.json(t.name)),\"dtype\":\"\(t.dtype.name)\",\"shape\":["
            for d in 0..<t.shape.rank { out += "\(d == 0 ? "" : ",")\(t.shape[d])" }
            out += "],\"top\":["
            for (n, r) in top(t, k).enumerated() {
                out += "\(n == 0 ? "" : ","){\"index\":\(r.index),\"score\":\(TextFormat.json(r.score))"
                if let l = label(file, o, r.index) { out += ",\"label\":\(TextFormat.json(l))" }
                out += "}"
            }
            out += "],\"values\":["
            for i in 0..<min(t.elementCount, 4096) { out += (i == 0 ? "" : ",") + TextFormat.json(t.value(at: i)) }
            out += "]}"
        }
        return out + "]}\n"
    }
}
