/// Out-of-line string interpolation for the device binary's size.
///
/// Every `"\(a) ... \(b)"` expands to one `appendLiteral` and one `appendInterpolation` call per
/// segment. The standard library's versions are inlined at each call site with their
/// small-string and capacity fast paths (about 150 bytes of aarch64 code per segment); error
/// messages alone have several hundred segments. These overloads have the same signatures and
/// results as the standard library's, are never inlined, and shadow the standard library's in
/// every module that imports EdgeFormat, so each segment is one call. Results are identical:
/// literals and strings are written as is, integers as their `description`, floats through
/// their `TextOutputStreamable` conformance (as `DefaultStringInterpolation` does for them).
extension DefaultStringInterpolation {
    @inline(never)
    public mutating func appendLiteral(_ literal: String) { write(literal) }

    @inline(never)
    public mutating func appendInterpolation(_ value: String) { write(value) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Substring) { write(String(value)) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Int) { write(value.description) }

    public mutating func appendInterpolation(_ value: Int8) { appendInterpolation(Int(value)) }
    public mutating func appendInterpolation(_ value: Int16) { appendInterpolation(Int(value)) }
    public mutating func appendInterpolation(_ value: Int32) { appendInterpolation(Int(value)) }
    public mutating func appendInterpolation(_ value: UInt8) { appendInterpolation(Int(value)) }
    public mutating func appendInterpolation(_ value: UInt16) { appendInterpolation(Int(value)) }
    public mutating func appendInterpolation(_ value: UInt32) { appendInterpolation(UInt64(value)) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Int64) { write(value.description) }

    @inline(never)
    public mutating func appendInterpolation(_ value: UInt64) { write(value.description) }

    public mutating func appendInterpolation(_ value: UInt) { appendInterpolation(UInt64(value)) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Float) { value.write(to: &self) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Double) { value.write(to: &self) }
}

/// Out-of-line concatenation, for the same reason: the standard library's `+` and `+=` on
/// strings inline their small-string and growth paths at every use.
extension String {
    @inline(never)
    public static func + (lhs: String, rhs: String) -> String {
        var result = lhs
        result.append(rhs)
        return result
    }

    @inline(never)
    public static func += (lhs: inout String, rhs: String) { lhs.append(rhs) }
}
