import EdgeFormat
import EdgeRuntime
import Foundation

/// How an int8 model compares with its float original, both run by the runtime.
public struct QuantizationReport {
    public struct Layer {
        public var name: String
        public var op: String
        /// 10 log10(sum f^2 / sum (f - q)^2) over all samples, in dB (infinity when exact).
        public var sqnr: Double
        /// sum f q / (|f| |q|) over all samples: 1 when the int8 layer points the same way.
        public var cosine: Double
        /// Whether the layer runs in float32 (mixed precision).
        public var isFloat: Bool
    }

    /// Per-layer SQNR in execution order of the int8 model.
    public var layers: [Layer]
    public var samples: Int
    /// Fraction of samples whose arg-max of output 0 is the same in both models.
    public var top1Agreement: Double
    public var floatFileBytes: Int
    public var int8FileBytes: Int
    public var floatConstantBytes: Int
    public var int8ConstantBytes: Int
    public var floatArenaBytes: Int
    public var int8ArenaBytes: Int
    /// Largest |float - int8| over output 0's elements and all samples.
    public var maxOutputError: Double
    public var calibrationMethod = "minmax"
    public var biasCorrection = false
    /// Layers kept in float32 (by --keep-float or automatic mixed precision).
    public var floatLayers: [String] = []
    /// Weight-only int8 (`--dynamic`): activations stay float32. Without samples, `layers`
    /// holds the converted layers' weight SQNR and cosine.
    public var dynamicRange = false

    /// Runs both models on every sample, comparing each int8 op output (dequantized) with
    /// the float value it stands for.
    public static func evaluate(float: PackedModel, int8: PackedModel, counterpart: [ValueID: ValueID],
                                samples: [[Float]]) throws(EdgeError) -> QuantizationReport {
        let fi = try float.interpreter(), qi = try int8.interpreter()
        let fg = float.graph, qg = int8.graph
        var signal = [Double](repeating: 0, count: qg.nodes.count)
        var noise = [Double](repeating: 0, count: qg.nodes.count)
        var dot = [Double](repeating: 0, count: qg.nodes.count)
        var power = [Double](repeating: 0, count: qg.nodes.count)
        var agree = 0
        var maxOutputError = 0.0
        for sample in samples {
            var reference: [ValueID: [Float]] = [fg.inputs[0]: sample]
            ModelIO.feed(fi, sample)
            fi.invoke { op in
                for o in fg.nodes[op].outputs { reference[o] = ModelIO.values(fi.tensor(float.lowered.tensorIndex[o]!)) }
            }
            ModelIO.feed(qi, sample)
            qi.invoke { op in
                let o = qg.nodes[op].outputs[0]
                guard let f = counterpart[o].flatMap({ reference[$0] }) else { return }
                var k = 0
                ModelIO.forEachValue(qi.tensor(int8.lowered.tensorIndex[o]!)) { x in
                    let d = Double(x) - Double(f[k])
                    signal[op] += Double(f[k]) * Double(f[k])
                    noise[op] += d * d
                    dot[op] += Double(f[k]) * Double(x)
                    power[op] += Double(x) * Double(x)
                    k += 1
                }
            }
            let fo = ModelIO.values(fi.output(0)), qo = ModelIO.values(qi.output(0))
            if argmax(fo) == argmax(qo) { agree += 1 }
            for k in fo.indices { maxOutputError = max(maxOutputError, abs(Double(fo[k]) - Double(qo[k]))) }
        }
        var layers: [Layer] = []
        for (i, n) in qg.nodes.enumerated() where counterpart[n.outputs[0]] != nil {
            if case .dequantize = n.op { continue }
            let sqnr = noise[i] == 0 ? Double.infinity : 10 * log10(max(signal[i], 1e-30) / noise[i])
            let norms = (signal[i] * power[i]).squareRoot()
            let cosine = norms == 0 ? (signal[i] == power[i] ? 1 : 0) : dot[i] / norms
            layers.append(Layer(name: n.name, op: n.op.name, sqnr: sqnr, cosine: cosine, isFloat: qg[n.outputs[0]].dtype == .float32))
        }
        return QuantizationReport(
            layers: layers, samples: samples.count,
            top1Agreement: samples.isEmpty ? 1 : Double(agree) / Double(samples.count),
            floatFileBytes: float.bytes.count, int8FileBytes: int8.bytes.count,
            floatConstantBytes: float.lowered.constantBytes, int8ConstantBytes: int8.lowered.constantBytes,
            floatArenaBytes: float.arenaBytes, int8ArenaBytes: int8.arenaBytes, maxOutputError: maxOutputError)
    }

