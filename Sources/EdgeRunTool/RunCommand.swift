import EdgeFormat
import EdgeRuntime

/// `edgerun MODEL.bin [--input FILE]... [--output FILE]... [--json] [--top K]`.
enum RunCommand {
    static func run(_ args: inout Arguments) throws(EdgeError) -> Int32 {
        var modelArgument: String? = nil
        var inputs: [String] = []
        var outputs: [String] = []
        var json = false
        var top = 5
        while let word = args.peek() {
            args.advance()
            if word.is("--input") || word.is("-i") {
                inputs.append(try args.value(for: "--input"))
            } else if word.is("--output") || word.is("-o") {
                outputs.append(try args.value(for: "--output"))
            } else if word.is("--json") {
                json = true
            } else if word.is("--top") {
                top = try args.integer(for: "--top", in: 1...1000)
            } else {
                try args.operand(word, into: &modelArgument)
            }
        }
        let modelPath = try args.required(modelArgument, "missing MODEL.bin")
        let session = try ModelSession(path: modelPath)
        let interpreter = session.interpreter
        if outputs.count > interpreter.outputCount {
            throw args.usage("\(outputs.count) --output given, the model has \(interpreter.outputCount) outputs")
        }
        try session.loadInputs(inputs)
        let start = Platform.nanoseconds()
        interpreter.invoke()
        let latency = Platform.nanoseconds() - start
        try checkOutputs(interpreter)
        for (i, path) in outputs.enumerated() {
            try Platform.writeAtomically(npy(interpreter.output(i)).serialized(), to: path)
        }
        let report = json ? OutputReport.json(session, latency: latency, top: top)
                          : OutputReport.text(session, latency: latency, top: top)
        Platform.write(report, to: 1)
        return 0
    }

    static func npy(_ t: TensorView) -> NPYArray {
        let element: NPYArray.Element
        switch t.dtype {
        case .float32: element = .float32
        case .int8: element = .int8
        case .uint8: element = .uint8
        case .int16: element = .int16
        case .int32: element = .int32
        case .bool: element = .bool
        case .uint16: element = .uint16
        case .int64: element = .int64
        case .float16: element = .float16
        // .npy has no float8 or 4-bit types: float8 elements are written as their bit patterns
        // (uint8), int4/uint4 one value per byte.
        case .float8E4M3FN, .float8E5M2, .uint4: element = .uint8
        case .int4: element = .int8
        }
        let data = Array(UnsafeRawBufferPointer(start: t.data, count: t.byteCount))
        return NPYArray(element: element, shape: t.shape.dims, data: data)
    }

    /// A NaN in an output means the input drove the model somewhere it cannot go; say so
    /// rather than print a confident wrong answer.
    static func checkOutputs(_ interpreter: Interpreter) throws(EdgeError) {
        for o in 0..<interpreter.outputCount {
            let t = interpreter.output(o)
            guard t.dtype == .float32 else { continue }
            for i in 0..<t.elementCount where t.value(at: i).isNaN {
                throw EdgeError(.input, object: "output '\(t.name)'", problem: "element \(i) is NaN",
                                fix: "check the input's scale and range against what the model was trained on")
            }
        }
    }
}
