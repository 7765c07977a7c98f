/// Bounds-checked little-endian reads from a byte buffer.
///
/// Every read checks `offset + size <= count` with overflow-safe arithmetic and reports the
/// section and field on failure, so a hostile file cannot make the loader read out of bounds.
struct ByteView {
    let bytes: UnsafeRawBufferPointer
    /// Names the buffer in errors, e.g. "model.bin section TENSORS".
    let name: String

    var count: Int { bytes.count }

    /// Checks that `[offset, offset + size)` lies within the buffer.
    @inline(never)
    func check(_ offset: Int, _ size: Int, _ field: String) throws(EdgeError) {
        let (end, overflow) = offset.addingReportingOverflow(size)
        if offset < 0 || size < 0 || overflow || end > bytes.count {
            throw .format(name, "@ at offset % needs % bytes but only % are present", offset, size, bytes.count, text: field)
        }
    }

    @inline(never)
    func u8(_ offset: Int, _ field: String) throws(EdgeError) -> UInt8 {
        try check(offset, 1, field)
        return bytes[offset]
    }

    @inline(never)
    func u16(_ offset: Int, _ field: String) throws(EdgeError) -> UInt16 {
        try check(offset, 2, field)
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(never)
    func u32(_ offset: Int, _ field: String) throws(EdgeError) -> UInt32 {
        try check(offset, 4, field)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(never)
    func u64(_ offset: Int, _ field: String) throws(EdgeError) -> UInt64 {
        try check(offset, 8, field)
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    func i32(_ offset: Int, _ field: String) throws(EdgeError) -> Int32 {
        Int32(bitPattern: try u32(offset, field))
    }

    func f32(_ offset: Int, _ field: String) throws(EdgeError) -> Float {
        Float(bitPattern: try u32(offset, field))
    }

    /// A u64 that must also fit in `Int` (sizes and offsets used for pointer arithmetic).
    @inline(never)
    func size(_ offset: Int, _ field: String) throws(EdgeError) -> Int {
        let value = try u64(offset, field)
        if value > UInt64(Int.max >> 1) {
            throw .format(name, "\(field) = \(value) is larger than any file or arena this build can hold")
        }
        return Int(value)
    }

    @inline(never)
    func slice(_ offset: Int, _ size: Int, _ field: String) throws(EdgeError) -> UnsafeRawBufferPointer {
        try check(offset, size, field)
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])
    }
}

/// Little-endian field access for records that were already bounds-checked as a whole.
extension UnsafeRawBufferPointer {
    @inline(__always) func le32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) func le64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