    static func argmax(_ v: [Float]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }

    /// The report as printed by `edgepack pack --quantize int8`.
    public var text: String {
        var lines = ["int8 quantization report (\(samples) calibration samples, \(calibrationMethod) ranges" +
                     (biasCorrection ? ", bias correction" : "") + "; runtime float vs int8):"]
        if dynamicRange {
            lines = [samples > 0 ? "dynamic-range int8 report (int8 weights, float32 activations; \(samples) calibration samples, runtime float vs dynamic):"
                                 : "dynamic-range int8 report (int8 weights, float32 activations; no --calibration: weight SQNR per layer):"]
        }
        let width = max(5, layers.map { $0.name.count }.max() ?? 5)
        lines.append("  " + pad("layer", width) + "  " + pad("op", 16) + "  SQNR (dB)    cosine")
        for l in layers {
            let db = l.sqnr.isInfinite ? "   exact" : String(format: "%8.1f", l.sqnr)
            lines.append("  " + pad(l.name, width) + "  " + pad(l.op, 16) + "  " + db + String(format: "  %9.5f", l.cosine) +
                         (l.isFloat ? "  float32" : ""))
        }
        if !floatLayers.isEmpty { lines.append("  float32 layers (mixed precision): " + floatLayers.joined(separator: ", ")) }
        if samples > 0 || !dynamicRange {
            lines.append(String(format: "  top-1 agreement with float: %.2f %% (%d/%d); max |output error| %.4g", 100 * top1Agreement,
                                Int((top1Agreement * Double(samples)).rounded()), samples, maxOutputError))
        }
        lines.append("  model.bin: \(formatBytes(floatFileBytes)) float -> \(formatBytes(int8FileBytes)) int8 (" +
                     String(format: "%.2fx smaller", Double(floatFileBytes) / Double(max(int8FileBytes, 1))) + ")")
        lines.append("  weights:   \(formatBytes(floatConstantBytes)) float -> \(formatBytes(int8ConstantBytes)) int8")
        lines.append("  arena:     \(formatBytes(floatArenaBytes)) float -> \(formatBytes(int8ArenaBytes)) int8")
        return lines.joined(separator: "\n")
    }
}

extension QuantizationReport {
    /// The report as `--report report.json` writes it.
    public var json: String {
        func number(_ x: Double) -> Any { x.isFinite ? x : (x > 0 ? "inf" : "-inf") }
        let object: [String: Any] = [
            "samples": samples,
            "calibration_method": dynamicRange ? "dynamic" : calibrationMethod,
            "mode": dynamicRange ? (samples > 0 ? "dynamic-range" : "dynamic-range, weight SQNR") : "int8",
            "bias_correction": biasCorrection,
            "float_layers": floatLayers,
            "top1_agreement": samples > 0 || !dynamicRange ? top1Agreement as Any : NSNull(),
            "max_output_error": samples > 0 || !dynamicRange ? maxOutputError as Any : NSNull(),
            "layers": layers.map { ["name": $0.name, "op": $0.op, "sqnr_db": number($0.sqnr), "cosine": $0.cosine,
                                    "precision": $0.isFloat ? "float32" : "int8"] as [String: Any] },
            "sizes": ["float_file_bytes": floatFileBytes, "int8_file_bytes": int8FileBytes,
                      "float_weight_bytes": floatConstantBytes, "int8_weight_bytes": int8ConstantBytes,
                      "float_arena_bytes": floatArenaBytes, "int8_arena_bytes": int8ArenaBytes],
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

/// "12,345 B".
func formatBytes(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out + " B"
}
