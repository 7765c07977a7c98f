import EdgeFormat

/// A hand-written command-line reader (swift-argument-parser does not build as Embedded
/// Swift). Words are compared byte-wise, which avoids pulling Unicode tables into the binary.
struct Arguments {
    private var words: [String]
    private var index = 0

    init(_ words: [String]) { self.words = words }

    func peek() -> String? { index < words.count ? words[index] : nil }
    mutating func advance() { index += 1 }
    var isEmpty: Bool { index >= words.count }

    /// Takes the next word, which must exist; `what` names it in the error.
    @inline(never)
    mutating func take(_ what: String) throws(EdgeError) -> String {
        guard let word = peek() else { throw usage("missing \(what)") }
        advance()
        return word
    }

    /// The value after an option such as `--runs`.
    @inline(never)
    mutating func value(for option: String) throws(EdgeError) -> String {
        guard let word = peek(), !word.isOption || word.is("-") else {
            throw usage("option \(option) needs a value")
        }
        advance()
        return word
    }

    @inline(never)
    mutating func integer(for option: String, in range: ClosedRange<Int>) throws(EdgeError) -> Int {
        let text = try value(for: option)
        guard let n = text.parsedInteger, range.contains(n) else {
            throw usage("\(option) \(text) is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    /// A word that matched none of a command's options: the model path if there is none yet,
    /// otherwise a usage error (`command` follows "unknown option WORD", as in " for edgerun watch").
    @inline(never)
    func operand(_ word: String, into path: inout String?, command: String = "") throws(EdgeError) {
        if word.isOption { throw usage("unknown option \(word)\(command)") }
        if path != nil { throw usage("unexpected argument \(word)") }
        path = word
    }

    /// The model path `operand` collected; `missing` is the error's text when there is none.
    @inline(never)
    func required(_ path: String?, _ missing: String) throws(EdgeError) -> String {
        guard let path else { throw usage(missing) }
        return path
    }

    @inline(never)
    func usage(_ problem: String) -> EdgeError {
        EdgeError(.usage, object: "command line", problem: problem, fix: "see edgerun --help")
    }
}

extension String {
    /// Byte-wise equality with a literal.
    @inline(never)
    func `is`(_ literal: StaticString) -> Bool {
        var text = self
        return text.withUTF8 { bytes in
            bytes.count == literal.utf8CodeUnitCount && memcmpEqual(bytes.baseAddress, literal.utf8Start, bytes.count)
        }
    }

    @inline(never)
    var isOption: Bool { utf8.first == UInt8(ascii: "-") && utf8.count > 1 }

    @inline(never)
    func hasByteSuffix(_ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        if utf8.count < n { return false }
        var i = 0
        for b in utf8.dropFirst(utf8.count - n) {
            if b != suffix.utf8Start[i] { return false }
            i += 1
        }
        return true
    }

    @inline(never)
    var parsedInteger: Int? {
        var n = 0
        if utf8.isEmpty || utf8.count > 12 { return nil }
        for b in utf8 {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(b - UInt8(ascii: "0"))
        }
        return n
    }
}

private func memcmpEqual(_ a: UnsafePointer<UInt8>?, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    guard let a else { return count == 0 }
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}
