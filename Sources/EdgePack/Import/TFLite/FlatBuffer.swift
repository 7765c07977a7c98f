import EdgeFormat

/// A bounds-checked reader of the FlatBuffers binary encoding (the container of .tflite files).
///
/// Encoding recap (all little-endian, nothing aligned is assumed: every read is byte-wise):
/// - the buffer starts with a `u32` offset to the root table, then a 4-byte file identifier;
/// - a table at position `p` starts with an `i32` soffset: its vtable is at `p - soffset`;
/// - a vtable is `u16 vtable bytes`, `u16 table inline bytes`, then one `u16` per field id:
///   the field's offset from `p`, 0 (or an id past the vtable) when the field is absent and
///   takes its schema default;
/// - a table, vector or string field holds a `u32` offset relative to the field's own position;
/// - a vector is `u32 count` then the elements; a string is a vector of bytes (plus a 0 byte);
/// - a union is two fields: a `u8` type tag (id n) and a table offset (id n + 1).
///
/// Every position, count and size is checked against the buffer before use, with `Int`
/// arithmetic on values that came from 32-bit fields (no overflow on 64-bit hosts), so a
/// truncated or corrupted file gives an `EdgeError` naming the table, field and bad value.
struct FlatBuffer {
    let bytes: [UInt8]
    /// File name for errors.
    let source: String

    init(_ bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    func fail(_ problem: String) -> EdgeError {
        EdgeError(.input, object: source, problem: "is not a valid TFLite flatbuffer: \(problem)",
                  fix: "pass a .tflite file written by the TFLite converter (this one may be truncated or damaged)")
    }

    /// Checks that `[position, position + size)` lies in the buffer.
    func check(_ position: Int, _ size: Int, _ what: @autoclosure () -> String) throws(EdgeError) {
        if position < 0 || size < 0 || position > bytes.count || bytes.count - position < size {
            throw fail("\(what()) at byte \(position) (\(size) bytes) lies outside the \(bytes.count)-byte file")
        }
    }

    func u8(_ p: Int) -> UInt8 { bytes[p] }
    func u16(_ p: Int) -> UInt16 { UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8 }
    func u32(_ p: Int) -> UInt32 {
        UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
    }
    func u64(_ p: Int) -> UInt64 { UInt64(u32(p)) | UInt64(u32(p + 4)) << 32 }

    /// The 4-byte file identifier, or nil when the buffer is too short to hold one.
    var fileIdentifier: String? {
        bytes.count >= 8 ? String(decoding: bytes[4..<8], as: UTF8.self) : nil
    }

    /// The root table.
    func root(_ name: String) throws(EdgeError) -> FBTable {
        try check(0, 4, "the root offset")
        return try table(at: Int(u32(0)), name)
    }

    /// The table starting at `position`, with its vtable checked.
    func table(at position: Int, _ name: String) throws(EdgeError) -> FBTable {
        try check(position, 4, "table \(name)")
        let vtable = position - Int(Int32(bitPattern: u32(position)))
        try check(vtable, 4, "the vtable of \(name)")
        let vtableSize = Int(u16(vtable)), inlineSize = Int(u16(vtable + 2))
        if vtableSize < 4 || vtableSize % 2 != 0 {
            throw fail("the vtable of \(name) declares \(vtableSize) bytes (must be even and at least 4)")
        }
        try check(vtable, vtableSize, "the vtable of \(name)")
        if inlineSize < 4 { throw fail("table \(name) declares \(inlineSize) inline bytes (at least 4)") }
        try check(position, inlineSize, "table \(name)")
        return FBTable(fb: self, position: position, vtable: vtable, vtableSize: vtableSize, inlineSize: inlineSize, name: name)
    }

    /// Follows the `u32` offset stored at `position`.
    func indirect(_ position: Int, _ what: String) throws(EdgeError) -> Int {
        try check(position, 4, what)
        return position + Int(u32(position))
    }

    /// The vector whose `u32` count is at `position`, with `count x elementSize` checked.
    func vector(at position: Int, elementSize: Int, _ name: String) throws(EdgeError) -> FBVector {
        try check(position, 4, "the length of \(name)")
        let count = Int(u32(position))
        if count > (bytes.count - position - 4) / elementSize {
            throw fail("\(name) claims \(count) elements of \(elementSize) bytes at byte \(position), past the end of the \(bytes.count)-byte file")
        }
        return FBVector(fb: self, start: position + 4, count: count, elementSize: elementSize, name: name)
    }
}

/// One table of a `FlatBuffer`; `name` (e.g. "SubGraph 0 Tensor 12") labels errors.
struct FBTable {
    let fb: FlatBuffer
    let position: Int
    let vtable: Int
    let vtableSize: Int
    let inlineSize: Int
    let name: String

