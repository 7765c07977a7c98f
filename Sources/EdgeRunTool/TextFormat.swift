import EdgeFormat

/// Number and JSON formatting that works the same in host and Embedded Swift.
enum TextFormat {
    /// `value` with exactly `digits` decimals (rounded half away from zero).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        if !value.isFinite { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        if scaled > 9e15 { return "\(value)" }
        let n = Int64(scaled)
        let whole = n / Int64(scale), frac = n % Int64(scale)
        var fracText = "\(frac)"
        while fracText.utf8.count < digits { fracText = "0" + fracText }
        let sign = value < 0 && n != 0 ? "-" : ""
        return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fracText)"
    }

    /// A JSON number (null for NaN and infinities, which JSON cannot express).
    static func json(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

    /// A JSON string literal (UTF-8 passed through, control characters escaped).
    static func json(_ text: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let hex: StaticString = "0123456789abcdef"
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hex.utf8Start[Int(b >> 4)], hex.utf8Start[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
