import EdgeFormat

/// NumPy `.npy` files (format versions 1.0-3.0): little-endian, C order, dtypes f4, f2, i1, u1,
/// i2, i4 and i8/f8 on read (converted by the caller), which is what `numpy.save` writes.
public struct NPYArray {
    public enum Element: Equatable {
        case float32, float64, int8, uint8, int16, int32, int64, bool, uint16, float16

        public var size: Int {
            switch self {
            case .int8, .uint8, .bool: return 1
            case .int16, .uint16, .float16: return 2
            case .float32, .int32: return 4
            case .float64, .int64: return 8
            }
        }

        /// The NumPy dtype string, e.g. "<f4".
        public var descr: String {
            switch self {
            case .float32: return "<f4"
            case .float64: return "<f8"
            case .int8: return "|i1"
            case .uint8: return "|u1"
            case .int16: return "<i2"
            case .int32: return "<i4"
            case .int64: return "<i8"
            case .bool: return "|b1"
            case .uint16: return "<u2"
            case .float16: return "<f2"
            }
        }
    }

    public var element: Element
    public var shape: [Int]
    /// Raw little-endian element bytes, C order.
    public var data: [UInt8]

    public init(element: Element, shape: [Int], data: [UInt8]) {
        self.element = element
        self.shape = shape
        self.data = data
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Parses an .npy image. `name` is used in errors.
    public init(parsing bytes: [UInt8], name: String) throws(EdgeError) {
        func bad(_ problem: String) -> EdgeError {
            EdgeError(.input, object: name, problem: problem, fix: "write the file with numpy.save (C order, little-endian)")
        }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        if bytes.count < 10 || Array(bytes[0..<6]) != magic { throw bad("not an .npy file (bad magic)") }
        let major = bytes[6]
        var headerLength: Int
        var start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else if major == 2 || major == 3 {
            if bytes.count < 12 { throw bad("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        } else {
            throw bad("format version \(major) is not supported (1-3)")
        }
        if start + headerLength > bytes.count { throw bad("header of \(headerLength) bytes is cut short") }
        let header = bytes[start..<(start + headerLength)]
        guard let descr = NPYArray.field(header, "descr") else { throw bad("header has no 'descr'") }
        guard let fortran = NPYArray.field(header, "fortran_order") else { throw bad("header has no 'fortran_order'") }
        guard let shapeText = NPYArray.field(header, "shape") else { throw bad("header has no 'shape'") }
        if fortran.first == UInt8(ascii: "T") { throw bad("Fortran-order arrays are not supported") }
        let descrs: [(String, Element)] = [("<f4", .float32), ("<f2", .float16), ("|b1", .bool), ("<u2", .uint16), ("<f8", .float64), ("|i1", .int8), ("<i1", .int8),
                                           ("|u1", .uint8), ("<u1", .uint8), ("<i2", .int16), ("<i4", .int32), ("<i8", .int64)]
        var found: Element? = nil
        for (text, e) in descrs where NPYArray.equals(descr, text) { found = e }
        guard let element = found else {
            throw bad("dtype '\(String(decoding: descr, as: UTF8.self))' is not supported (use float32, float16, int8, uint8, int16, uint16, int32 or int64, little-endian)")
        }
        var dims: [Int] = []
        var current = -1
        for c in shapeText {
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                current = (current < 0 ? 0 : current) * 10 + Int(c - UInt8(ascii: "0"))
                if current > Int(Int32.max) { throw bad("shape dimension too large") }
            } else if current >= 0 {
                dims.append(current)
                current = -1
            }
        }
        if current >= 0 { dims.append(current) }
        var count = 1
        for d in dims {
            let (n, o) = count.multipliedReportingOverflow(by: d)
            if o { throw bad("shape overflows") }
            count = n
        }
        let dataStart = start + headerLength
        let needed = count * element.size
        if bytes.count - dataStart != needed {
            throw bad("holds \(bytes.count - dataStart) data bytes, but shape \(NPYArray.shapeText(dims)) of \(element.descr) needs \(needed)")
        }
        self.element = element
        self.shape = dims
        self.data = Array(bytes[dataStart...])
    }

    /// The .npy image of this array (version 1.0 header, 64-byte aligned data).
    public func serialized() -> [UInt8] {
        var shapeText = "("
        for (i, d) in shape.enumerated() { shapeText += "\(i == 0 ? "" : ", ")\(d)" }
        if shape.count == 1 { shapeText += "," }
        shapeText += ")"
        var header = "{'descr': '\(element.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let length = header.utf8.count
        out.append(UInt8(length & 0xFF))
        out.append(UInt8(length >> 8))
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    /// Element `i` converted to Float.
    public func float(at i: Int) -> Float {
        data.withUnsafeBytes { raw -> Float in
            switch element {
            case .float32: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            case .float64: return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            case .int8: return Float(Int8(bitPattern: raw[i]))
            case .uint8, .bool: return Float(raw[i])
            case .int16: return Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
            case .uint16: return Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            case .int32: return Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            case .int64: return Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            case .float16: return NarrowFloat.decode(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)), .float16)
            }
        }
    }

    static func shapeText(_ dims: [Int]) -> String {
        var s = "("
        for (i, d) in dims.enumerated() { s += "\(i == 0 ? "" : ",")\(d)" }
        return s + ")"
    }

    private static func equals(_ bytes: ArraySlice<UInt8>, _ text: String) -> Bool {
        bytes.elementsEqual(text.utf8)
    }

    /// The raw value text after `'key':` in a Python dict literal header.
    private static func field(_ header: ArraySlice<UInt8>, _ key: String) -> ArraySlice<UInt8>? {
        let pattern = Array(("'" + key + "'").utf8)
        var i = header.startIndex
        while i + pattern.count <= header.endIndex {
            if header[i..<(i + pattern.count)].elementsEqual(pattern) {
                var j = i + pattern.count
                while j < header.endIndex && (header[j] == UInt8(ascii: ":") || header[j] == UInt8(ascii: " ")) { j += 1 }
                if j < header.endIndex && header[j] == UInt8(ascii: "'") {
                    let s = j + 1
                    var e = s
                    while e < header.endIndex && header[e] != UInt8(ascii: "'") { e += 1 }
                    return header[s..<e]
                }
                if j < header.endIndex && header[j] == UInt8(ascii: "(") {
                    var e = j
                    while e < header.endIndex && header[e] != UInt8(ascii: ")") { e += 1 }
                    return header[j..<min(e + 1, header.endIndex)]
                }
                var e = j
                while e < header.endIndex && header[e] != UInt8(ascii: ",") && header[e] != UInt8(ascii: "}") { e += 1 }
                return header[j..<e]
            }
            i += 1
        }
        return nil
    }
}
