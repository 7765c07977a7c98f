/// A fixed-capacity byte buffer that renders one log line (JSON or text) without touching the
/// heap: numbers are formatted digit by digit and text comes from pre-rendered byte arrays.
/// Writes past the capacity are dropped and flagged, never grown.
public final class ByteLine {
    public let capacity: Int
    private let storage: UnsafeMutablePointer<UInt8>
    public private(set) var count = 0
    /// True when a write did not fit (the line is cut short).
    public private(set) var overflowed = false

    public init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    public func reset() {
        count = 0
        overflowed = false
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    @inline(__always) public func byte(_ b: UInt8) {
        if count < capacity {
            storage[count] = b
            count += 1
        } else {
            overflowed = true
        }
    }

    public func put(_ text: StaticString) {
        let p = text.utf8Start
        for i in 0..<text.utf8CodeUnitCount { byte(p[i]) }
    }

    public func put(_ bytes: [UInt8]) {
        // Indexing through a buffer pointer: iterating the array itself allocates in debug builds.
        bytes.withUnsafeBufferPointer { buffer in
            for i in 0..<buffer.count { byte(buffer[i]) }
        }
    }

    public func put(_ other: ByteLine) {
        for i in 0..<other.count { byte(other.storage[i]) }
    }

    /// A NUL-terminated C string, escaped for JSON when `json` is set.
    public func put(cString: UnsafePointer<CChar>, json: Bool) {
        var i = 0
        while cString[i] != 0 {
            let b = UInt8(bitPattern: cString[i])
            if json { escaped(b) } else { byte(b) }
            i += 1
        }
    }

    /// `other`'s bytes escaped for use inside a JSON string.
    public func putEscaped(_ other: ByteLine) {
        for i in 0..<other.count { escaped(other.storage[i]) }
    }

    private func escaped(_ b: UInt8) {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            byte(UInt8(ascii: "\\")); byte(b)
        case 0x0A:
            byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "n"))
        case 0..<0x20:
            put("\\u00"); hexDigit(b >> 4); hexDigit(b & 0xF)
        default:
            byte(b)
        }
    }

    private func hexDigit(_ v: UInt8) { byte(v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10) }

    public func put(_ value: Int) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            put(UInt64(value.magnitude), minDigits: 1)
        } else {
            put(UInt64(value), minDigits: 1)
        }
    }

    /// Decimal digits of `value`, zero-padded to at least `minDigits`.
    public func put(_ value: UInt64, minDigits: Int) {
        var length = 1, divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10; length += 1 }
        for _ in 0..<max(0, minDigits - length) { byte(UInt8(ascii: "0")) }
        var rest = value
        while divisor > 0 {
            byte(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// `value` with exactly `decimals` decimals (half away from zero); JSON null when not finite.
    public func put(fixed value: Double, _ decimals: Int) {
        guard value.isFinite else { put("null"); return }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { put("null"); return }
        let n = UInt64(scaled), s = UInt64(scale)
        if value < 0 && n != 0 { byte(UInt8(ascii: "-")) }
        put(n / s, minDigits: 1)
        if decimals > 0 {
            byte(UInt8(ascii: "."))
            put(n % s, minDigits: decimals)
        }
    }
}

/// `text`'s UTF-8 bytes escaped as the inside of a JSON string (rendered once, at start-up).
func jsonEscapedBytes(_ text: String) -> [UInt8] {
    let line = ByteLine(capacity: 6 * text.utf8.count + 1)
    let raw = ByteLine(capacity: text.utf8.count + 1)
    for b in text.utf8 { raw.byte(b) }
    line.putEscaped(raw)
    return Array(line.bytes)
}
