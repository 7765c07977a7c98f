import EdgeFormat

extension Packer {
    /// The source formats `pack(model:options:)` recognizes.
    public enum SourceFormat: String, Sendable { case onnx, tflite }

    /// TFLite files carry the identifier "TFL3" at byte 4; everything else is read as ONNX.
    public static func sourceFormat(of bytes: [UInt8]) -> SourceFormat {
        bytes.count >= 8 && Array(bytes[4..<8]) == Array("TFL3".utf8) ? .tflite : .onnx
    }

    /// Packs an ONNX or TFLite file, told apart by their contents.
    public static func pack(model bytes: [UInt8], options: PackOptions) throws(EdgeError) -> PackResult {
        switch sourceFormat(of: bytes) {
        case .onnx: return try pack(onnx: bytes, options: options)
        case .tflite: return try pack(tflite: bytes, options: options)
        }
    }

    /// TFLite in, model.bin out. A float32 model goes through the graph passes and, with
    /// `options.quantization`, post-training int8 quantization, like an ONNX model. A
    /// full-integer int8 model is lowered as it is, with the file's own quantization, so that
    /// it computes what TFLite's reference kernels compute; it is returned as `float` (the
    /// packed model as imported) with no `quantized` model.
    public static func pack(tflite bytes: [UInt8], options: PackOptions) throws(EdgeError) -> PackResult {
        if !options.inputShapes.isEmpty {
            throw EdgeError(.usage, object: "--input-shape", problem: "applies to ONNX models; a TFLite model's shapes are fixed in the file",
                            fix: "drop --input-shape, or re-convert the model with the shape you need")
        }
        let imported = try TFLiteImporter.importModel(bytes, source: options.sourceName)
        guard imported.isQuantized else {
            return try pack(graph: try Optimizer.prepareForRuntime(imported.graph), options: options)
        }
        if options.quantization != nil || options.dynamic != nil {
            throw EdgeError(.usage, object: options.sourceName, problem: "is already quantized to int8 (its tensors carry scales and zero points)",
                            fix: "drop --quantize, --dynamic and --calibration: edgepack keeps the model's own int8 parameters")
        }
        let name = options.name ?? modelName(fromPath: options.sourceName)
        let graph = imported.graph
        if !options.labels.isEmpty, let first = graph.outputs.first, graph[first].shape.last != options.labels.count {
            throw EdgeError(.usage, object: "--labels", problem: "has \(options.labels.count) labels, the first output has \(graph[first].shape.last ?? 1) classes",
                            fix: "give one label per class, one per line")
        }
        let keyValues = [("source", fileName(options.sourceName)), ("precision", "int8"),
                         ("quantization", "from the TFLite file (per-channel symmetric weights, asymmetric activations)")]
        return PackResult(float: try build(graph, name: name, labels: options.labels, keyValues: keyValues, target: options.target))
    }
}
