import EdgeFormat
import EdgeRuntime

/// What `Packer.pack` should produce.
public struct PackOptions {
    /// Model name stored in METADATA (default: the source file name without extension).
    public var name: String?
    /// Class labels for the first output's last axis.
    public var labels: [String] = []
    /// Static shapes for graph inputs by name (fixes dynamic dims).
    public var inputShapes: [String: [Int]] = [:]
    /// int8 post-training quantization, or nil for a float model.
    public var quantization: QuantizationOptions?
    /// The source file name, for errors and METADATA.
    public var sourceName = "model.onnx"
    /// Pruning before int8 quantization (needs `quantization` for its calibration data).
    public var pruning: PruneOptions?
    /// Weight-only int8 (dynamic-range) quantization; exclusive with `quantization`.
    public var dynamic: DynamicOptions?
    /// The CPU whose kernels' weight layouts the file carries (FORMAT.md, "Packed int8 Conv2D
    /// weights"); the file runs on every CPU either way. Canonical unless the caller names a
    /// target: layout 2 doubles the Conv2D weight bytes for a few percent on AVX2 only.
    public var target: PackTarget = .canonical

    public init() {}
}

/// int8 post-training quantization settings.
public struct QuantizationOptions {
    /// Calibration inputs, in order: each `[N, *input shape]` or `[N, *input shape without
    /// the batch of 1]` (one .npy, or every .npy of a directory).
    public var calibration: [(array: NPYArray, name: String)]
    /// The file or directory the calibration data came from, for messages.
    public var calibrationName: String
    /// Whether graph inputs and outputs stay float (Quantize/Dequantize inside) or are int8.
    public var io: IOType
    public var method: CalibrationMethod = .minmax
    /// Quantile kept by `.percentile` (99.99 keeps all but the 0.01 % largest and smallest).
    public var percentile: Double = 99.99
    /// Folds each layer's expected weight-rounding error into its bias.
    public var biasCorrection = false
    /// Node names that stay float32 whatever their error.
    public var keepFloat: Set<String> = []
    /// Automatic mixed precision: while a layer's SQNR is below this many dB, the earliest
    /// such layer stays float32 (nil: off).
    public var floatBelowSQNR: Double?
    /// Reports calibration progress (pass name, samples done, samples total).
    public var progress: Calibration.Progress?

    public enum IOType: String, Sendable { case float, int8 }

    public init(calibration: NPYArray, calibrationName: String, io: IOType = .float) {
        self.init(calibration: [(calibration, calibrationName)], calibrationName: calibrationName, io: io)
    }

    public init(calibration: [(array: NPYArray, name: String)], calibrationName: String, io: IOType = .float) {
        self.calibration = calibration
        self.calibrationName = calibrationName
        self.io = io
    }
}

/// Weight-only int8 settings (`edgepack pack --dynamic`).
public struct DynamicOptions {
    /// Inputs to compare the float and dynamic-range models on (optional: without them the
    /// report gives each layer's weight SQNR and cosine).
    public var calibration: [(array: NPYArray, name: String)] = []
    /// Node names whose weights stay float32.
    public var keepFloat: Set<String> = []

    public init() {}
}

/// One packed model: the graph it came from, its model.bin description and bytes. The bytes
/// have been read back with `ModelFile(validating:)` and prepared by `Interpreter`.
public struct PackedModel {
    public var graph: Graph
    public var lowered: LoweredModel
    public var bytes: [UInt8]

    public var arenaBytes: Int { lowered.description.arenaBytes }
    public var opCount: Int { lowered.description.ops.count }
    /// Number of constant elements (weights and biases).
    public var parameterCount: Int {
        lowered.description.tensors.filter { $0.constantData != nil }.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// A fresh interpreter over these bytes.
    public func interpreter() throws(EdgeError) -> Interpreter {
        try Interpreter(model: try EdgeModel(bytes: bytes), kernels: .forThisMachine())
    }
}

/// The result of `Packer.pack`.
public struct PackResult {
    public var float: PackedModel
    public var quantized: PackedModel?
    public var report: QuantizationReport?
    /// Per-layer pruning results when packing with `PackOptions.pruning`.
    public var pruning: PruneReport?

    /// The model to write: the int8 one when quantizing, else the float one.
    public var final: PackedModel { quantized ?? float }
}

/// ONNX in, model.bin out: import, optimize, lower, serialize, verify; optionally calibrate,
/// quantize to int8 and evaluate.
public enum Packer {
    public static let producer = "edgepack 0.1.0"

    public static func pack(onnx bytes: [UInt8], options: PackOptions) throws(EdgeError) -> PackResult {
        let imported = try ONNXImporter.importModel(bytes, inputShapes: options.inputShapes, source: options.sourceName)
        let graph = try Optimizer.prepareForRuntime(imported)
        return try pack(graph: graph, options: options)
    }

