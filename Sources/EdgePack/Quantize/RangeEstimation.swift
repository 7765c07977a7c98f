import Foundation

/// How calibration turns the values a tensor took into its int8 range.
public enum CalibrationMethod: String, CaseIterable, Sendable {
    /// The observed minimum and maximum (TFLite converter, ONNX Runtime's default).
    case minmax
    /// The `percentile` and `100 - percentile` quantiles: clips rare outliers.
    case percentile
    /// The clipping range with the least expected squared quantization error.
    case mse
    /// The clipping range whose quantized distribution has the least Kullback-Leibler
    /// divergence from the observed one (TensorRT's entropy calibration).
    case entropy
}

/// Counts of a tensor's values in equal bins over its observed [lo, hi]. Exact zeros are
/// counted apart: int8 represents zero exactly whatever the range (the zero point is an
/// integer), so they cost nothing, and as a spike in one bin (ReLU outputs) they would
/// otherwise dominate the entropy method's divergence.
public struct Histogram: Sendable {
    public static let binCount = 2048
    public let lo: Float
    public let hi: Float
    public var counts: [Double]
    public var zeros: Double = 0

    public init(lo: Float, hi: Float) {
        self.lo = lo
        self.hi = hi
        counts = [Double](repeating: 0, count: Histogram.binCount)
    }

    var binWidth: Double { Double(hi - lo) / Double(Histogram.binCount) }

    public mutating func add(_ x: Float) {
        if x == 0 { zeros += 1; return }
        guard hi > lo else { counts[0] += 1; return }
        let b = Int(Double(x - lo) / binWidth)
        counts[Swift.min(Swift.max(b, 0), Histogram.binCount - 1)] += 1
    }

    func center(_ b: Int) -> Double { Double(lo) + (Double(b) + 0.5) * binWidth }
    /// The bin holding `x`, clamped to the histogram.
    func bin(of x: Double) -> Int { Swift.min(Swift.max(Int((x - Double(lo)) / binWidth), 0), Histogram.binCount - 1) }
}

/// Range choice for `CalibrationMethod`s other than minmax, from a value's histogram.
///
/// Candidates shrink the observed range toward zero by a common factor, so the side of a
/// one-signed tensor (a ReLU output) stays at zero and asymmetric tensors keep their skew.
/// Every candidate still contains zero, as `QuantizationRules.activation` requires.
public enum RangeEstimation {
    public static func range(_ h: Histogram, method: CalibrationMethod, percentile: Double) -> ValueRange {
        let observed = ValueRange(min: h.lo, max: h.hi)
        guard h.hi > h.lo, h.counts.reduce(0, +) > 0 else { return observed }
        switch method {
        case .minmax: return observed
        case .percentile: return percentileRange(h, percentile)
        case .mse: return best(h) { lo, hi in expectedSquaredError(h, lo, hi) }
        case .entropy: return best(h) { lo, hi in klDivergence(h, lo, hi) }
        }
    }

    static func percentileRange(_ h: Histogram, _ p: Double) -> ValueRange {
        let tail = (h.counts.reduce(0, +) + h.zeros) * (100 - p) / 100
        var lowBin = 0, acc = 0.0
        while lowBin < Histogram.binCount - 1 && acc + h.counts[lowBin] <= tail { acc += h.counts[lowBin]; lowBin += 1 }
        var highBin = Histogram.binCount - 1
        acc = 0
        while highBin > 0 && acc + h.counts[highBin] <= tail { acc += h.counts[highBin]; highBin -= 1 }
        let lo = Float(Double(h.lo) + Double(lowBin) * h.binWidth)
        let hi = Float(Double(h.lo) + Double(highBin + 1) * h.binWidth)
        return ValueRange(min: lo, max: hi)
    }

    /// The candidate range (observed range x t, t from 1 down to 0.05) minimizing `cost`.
    static func best(_ h: Histogram, cost: (Double, Double) -> Double) -> ValueRange {
        let lo = Double(Swift.min(h.lo, 0)), hi = Double(Swift.max(h.hi, 0))
        var bestT = 1.0, bestCost = Double.infinity
        for step in 0..<96 {
            let t = 1.0 - Double(step) * 0.01
            let c = cost(lo * t, hi * t)
            if c < bestCost { bestCost = c; bestT = t }
        }
        return ValueRange(min: Float(lo * bestT), max: Float(hi * bestT))
    }

    /// Expected squared error of int8 quantization with range [lo, hi] (bin centers stand in
    /// for the values of their bin; clipped values pay their distance to the range).
    static func expectedSquaredError(_ h: Histogram, _ lo: Double, _ hi: Double) -> Double {
        let scale = (hi - lo) / 255
        guard scale > 0 else { return .infinity }
        var error = 0.0
        for b in 0..<Histogram.binCount where h.counts[b] > 0 {
            let x = h.center(b)
            let clamped = Swift.min(Swift.max(x, lo), hi)
            let q = ((clamped - lo) / scale).rounded() * scale + lo
            error += h.counts[b] * (x - q) * (x - q)
        }
        return error
    }

    /// KL(P || Q): P is the histogram restricted to [lo, hi] with the clipped mass added to
    /// the edge bins; Q merges the restricted histogram *without* that mass into 256 int8
    /// levels and spreads each level's mass evenly over its non-empty bins. Clipping shows as
    /// P's heavy edge bins that Q lacks; coarse levels show as Q's smearing.
    static func klDivergence(_ h: Histogram, _ lo: Double, _ hi: Double) -> Double {
        let levels = 256
        let first = h.bin(of: lo), last = h.bin(of: hi - h.binWidth * 0.5)
        guard last - first + 1 >= levels else { return .infinity }
        let sliced = Array(h.counts[first...last])
        var p = sliced
        for b in 0..<first { p[0] += h.counts[b] }
        for b in (last + 1)..<Histogram.binCount { p[p.count - 1] += h.counts[b] }
        var q = [Double](repeating: 0, count: p.count)
        let perLevel = Double(p.count) / Double(levels)
        for level in 0..<levels {
            let start = Int((Double(level) * perLevel).rounded(.down))
            let end = level == levels - 1 ? p.count : Int((Double(level + 1) * perLevel).rounded(.down))
            guard start < end else { continue }
            let range = start..<end
            let mass = range.reduce(0.0) { $0 + sliced[$1] }
            let nonEmpty = range.filter { sliced[$0] > 0 }.count
            for b in range where sliced[b] > 0 { q[b] = mass / Double(nonEmpty) }
        }
        let pSum = p.reduce(0, +), qSum = q.reduce(0, +)
        var kl = 0.0
        for b in p.indices where p[b] > 0 {
            let pb = p[b] / pSum, qb = Swift.max(q[b] / qSum, 1e-12)
            kl += pb * log(pb / qb)
        }
        return kl
    }
}
