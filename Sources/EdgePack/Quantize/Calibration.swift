import EdgeFormat
import EdgeRuntime

/// The observed real range of a tensor.
public struct ValueRange: Equatable, Sendable {
    public var min: Float
    public var max: Float

    public init(min: Float, max: Float) {
        self.min = min
        self.max = max
    }

    public static let empty = ValueRange(min: .infinity, max: -.infinity)

    public mutating func include(_ x: Float) {
        if x < min { min = x }
        if x > max { max = x }
    }

    public mutating func include(_ other: ValueRange) {
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }
}

/// Splits calibration arrays into one input per sample.
public enum CalibrationSet {
    /// Accepts arrays of `[N, *input shape]`, or `[N, *input shape without its leading 1]`
    /// (the usual "stack of samples" layout); several arrays (a directory of .npy files) are
    /// concatenated in order. Single-input models only.
    public static func samples(_ arrays: [(array: NPYArray, name: String)], for graph: Graph) throws(EdgeError) -> [[Float]] {
        var all: [[Float]] = []
        for (array, name) in arrays { all += try samples(array, name: name, for: graph) }
        return all
    }

    public static func samples(_ array: NPYArray, name: String, for graph: Graph) throws(EdgeError) -> [[Float]] {
        guard graph.inputs.count == 1 else {
            throw EdgeError(.usage, object: name, problem: "the model has \(graph.inputs.count) inputs; one calibration .npy feeds a single-input model",
                            fix: "quantize a single-input model, or report the use case")
        }
        let input = graph[graph.inputs[0]].shape
        let withoutBatch = input.first == 1 ? Array(input.dropFirst()) : input
        let rest = Array(array.shape.dropFirst())
        guard let n = array.shape.first, n >= 1, rest == input || rest == withoutBatch else {
            throw EdgeError(.input, object: name,
                            problem: "has shape [\(array.shape.map(String.init).joined(separator: ", "))], expected [N, \(input.map(String.init).joined(separator: ", "))] or [N, \(withoutBatch.map(String.init).joined(separator: ", "))] for input '\(graph[graph.inputs[0]].name)'",
                            fix: "stack the calibration inputs along a new first axis (numpy.stack) and save with numpy.save")
        }
        let size = input.reduce(1, *)
        var samples: [[Float]] = []
        samples.reserveCapacity(n)
        for s in 0..<n {
            let sample = (0..<size).map { array.float(at: s * size + $0) }
            if sample.contains(where: { !$0.isFinite }) {
                throw EdgeError(.input, object: name, problem: "sample \(s) contains NaN or infinity", fix: "clean the calibration data")
            }
            samples.append(sample)
        }
        return samples
    }
}

/// What calibration learned about every tensor of the float model.
public struct CalibrationStatistics: Sendable {
    /// The int8 range chosen for each value (by the calibration method).
    public var ranges: [ValueID: ValueRange] = [:]
    /// The observed minimum and maximum of each value.
    public var observed: [ValueID: ValueRange] = [:]
    /// Mean of each value per channel (last axis, NHWC), over samples and positions: the
    /// expected input that bias correction weighs weight errors with.
    public var channelMeans: [ValueID: [Double]] = [:]
}

/// Runs a float packed model over calibration samples, through the runtime, and records
/// every tensor's range (and per-channel mean).
public enum Calibration {
    /// Called after each sample of each pass with (pass name, samples done, samples total).
    public typealias Progress = (String, Int, Int) -> Void

    public static func statistics(of model: PackedModel, samples: [[Float]], method: CalibrationMethod = .minmax,
                                  percentile: Double = 99.99, progress: Progress? = nil) throws(EdgeError) -> CalibrationStatistics {
        let interpreter = try model.interpreter()
        let graph = model.graph
        let index = model.lowered.tensorIndex
        var stats = CalibrationStatistics()
        var sums: [ValueID: [Double]] = [:]
        var positions: [ValueID: Int] = [:]
        func observe(_ v: ValueID, _ values: [Float]) {
            var r = stats.observed[v] ?? .empty
            let channels = graph[v].shape.last ?? 1
            var sum = sums[v] ?? [Double](repeating: 0, count: channels)
            for (i, x) in values.enumerated() {
                r.include(x)
                sum[i % channels] += Double(x)
            }
            stats.observed[v] = r
            sums[v] = sum
            positions[v, default: 0] += values.count / channels
        }
        for (s, sample) in samples.enumerated() {
            ModelIO.feed(interpreter, sample)
            observe(graph.inputs[0], sample)
            interpreter.invoke { op in
                for o in graph.nodes[op].outputs { observe(o, ModelIO.values(interpreter.tensor(index[o]!))) }
            }
            progress?("ranges", s + 1, samples.count)
        }
        for (v, sum) in sums { stats.channelMeans[v] = sum.map { $0 / Double(max(positions[v] ?? 1, 1)) } }
        guard method != .minmax else {
            stats.ranges = stats.observed
            return stats
        }
        var histograms: [ValueID: Histogram] = [:]
        for (v, r) in stats.observed { histograms[v] = Histogram(lo: r.min, hi: r.max) }
        for (s, sample) in samples.enumerated() {
            ModelIO.feed(interpreter, sample)
            for x in sample { histograms[graph.inputs[0]]!.add(x) }
            interpreter.invoke { op in
                for o in graph.nodes[op].outputs {
                    ModelIO.forEachValue(interpreter.tensor(index[o]!)) { histograms[o]!.add($0) }
                }
            }
            progress?("histograms", s + 1, samples.count)
        }
        for (v, h) in histograms { stats.ranges[v] = RangeEstimation.range(h, method: method, percentile: percentile) }
        return stats
    }

    /// The observed ranges only (minmax), as earlier callers expect.
    public static func ranges(of model: PackedModel, samples: [[Float]]) throws(EdgeError) -> [ValueID: ValueRange] {
        try statistics(of: model, samples: samples).ranges
    }
}

/// Moving real numbers in and out of an interpreter's tensors.
public enum ModelIO {
    /// Writes `sample` into input 0: as is for float32, quantized for int8.
    public static func feed(_ interpreter: Interpreter, _ sample: [Float]) {
        let view = interpreter.input(0)
        precondition(sample.count == view.elementCount, "sample size does not match the input")
        switch view.dtype {
        case .float32:
            sample.withUnsafeBytes { view.data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        case .int8:
            let q = view.quantization ?? QuantParams(scale: 1, zeroPoint: 0)
            let p = view.data.assumingMemoryBound(to: Int8.self)
            for (i, x) in sample.enumerated() { p[i] = quantize(x, q) }
        default:
            preconditionFailure("inputs are float32 or int8")
        }
    }

    /// TFLite's AffineQuantize: round half away from zero, clamp to int8.
    public static func quantize(_ x: Float, _ q: QuantParams) -> Int8 {
        let v = (x / q.scale).rounded(.toNearestOrAwayFromZero) + Float(q.zeroPoint)
        return Int8(Swift.max(-128, Swift.min(127, v)))
    }

    /// Calls `body` with every element of `view` as a real number.
    public static func forEachValue(_ view: TensorView, _ body: (Float) -> Void) {
        switch view.dtype {
        case .float32:
            let p = view.data.assumingMemoryBound(to: Float.self)
            for i in 0..<view.elementCount { body(p[i]) }
        default:
            for i in 0..<view.elementCount { body(view.value(at: i)) }
        }
    }

    public static func values(_ view: TensorView) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(view.elementCount)
        forEachValue(view) { out.append($0) }
        return out
    }
}