    /// Absolute position of field `id` holding `size` bytes, or nil when absent.
    func field(_ id: Int, size: Int) throws(EdgeError) -> Int? {
        let slot = 4 + 2 * id
        if slot + 2 > vtableSize { return nil }
        let offset = Int(fb.u16(vtable + slot))
        if offset == 0 { return nil }
        if offset < 4 || offset + size > inlineSize {
            throw fb.fail("\(name) field \(id) at offset \(offset) (\(size) bytes) lies outside the table's \(inlineSize) inline bytes")
        }
        return position + offset
    }

    func has(_ id: Int) throws(EdgeError) -> Bool { try field(id, size: 1) != nil }

    func u8(_ id: Int, default d: UInt8 = 0) throws(EdgeError) -> UInt8 {
        guard let p = try field(id, size: 1) else { return d }
        return fb.u8(p)
    }
    func i8(_ id: Int, default d: Int8 = 0) throws(EdgeError) -> Int8 {
        Int8(bitPattern: try u8(id, default: UInt8(bitPattern: d)))
    }
    func bool(_ id: Int, default d: Bool = false) throws(EdgeError) -> Bool { try u8(id, default: d ? 1 : 0) != 0 }
    func u32(_ id: Int, default d: UInt32 = 0) throws(EdgeError) -> UInt32 {
        guard let p = try field(id, size: 4) else { return d }
        return fb.u32(p)
    }
    func i32(_ id: Int, default d: Int32 = 0) throws(EdgeError) -> Int32 {
        Int32(bitPattern: try u32(id, default: UInt32(bitPattern: d)))
    }
    func f32(_ id: Int, default d: Float = 0) throws(EdgeError) -> Float {
        Float(bitPattern: try u32(id, default: d.bitPattern))
    }
    func u64(_ id: Int, default d: UInt64 = 0) throws(EdgeError) -> UInt64 {
        guard let p = try field(id, size: 8) else { return d }
        return fb.u64(p)
    }

    /// The sub-table of field `id`, or nil when absent.
    func table(_ id: Int, _ name: String) throws(EdgeError) -> FBTable? {
        guard let p = try field(id, size: 4) else { return nil }
        return try fb.table(at: try fb.indirect(p, "\(self.name) field \(id)"), "\(self.name) \(name)")
    }

    /// The vector of field `id`, or nil when absent.
    func vector(_ id: Int, elementSize: Int, _ name: String) throws(EdgeError) -> FBVector? {
        guard let p = try field(id, size: 4) else { return nil }
        return try fb.vector(at: try fb.indirect(p, "\(self.name) field \(id)"), elementSize: elementSize, "\(self.name) \(name)")
    }

    /// The string of field `id` (UTF-8, invalid sequences replaced), or nil when absent.
    func string(_ id: Int, _ name: String) throws(EdgeError) -> String? {
        guard let v = try vector(id, elementSize: 1, name) else { return nil }
        return String(decoding: fb.bytes[v.start..<v.start + v.count], as: UTF8.self)
    }

    /// Vector helpers: an absent vector reads as empty.
    func int32s(_ id: Int, _ name: String) throws(EdgeError) -> [Int32] { try vector(id, elementSize: 4, name)?.int32s() ?? [] }
    func int64s(_ id: Int, _ name: String) throws(EdgeError) -> [Int64] { try vector(id, elementSize: 8, name)?.int64s() ?? [] }
    func float32s(_ id: Int, _ name: String) throws(EdgeError) -> [Float] { try vector(id, elementSize: 4, name)?.float32s() ?? [] }
    func tables(_ id: Int, _ name: String) throws(EdgeError) -> [FBTable] {
        guard let v = try vector(id, elementSize: 4, name) else { return [] }
        var out: [FBTable] = []
        out.reserveCapacity(v.count)
        for i in 0..<v.count { out.append(try v.table(i)) }
        return out
    }
}

/// A vector of a `FlatBuffer` whose elements are known to lie inside the buffer.
struct FBVector {
    let fb: FlatBuffer
    /// Position of element 0.
    let start: Int
    let count: Int
    let elementSize: Int
    let name: String

    var byteRange: Range<Int> { start..<start + count * elementSize }

    func table(_ i: Int) throws(EdgeError) -> FBTable {
        let p = start + 4 * i
        return try fb.table(at: try fb.indirect(p, "\(name)[\(i)]"), "\(name)[\(i)]")
    }

    func int32s() -> [Int32] { (0..<count).map { Int32(bitPattern: fb.u32(start + 4 * $0)) } }
    func int64s() -> [Int64] { (0..<count).map { Int64(bitPattern: fb.u64(start + 8 * $0)) } }
    func float32s() -> [Float] { (0..<count).map { Float(bitPattern: fb.u32(start + 4 * $0)) } }
}
