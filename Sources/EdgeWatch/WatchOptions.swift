import EdgeFormat

/// Which edges of the input line trigger an inference.
public enum EdgeSelection: Sendable {
    case rising, falling, both
}

/// The direction of one edge as the kernel reported it.
public enum EdgeKind: Sendable {
    case rising, falling
}

/// Settings of `edgerun watch` that shape the event loop (times in nanoseconds).
public struct WatchOptions {
    /// Edges closer than this to the previous edge of the line are contact bounce: ignored.
    public var debounceNs: UInt64 = 20_000_000
    /// At most one inference per this interval, measured between accepted edges.
    public var minIntervalNs: UInt64 = 100_000_000
    /// How long the output line stays active after an event that satisfies the rule;
    /// 0 makes the line follow each event's rule result (active or inactive) until the next one.
    public var holdNs: UInt64 = 500_000_000
    /// When the output line is driven; nil: no output line.
    public var rule: OutputRule? = nil
    /// Classes listed per output in each event.
    public var top = 3
    /// Longest sleep between checks of the hold timer.
    public var idleWaitNs: UInt64 = 1_000_000_000

    public init() {}
}

/// When the output line goes active, judged on output 0 of each inference.
public enum OutputRule: Equatable {
    /// The best class is `index`.
    case classIs(Int)
    /// The best class is not `index`.
    case classIsNot(Int)
    /// The score of class `index` is above the threshold.
    case scoreAbove(Int, Float)
    /// The score of class `index` is below the threshold.
    case scoreBelow(Int, Float)

    /// Parses `class=LABEL`, `class!=LABEL`, `score:LABEL>T` or `score:LABEL<T`. LABEL is a
    /// label of output 0 or a class index; `labels` are the model's labels, `classes` the
    /// size of output 0's last axis.
    public static func parse(_ text: String, labels: [String], classes: Int) throws(EdgeError) -> OutputRule {
        let bytes = Array(text.utf8)
        func fail(_ problem: String) -> EdgeError {
            EdgeError(.usage, object: "--out-when \(text)", problem: problem,
                      fix: "use class=LABEL, class!=LABEL, score:LABEL>0.8 or score:LABEL<0.2 (LABEL: a label or class index)")
        }
        func classIndex(_ name: ArraySlice<UInt8>) throws(EdgeError) -> Int {
            for (i, label) in labels.enumerated() where Array(label.utf8) == Array(name) { return i }
            if let n = String(decoding: name, as: UTF8.self).wholeNumber, n < classes { return n }
            throw fail("'\(String(decoding: name, as: UTF8.self))' is neither a label nor a class index below \(classes)")
        }
        if starts(bytes, "class!=") { return .classIsNot(try classIndex(bytes[7...])) }
        if starts(bytes, "class=") { return .classIs(try classIndex(bytes[6...])) }
        if starts(bytes, "score:") {
            guard let op = bytes.lastIndex(where: { $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "<") }), op > 6 else {
                throw fail("a score rule needs > or < and a threshold")
            }
            let index = try classIndex(bytes[6..<op])
            guard let threshold = parseDecimal(bytes[(op + 1)...]) else {
                throw fail("threshold '\(String(decoding: bytes[(op + 1)...], as: UTF8.self))' is not a decimal number")
            }
            return bytes[op] == UInt8(ascii: ">") ? .scoreAbove(index, threshold) : .scoreBelow(index, threshold)
        }
        throw fail("unknown rule")
    }

    /// Whether the rule holds for `best` (index of the top class) and the scores of output 0.
    public func holds(best: Int, score: (Int) -> Float) -> Bool {
        switch self {
        case .classIs(let i): return best == i
        case .classIsNot(let i): return best != i
        case .scoreAbove(let i, let t): return score(i) > t
        case .scoreBelow(let i, let t): return score(i) < t
        }
    }
}

private func starts(_ bytes: [UInt8], _ prefix: StaticString) -> Bool {
    let n = prefix.utf8CodeUnitCount
    guard bytes.count >= n else { return false }
    for i in 0..<n where bytes[i] != prefix.utf8Start[i] { return false }
    return true
}

/// `[-]digits[.digits]` as a Float; nil for anything else.
func parseDecimal(_ bytes: ArraySlice<UInt8>) -> Float? {
    var value = 0.0, scale = 1.0, seenDot = false, digits = 0, negative = false
    for (n, b) in bytes.enumerated() {
        if n == 0 && b == UInt8(ascii: "-") { negative = true; continue }
        if b == UInt8(ascii: ".") && !seenDot { seenDot = true; continue }
        guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
        digits += 1
        if seenDot { scale /= 10; value += Double(b - UInt8(ascii: "0")) * scale }
        else { value = value * 10 + Double(b - UInt8(ascii: "0")) }
    }
    guard digits > 0 && digits <= 18 else { return nil }
    return Float(negative ? -value : value)
}

extension String {
    /// Non-negative decimal integer (at most 12 digits), or nil.
    public var wholeNumber: Int? {
        if utf8.isEmpty || utf8.count > 12 { return nil }
        var n = 0
        for b in utf8 {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(b - UInt8(ascii: "0"))
        }
        return n
    }
}
