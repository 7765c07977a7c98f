import ArgumentParser
import EdgeFormat
import EdgePack
import EdgeRuntime
import Foundation

/// `edgepack pack MODEL.onnx -o model.bin`.
struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert an ONNX model into a model.bin (float32, or int8 with calibration data).",
        discussion: """
            The ONNX model must be float32, opset 11 to 21, with static input shapes
            (or fix them with --input-shape). The packed model keeps the ONNX
            inputs' and outputs' names, shapes, layouts (NCHW stays NCHW) and
            float32 type; inside it runs NHWC, with batch norms folded and
            activations fused. Before writing, edgepack reads the file back and
            prepares it with the runtime, so a model.bin it writes always loads.

            Examples:
              Float model:
                edgepack pack model.onnx -o model.bin

              With class labels (one per line) and a name:
                edgepack pack model.onnx -o model.bin \\
                    --labels labels.txt --name digits

              Model with a dynamic batch dimension:
                edgepack pack mobilenet.onnx -o mobilenet.bin \\
                    --input-shape input=1x3x224x224

              int8, calibrated on representative inputs (an .npy of shape
              [N, ...input shape]), with float32 inputs and outputs (a Quantize
              and a Dequantize are added inside the model):
                edgepack pack model.onnx -o model_int8.bin \\
                    --quantize int8 --calibration calib.npy

              int8 all the way, inputs and outputs included:
                edgepack pack model.onnx -o model_int8.bin \\
                    --quantize int8 --calibration calib.npy --io int8

            With --quantize int8, edgepack prints a report: per-layer signal to
            quantization noise ratio (SQNR in dB, higher is better; below about
            20 dB a layer loses much precision), how often the float and int8
            models pick the same class on the calibration set, and sizes.
            """)

    enum Precision: String, ExpressibleByArgument, CaseIterable { case int8 }
    enum IO: String, ExpressibleByArgument, CaseIterable { case float, int8 }

    @Argument(help: ArgumentHelp("The ONNX model to pack.", valueName: "model.onnx"))
    var model: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the packed model.", valueName: "model.bin"))
    var output: String

    @Option(help: "Model name stored in the file (default: the ONNX file's name).")
    var name: String?

    @Option(help: ArgumentHelp("Class labels for the first output, one per line.", valueName: "labels.txt"))
    var labels: String?

    @Option(help: ArgumentHelp("Quantize weights and activations to int8 (needs --calibration).", valueName: "int8"))
    var quantize: Precision?

    @Option(help: ArgumentHelp("Calibration inputs for --quantize int8: an .npy of shape [N, ...input shape].", valueName: "data.npy"))
    var calibration: String?

    @Option(help: ArgumentHelp("Type of the int8 model's inputs and outputs.", valueName: "float|int8"))
    var io: IO = .float

    @Option(name: .customLong("input-shape"),
            help: ArgumentHelp("Fix an input's shape, e.g. image=1x3x32x32 (repeat for several inputs).", valueName: "name=dims"))
    var inputShapes: [String] = []

    @OptionGroup var pruning: PruneArguments

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if quantize == .int8 && calibration == nil {
            throw ValidationError("--quantize int8 needs calibration inputs: add --calibration data.npy (an .npy of shape [N, ...input shape])")
        }
        if calibration != nil && quantize == nil {
            throw ValidationError("--calibration \(calibration!) is only used with --quantize int8: add --quantize int8 or drop --calibration")
        }
        if io == .int8 && quantize == nil {
            throw ValidationError("--io int8 needs an int8 model: add --quantize int8 --calibration data.npy, or drop --io")
        }
        _ = try Pack.parseInputShapes(inputShapes)
        try pruning.validate(quantized: quantize == .int8)
    }

    /// "image=1x3x32x32" -> ["image": [1, 3, 32, 32]].
    static func parseInputShapes(_ specs: [String]) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for spec in specs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--input-shape '\(spec)' is not NAME=DIMS: write it like image=1x3x32x32")
            }
            let dims = parts[1].split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--input-shape '\(spec)': dims '\(parts[1])' must be positive integers joined by 'x', like 1x3x32x32")
            }
            if shapes[parts[0]] != nil { throw ValidationError("--input-shape gives input '\(parts[0])' twice: keep one") }
            shapes[parts[0]] = dims.map { $0! }
        }
        return shapes
    }

    func run() throws {
        var options = PackOptions()
        options.sourceName = model
        options.name = name
        options.inputShapes = try Pack.parseInputShapes(inputShapes)
        if let labels {
            let text = String(decoding: try Platform.readAll(path: labels), as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            while lines.last?.isEmpty == true { lines.removeLast() }
            if lines.isEmpty {
                throw EdgeError(.input, object: labels, problem: "holds no labels", fix: "write one label per line")
            }
            options.labels = lines
        }
        if quantize == .int8, let calibration {
            let array = try NPYArray(parsing: try Platform.readAll(path: calibration), name: calibration)
            options.quantization = QuantizationOptions(calibration: array, calibrationName: calibration,
                                                       io: io == .int8 ? .int8 : .float)
        }
        options.pruning = try pruning.options()
        let onnx = try Platform.readAll(path: model)
        let result = try Packer.pack(onnx: onnx, options: options)
        try Packer.write(result.final.bytes, to: output)
        common.say(PackSummary.text(result.final, path: output))
        if let report = result.report { common.say(report.text) }
        if let report = result.pruning { common.say(report.text) }
    }
}
