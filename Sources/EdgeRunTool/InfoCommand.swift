import EdgeFormat
import EdgeRuntime

/// `edgerun info MODEL.bin [--json]`: what is inside a model.bin and how it will run here.
enum InfoCommand {
    static func run(_ args: inout Arguments) throws(EdgeError) -> Int32 {
        var pathArgument: String? = nil
        var json = false
        while let word = args.peek() {
            args.advance()
            if word.is("--json") { json = true }
            else { try args.operand(word, into: &pathArgument) }
        }
        let path = try args.required(pathArgument, "missing MODEL.bin")
        let s = try ModelSession(path: path)
        Platform.write(json ? renderJSON(s) : renderText(s), to: 1)
        return 0
    }

    static func tensorLine(_ t: TensorView) -> String {
        var line = "'\(t.name)' \(t.shape.text) \(t.dtype.name)"
        if let q = t.quantization { line += " (scale \(q.scale), zero point \(q.zeroPoint))" }
        return line
    }

    static func renderText(_ s: ModelSession) -> String {
        let f = s.model.file, i = s.interpreter
        var out = """
            model: \(f.modelName)
            producer: \(f.producer)
            format: \(f.majorVersion).\(f.minorVersion)
            file bytes: \(s.model.mappedBytes)
            constant bytes: \(f.constantBytes)
            arena bytes: \(f.arenaBytes)
            kernels: \(i.kernels.isa)
            load + prepare: \(TextFormat.fixed(Double(s.loadNanoseconds) / 1e6, 3)) ms

            """
        for k in 0..<i.inputCount { out += "input \(k): \(tensorLine(i.input(k)))\n" }
        for k in 0..<i.outputCount { out += "output \(k): \(tensorLine(i.output(k)))\n" }
        if f.labelCount > 0 {
            out += "labels (\(f.labelCount)):"
            for k in 0..<min(f.labelCount, 20) { out += " \(f.label(k))" }
            out += f.labelCount > 20 ? " ...\n" : "\n"
        }
        for k in 0..<f.keyValueCount {
            let kv = f.keyValue(k)
            out += "meta \(kv.key): \(kv.value)\n"
        }
        out += "ops (\(f.opCount)):\n"
        for k in 0..<f.opCount {
            let op = f.op(k)
            let name = f.string(op.name)
            let output = i.tensor(f.output(op, 0))
            out += "  \(k). \(op.kind.name) '\(name)' -> \(output.shape.text) \(output.dtype.name)  [\(i.kernelName(k))]\n"
        }
        out += "tensors (\(f.tensorCount)):\n"
        for k in 0..<f.tensorCount {
            let t = f.tensor(k)
            let place = t.storage == .arena ? "arena @\(t.dataOffset)" : "constant"
            let quant = t.quantCount > 1 ? " per-channel (\(t.quantCount))" : (t.quantCount == 1 ? " quantized" : "")
            out += "  \(k). '\(f.string(t.name))' \(t.shape.text) \(t.dtype.name) \(t.byteSize) B \(place)\(quant)\n"
        }
        return out
    }

    static func renderJSON(_ s: ModelSession) -> String {
        let f = s.model.file, i = s.interpreter
        var out = """
            {"model":\(TextFormat.json(f.modelName)),"producer":\(TextFormat.json(f.producer)),\
            "format":"\(f.majorVersion).\(f.minorVersion)","file_bytes":\(s.model.mappedBytes),\
            "constant_bytes":\(f.constantBytes),"arena_bytes":\(f.arenaBytes),"kernels":"\(i.kernels.isa)",
            """
        out += "\"inputs\":[\(tensorsJSON(i, outputs: false))],\"outputs\":[\(tensorsJSON(i, outputs: true))],\"labels\":["
        for k in 0..<f.labelCount { out += (k == 0 ? "" : ",") + TextFormat.json(f.label(k)) }
        out += "],\"ops\":["
        for k in 0..<f.opCount {
            let op = f.op(k)
            out += "\(k == 0 ? "" : ","){\"kind\":\"\(op.kind.name)\",\"name\":\(TextFormat.json(f.string(op.name))),\"kernel\":\"\(i.kernelName(k))\"}"
        }
        return out + "],\"tensors\":\(f.tensorCount)}\n"
    }

    /// The graph's inputs or outputs as JSON objects, comma-separated.
    static func tensorsJSON(_ i: Interpreter, outputs: Bool) -> String {
        var out = ""
        for n in 0..<(outputs ? i.outputCount : i.inputCount) {
            let t = outputs ? i.output(n) : i.input(n)
            out += "\(n == 0 ? "" : ","){\"name\":\(TextFormat.json(t.name)),\"dtype\":\"\(t.dtype.name)\",\"shape\":["
            for d in 0..<t.shape.rank { out += "\(d == 0 ? "" : ",")\(t.shape[d])" }
            out += "]"
            if let q = t.quantization { out += ",\"scale\":\(TextFormat.json(q.scale)),\"zero_point\":\(q.zeroPoint)" }
            out += "}"
        }
        return out
    }
}
