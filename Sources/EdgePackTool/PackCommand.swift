import ArgumentParser
import EdgeFormat
import EdgePack
import EdgeRuntime
import Foundation

/// `edgepack pack MODEL.onnx -o model.bin`.
struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert an ONNX or TFLite model into a model.bin (float32, or int8 with calibration data).",
        discussion: """
            The ONNX model must be float32, opset 11 to 21, with static input shapes
            (or fix them with --input-shape). The packed model keeps the ONNX
            inputs' and outputs' names, shapes, layouts (NCHW stays NCHW) and
            float32 type; inside it runs NHWC, with batch norms folded and
            activations fused. Before writing, edgepack reads the file back and
            prepares it with the runtime, so a model.bin it writes always loads.

            TFLite models (.tflite, told apart by their contents) may be float32
            or full-integer int8; an int8 model keeps its own scales and zero
            points and computes what TFLite's reference kernels compute.

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

              Entropy-calibrated ranges, bias correction, a float32 output
              layer, and the report as JSON:
                edgepack pack model.onnx -o model_int8.bin \\
                    --quantize int8 --calibration calib_dir/ \\
                    --calibration-method entropy --bias-correction \\
                    --keep-float fc --report report.json

              Weight-only int8 (dynamic-range): int8 Conv2D and FullyConnected
              weights, float32 activations; --calibration is optional and adds
              top-1 agreement and output error to the report:
                edgepack pack model.onnx -o model_dynamic.bin --dynamic \\
                    --calibration calib.npy --report report.json

              Fail fast when the model does not fit a board (see `edgepack check`):
                edgepack pack model.onnx -o model.bin --board rpi-zero-2w \\
                    --max-latency-ms 10

            With --board NAME, the packed model is checked against the board's budgets
            (`edgepack check`) before it is written. Over a budget, edgepack prints the
            check, writes nothing (an existing model.bin stays as it was) and exits 1.
            With --json, the check's JSON object is all edgepack prints.

            Weight layouts: by default every weight is written in the portable canonical
            layout, which every CPU's SIMD kernels read. Only when the target has AVX2 (a
            --board whose profile lists avx2, or --board host: the CPU running edgepack,
            with no budget check) are int8 Conv2D weights written as int16 for the x86
            4x16c2 tile (input zero-point term folded into the bias): about 5% faster
            convolutions there, but twice the Conv2D weight bytes, and such a file runs
            its convolutions with a slower portable kernel on other CPUs.
                edgepack pack model.onnx -o model_x86.bin --quantize int8 \\
                    --calibration calib.npy --board host

            With --quantize int8, edgepack prints a report: per-layer signal to
            quantization noise ratio (SQNR in dB, higher is better; below about
            20 dB a layer loses much precision) and cosine similarity, how often
            the float and int8 models pick the same class on the calibration
            set, the largest output error, and sizes. --keep-float-below DB keeps
            layers in float32, earliest first, until every int8 layer reaches DB.
            """)

    enum Precision: String, ExpressibleByArgument, CaseIterable { case int8 }
    enum Method: String, ExpressibleByArgument, CaseIterable { case minmax, percentile, mse, entropy }
    enum IO: String, ExpressibleByArgument, CaseIterable { case float, int8 }

    @Argument(help: ArgumentHelp("The ONNX or TFLite model to pack.", valueName: "model.onnx|model.tflite"))
    var model: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the packed model.", valueName: "model.bin"))
    var output: String

    @Option(help: "Model name stored in the file (default: the ONNX file's name).")
    var name: String?

    @Option(help: ArgumentHelp("Class labels for the first output, one per line.", valueName: "labels.txt"))
    var labels: String?

    @Option(help: ArgumentHelp("Quantize weights and activations to int8 (needs --calibration).", valueName: "int8"))
    var quantize: Precision?

    @Flag(help: "Weight-only int8 (dynamic-range): per-channel symmetric int8 Conv2D and FullyConnected weights, float32 activations; no calibration needed (--calibration adds accuracy figures).")
    var dynamic = false

    @Option(help: ArgumentHelp("Calibration inputs for --quantize int8: an .npy of shape [N, ...input shape], or a directory of such .npy files.", valueName: "data.npy|dir"))
    var calibration: String?

    @Option(name: .customLong("calibration-method"),
            help: ArgumentHelp("How activation ranges are chosen: observed min/max, a percentile, least squared error, or least KL divergence (entropy).", valueName: "minmax|percentile|mse|entropy"))
    var calibrationMethod: Method = .minmax

    @Option(help: ArgumentHelp("Quantile kept by --calibration-method percentile.", valueName: "99.99"))
    var percentile: Double = 99.99

    @Flag(name: .customLong("bias-correction"), help: "Fold each layer's expected weight-rounding error into its bias.")
    var biasCorrection = false

    @Option(name: .customLong("keep-float"), help: ArgumentHelp("Keep this layer in float32 (repeat for several; names as in the report).", valueName: "name"))
    var keepFloat: [String] = []

    @Option(name: .customLong("keep-float-below"),
            help: ArgumentHelp("Automatic mixed precision: keep layers float32, earliest first, while a layer's SQNR is below this many dB.", valueName: "dB"))
    var keepFloatBelow: Double?

    @Option(help: ArgumentHelp("Also write the quantization report as JSON.", valueName: "report.json"))
    var report: String?

    @Option(help: ArgumentHelp("Type of the int8 model's inputs and outputs.", valueName: "float|int8"))
    var io: IO = .float

    @Option(name: .customLong("input-shape"),
            help: ArgumentHelp("Fix an input's shape, e.g. image=1x3x32x32 (repeat for several inputs).", valueName: "name=dims"))
    var inputShapes: [String] = []

    @OptionGroup var boardCheck: BoardOptions

    @OptionGroup var pruning: PruneArguments

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if dynamic {
            let conflicts: [(String, Bool)] = [("--quantize int8", quantize != nil), ("--io", io != .float),
                                               ("--calibration-method", calibrationMethod != .minmax), ("--bias-correction", biasCorrection),
                                               ("--keep-float-below", keepFloatBelow != nil), ("--prune", pruning.prune != nil)]
            for (flag, used) in conflicts where used {
                throw ValidationError("--dynamic (int8 weights, float32 activations) cannot be combined with \(flag), which configures full int8 quantization: drop \(flag), or drop --dynamic")
            }
            _ = try Pack.parseInputShapes(inputShapes)
            return
        }
        if quantize == .int8 && calibration == nil {
            throw ValidationError("--quantize int8 needs calibration inputs: add --calibration data.npy (an .npy of shape [N, ...input shape])")
        }
        if calibration != nil && quantize == nil {
            throw ValidationError("--calibration \(calibration!) is only used with --quantize int8: add --quantize int8 or drop --calibration")
        }
        let int8Only: [(String, Bool)] = [("--calibration-method", calibrationMethod != .minmax), ("--bias-correction", biasCorrection),
                                          ("--keep-float", !keepFloat.isEmpty), ("--keep-float-below", keepFloatBelow != nil),
                                          ("--report", report != nil)]
        for (flag, used) in int8Only where used && quantize == nil {
            throw ValidationError("\(flag) only applies to --quantize int8: add --quantize int8 --calibration data.npy, or drop \(flag)")
        }
        if !(percentile > 50 && percentile <= 100) {
            throw ValidationError("--percentile \(percentile) must be in (50, 100], e.g. 99.99")
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
            var q = QuantizationOptions(calibration: try Pack.loadCalibration(calibration), calibrationName: calibration,
                                        io: io == .int8 ? .int8 : .float)
            q.method = CalibrationMethod(rawValue: calibrationMethod.rawValue)!
            q.percentile = percentile
            q.biasCorrection = biasCorrection
            q.keepFloat = Set(keepFloat)
            q.floatBelowSQNR = keepFloatBelow
            if !common.quiet && isatty(2) != 0 { q.progress = ProgressBar.draw }
            options.quantization = q
        }
        if dynamic {
            var d = DynamicOptions()
            if let calibration { d.calibration = try Pack.loadCalibration(calibration) }
            d.keepFloat = Set(keepFloat)
            options.dynamic = d
        }
        options.pruning = try pruning.options()
        // Weights in the layouts of the target's kernels (FORMAT.md, "Packed int8 Conv2D weights");
        // canonical without --board.
        if boardCheck.isHost {
            options.target = .host
        } else if let board = boardCheck.board {
            let profile = try BoardProfile.load(name: board, directory: try boardCheck.directory())
            options.target = .board(profile.name, isa: profile.isa)
        }
        let source = try Platform.readAll(path: model)
        let result = try Packer.pack(model: source, options: options)
        // Checked before writing, so an over-budget model never replaces a good file.
        let check = boardCheck.isHost ? nil : try boardCheck.board.map { _ in
            try boardCheck.check(try EdgeModel(bytes: result.final.bytes), path: output)
        }
        if let check, !check.fits {
            print(boardCheck.json ? check.json : check.text + "\nnot written: \(output)")
            throw ExitCode(1)
        }
        try Packer.write(result.final.bytes, to: output)
        if let quantization = result.report, let report {
            try Platform.writeAtomically(Array(quantization.json.utf8), to: report)
        }
        if let check, boardCheck.json {
            print(check.json)  // --json: the check's object is the whole output, for machines
            return
        }
        common.say(PackSummary.text(result.final, path: output))
        if let quantization = result.report { common.say(quantization.text) }
        if let pruning = result.pruning { common.say(pruning.text) }
        if let shortfall = result.pruning?.shortfall, common.quiet {
            FileHandle.standardError.write(Data("warning: \(shortfall)\n".utf8))  // --quiet still warns
        }
        if let check { common.say(check.text) }
    }

    /// One .npy, or every .npy of a directory in name order.
    static func loadCalibration(_ path: String) throws -> [(array: NPYArray, name: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EdgeError(.io, object: path, problem: "does not exist", fix: "give an .npy file or a directory of .npy files")
        }
        var files = [path]
        if isDirectory.boolValue {
            files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { $0.hasSuffix(".npy") }.sorted().map { path + "/" + $0 }
            if files.isEmpty {
                throw EdgeError(.input, object: path, problem: "holds no .npy files", fix: "put the calibration inputs there as .npy files")
            }
        }
        return try files.map { (try NPYArray(parsing: try Platform.readAll(path: $0), name: $0), $0) }
    }
}
