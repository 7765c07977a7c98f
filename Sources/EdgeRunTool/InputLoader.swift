import EdgeFormat
import EdgeRuntime

/// Fills a model input from an .npy or raw file, checking size, dtype and finiteness.
enum InputLoader {
    /// `path` nil or "-" reads standard input.
    static func load(_ path: String?, into tensor: TensorView) throws(EdgeError) {
        let source = path == nil || path!.is("-") ? nil : path
        let name = source ?? "standard input"
        if source == nil && Platform.standardInputIsTerminal {
            throw EdgeError(.usage, object: "input '\(tensor.name)'", problem: "no --input given and standard input is a terminal",
                            fix: "pass --input FILE.npy, or pipe \(tensor.byteCount) raw bytes into edgerun")
        }
        let bytes = try Platform.readAll(path: source)
        let object = "\(name) (input '\(tensor.name)')"
        if bytes.count >= 6 && bytes[0] == 0x93 && bytes[1] == 0x4E && bytes[2] == 0x55 {
            let array = try NPYArray(parsing: bytes, name: name)
            try fill(tensor, from: array, object: object)
        } else {
            if bytes.count != tensor.byteCount {
                throw EdgeError(.input, object: object,
                                problem: "raw input has \(bytes.count) bytes, the model expects \(tensor.byteCount) (\(tensor.shape.text) \(tensor.dtype.name))",
                                fix: "pass exactly one tensor of that size, or an .npy file")
            }
            bytes.withUnsafeBytes { if let base = $0.baseAddress { tensor.data.copyMemory(from: base, byteCount: $0.count) } }
        }
        try checkFinite(tensor, object: object)
    }

    private static func fill(_ tensor: TensorView, from array: NPYArray, object: String) throws(EdgeError) {
        if array.elementCount != tensor.elementCount || !sameIgnoringLeadingOnes(array.shape, tensor.shape.dims) {
            throw EdgeError(.input, object: object,
                            problem: "array shape \(shapeText(array.shape)) does not match the model input \(tensor.shape.text)",
                            fix: "reshape the array to \(tensor.shape.text)")
        }
        switch (tensor.dtype, array.element) {
        case (.float32, .float32), (.int8, .int8), (.uint8, .uint8), (.int16, .int16), (.int32, .int32), (.bool, .bool), (.uint16, .uint16),
             (.int64, .int64), (.float16, .float16), (.float8E4M3FN, .uint8), (.float8E5M2, .uint8):
            // float8 inputs arrive as their bit patterns in uint8 arrays (.npy has no float8 type).
            array.data.withUnsafeBytes { if let base = $0.baseAddress { tensor.data.copyMemory(from: base, byteCount: $0.count) } }
        case (.int4, .int8), (.uint4, .uint8):
            let range: ClosedRange<Int> = tensor.dtype == .int4 ? -8...7 : 0...15
            for i in 0..<array.elementCount {
                let v = tensor.dtype == .int4 ? Int(Int8(bitPattern: array.data[i])) : Int(array.data[i])
                if !range.contains(v) {
                    throw EdgeError(.input, object: object, problem: "element \(i) is \(v), outside the \(tensor.dtype.name) range \(range.lowerBound)...\(range.upperBound)",
                                    fix: "clip the values to the \(tensor.dtype.name) range")
                }
                tensor.data.storeBytes(of: array.data[i], toByteOffset: i, as: UInt8.self)
            }
        case (.float32, _):
            let out = tensor.data.assumingMemoryBound(to: Float.self)
            for i in 0..<array.elementCount { out[i] = array.float(at: i) }
        case (.float16, .float32), (.float16, .float64):
            let out = tensor.data.assumingMemoryBound(to: UInt16.self)
            for i in 0..<array.elementCount { out[i] = NarrowFloat.encode(array.float(at: i), .float16, saturate: false) }
        default:
            throw EdgeError(.input, object: object,
                            problem: "array dtype \(array.element.descr) cannot feed the model's \(tensor.dtype.name) input",
                            fix: tensor.dtype == .float8E4M3FN || tensor.dtype == .float8E5M2
                                ? "save the float8 bit patterns as a uint8 array (.npy has no float8 type)"
                                : "save the array as \(tensor.dtype.name)")
        }
    }

    private static func checkFinite(_ tensor: TensorView, object: String) throws(EdgeError) {
        guard tensor.dtype == .float32 || tensor.dtype.isNarrowFloat else { return }
        for i in 0..<tensor.elementCount where !tensor.value(at: i).isFinite {
            throw EdgeError(.input, object: object, problem: "element \(i) is \(tensor.value(at: i))",
                            fix: "replace NaN and infinite values before inference")
        }
    }

    static func sameIgnoringLeadingOnes(_ a: [Int], _ b: [Int]) -> Bool {
        var i = 0, j = 0
        while i < a.count && a[i] == 1 { i += 1 }
        while j < b.count && b[j] == 1 { j += 1 }
        if a.count - i != b.count - j { return false }
        while i < a.count {
            if a[i] != b[j] { return false }
            i += 1
            j += 1
        }
        return true
    }

    static func shapeText(_ dims: [Int]) -> String {
        var s = ""
        for (i, d) in dims.enumerated() { s += "\(i == 0 ? "" : "x")\(d)" }
        return dims.isEmpty ? "scalar" : s
    }
}