    /// Packs an already runtime-ready graph (NHWC, runtime ops only).
    public static func pack(graph: Graph, options: PackOptions) throws(EdgeError) -> PackResult {
        let name = options.name ?? modelName(fromPath: options.sourceName)
        if !options.labels.isEmpty, let first = graph.outputs.first, graph[first].shape.last != options.labels.count {
            throw EdgeError(.usage, object: "--labels", problem: "has \(options.labels.count) labels, the first output has \(graph[graph.outputs[0]].shape.last ?? 1) classes",
                            fix: "give one label per class, one per line")
        }
        // The file name only: the packing host's directories mean nothing on the device.
        var keyValues = [("source", fileName(options.sourceName))]
        let float = try build(graph, name: name, labels: options.labels, keyValues: keyValues + [("precision", "float32")], target: options.target)
        if let d = options.dynamic {
            if options.quantization != nil || options.pruning != nil {
                throw EdgeError(.usage, object: "--dynamic", problem: "cannot be combined with --quantize int8 or pruning (weight-only int8 keeps float activations)",
                                fix: "use either --dynamic, or --quantize int8 --calibration data.npy")
            }
            return try packDynamic(float, name: name, labels: options.labels, keyValues: keyValues, options: d)
        }
        guard let q = options.quantization else { return PackResult(float: float) }
        if let v = graph.inputs.first(where: { graph[$0].dtype != .float32 }) {
            throw EdgeError(.unsupported, object: "input '\(graph[v].name)'", problem: "is \(graph[v].dtype.name); int8 quantization needs float32 inputs",
                            fix: "pack the model without quantization, or export it with float32 inputs")
        }

        let samples = try CalibrationSet.samples(q.calibration, for: graph)
        // Pruning (with least-squares reconstruction) happens in float, before calibration.
        var calibrated = float, pruned: [PrunedLayer]? = nil
        if let p = options.pruning {
            let (prunedGraph, layers) = try Pruner.prune(graph, samples: samples, options: p)
            calibrated = try build(prunedGraph, name: name, labels: options.labels, keyValues: keyValues + [("precision", "float32")], target: options.target)
            pruned = layers
        }
        let base = calibrated.graph
        var stats = try Calibration.statistics(of: calibrated, samples: samples, method: q.method, percentile: q.percentile,
                                               progress: q.progress)
        // QDQ models: the model's own activation parameters win over calibration.
        for v in base.valueIDs { if let r = base[v].sourceRange { stats.ranges[v] = r } }
        let known = Set(base.nodes.map(\.name))
        for name in q.keepFloat.sorted() where !known.contains(name) {
            throw EdgeError(.usage, object: "--keep-float \(name)", problem: "names no layer of the model",
                            fix: "use a layer name from the quantization report (\(base.nodes.prefix(6).map(\.name).joined(separator: ", "))...)")
        }
        var settings = Quantizer.Settings(io: q.io)
        settings.floatNodes = q.keepFloat
        settings.channelMeans = q.biasCorrection ? stats.channelMeans : nil
        // One compact pair: the calibration file and the int8 scheme (FORMAT.md) are the
        // packing host's business; METADATA strings cost bytes on the device.
        var method = "post-training \(q.method.rawValue)"
        if q.biasCorrection { method += ", bias correction" }
        keyValues += [("precision", "int8"), ("quantization", method + ", \(samples.count) samples")]
        while true {
            var quantized = try Quantizer.quantize(base, ranges: stats.ranges, settings: settings)
            var kv = keyValues
            var layers = pruned
            if let p = options.pruning, var l = layers {
                PruneReport.chooseStorage(&quantized.graph, &l, policy: p.storage, pattern: p.pattern)
                kv += PruneReport.metadata(l, options: p)
                layers = l
            }
            if !settings.floatNodes.isEmpty { kv.append(("float layers", settings.floatNodes.sorted().joined(separator: ", "))) }
            let int8 = try build(quantized.graph, name: name, labels: options.labels, keyValues: kv, target: options.target)
            var report = try QuantizationReport.evaluate(float: float, int8: int8, counterpart: quantized.floatCounterpart,
                                                         samples: samples)
            report.calibrationMethod = q.method.rawValue
            report.biasCorrection = q.biasCorrection
            report.floatLayers = settings.floatNodes.sorted()
            if let threshold = q.floatBelowSQNR,
               let worst = report.layers.first(where: { $0.sqnr < threshold && !settings.floatNodes.contains($0.name) && known.contains($0.name) }) {
                settings.floatNodes.insert(worst.name)
                continue
            }
            let pruneReport = layers.map { PruneReport(layers: $0, floatFileBytes: float.bytes.count, finalFileBytes: int8.bytes.count,
                                                           target: options.pruning?.ratio) }
            return PackResult(float: float, quantized: int8, report: report, pruning: pruneReport)
        }
    }

    /// Lowers, serializes, reads back and prepares `graph`.
    public static func build(_ graph: Graph, name: String, labels: [String] = [],
                             keyValues: [(String, String)] = [], target: PackTarget = .canonical) throws(EdgeError) -> PackedModel {
        let lowered = try Lowering.lower(graph, name: name, producer: producer, labels: labels, keyValues: keyValues,
                                         target: target)
        let bytes = ModelWriter.serialize(lowered.description)
        let packed = PackedModel(graph: graph, lowered: lowered, bytes: bytes)
        do {
            _ = try packed.interpreter()
        } catch {
            throw EdgeError(error.kind, object: "packed " + error.object, problem: error.problem,
                            fix: "edgepack produced a model this runtime rejects: please report the model (\(error.fix))")
        }
        return packed
    }

    /// Writes `bytes` to `path` through a temporary file and a rename: no partial file on error.
    public static func write(_ bytes: [UInt8], to path: String) throws(EdgeError) {
        try Platform.writeAtomically(bytes, to: path)
    }

    /// "models/digits_cnn.onnx" -> "digits_cnn.onnx".
    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// "models/digits_cnn.onnx" -> "digits_cnn"; "digits_cnn/model.onnx" -> "digits_cnn".
    public static func modelName(fromPath path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        let file = parts.last ?? path
        var stem = file
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { stem = String(file[..<dot]) }
        if stem == "model" && parts.count >= 2 { return parts[parts.count - 2] }
        return stem
    }
}
