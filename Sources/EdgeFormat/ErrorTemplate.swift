/// Error messages from a template, for the device binary's size.
///
/// An interpolated message costs a call per segment plus the interpolation's setup and
/// teardown at every error site; model validation has about sixty such sites. A template
/// site is one call with the object, a static string and up to four integers (and two strings),
/// and the text is built here. The result is the same text the interpolation gave: each `%` in
/// the template is replaced by the next integer in decimal, the first `@` by `text`, the second
/// by `text2`. The runtime's op checks use `filled` through `PrepareContext.unsupported`.
extension EdgeError {
    /// A `.format` error (fix: re-pack) whose problem is `template` filled in.
    @inline(never)
    static func format(_ object: String, _ template: StaticString, _ a: Int, _ b: Int = 0, _ c: Int = 0, _ d: Int = 0,
                       text: String = "") -> EdgeError {
        format(object, filled(template, a, b, c, d, text: text, text2: ""))
    }

    @inline(never)
    public static func filled(_ template: StaticString, _ a: Int, _ b: Int, _ c: Int, _ d: Int, text: String,
                              text2: String) -> String {
        let bytes = UnsafeBufferPointer(start: template.utf8Start, count: template.utf8CodeUnitCount)
        var out = ""
        var start = 0
        var next = 0
        var texts = 0
        for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "%") || bytes[i] == UInt8(ascii: "@") {
            out += String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            if bytes[i] == UInt8(ascii: "@") {
                out += texts == 0 ? text : text2
                texts += 1
            } else {
                out += (next == 0 ? a : next == 1 ? b : next == 2 ? c : d).description
                next += 1
            }
            start = i + 1
        }
        return out + String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)
    }
}

extension EdgeError {
    /// Reserved bytes must be 0 (FORMAT.md): a set one is damage, or a field of a writer
    /// newer than this reader. Checks the `count` bytes at `offset` of the record (or header)
    /// starting at `start` in `bytes`; the error names the record (`record` with its `%`
    /// replaced by `index`), the byte's offset in it and its value.
    @inline(never)
    public static func checkReserved(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ offset: Int, _ count: Int, _ object: String,
                                     _ record: StaticString, index: Int = 0) throws(EdgeError) {
        for i in offset..<(offset + count) where bytes[start + i] != 0 {
            throw EdgeError(.format, object: object,
                            problem: filled("reserved byte % of the @ is %, must be 0", i, Int(bytes[start + i]), 0, 0,
                                            text: filled(record, index, 0, 0, 0, text: "", text2: ""), text2: ""),
                            fix: "re-pack the model with the edgepack that matches this edgerun (the file is damaged or from a newer writer)")
        }
    }
}
