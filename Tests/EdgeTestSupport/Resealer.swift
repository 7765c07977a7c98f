import EdgeFormat

/// Edits a valid file and recomputes its checksums, to test semantic checks behind the CRCs.
public enum Resealer {
    public static func patchOpKind(_ bytes: [UInt8], op: Int, kind: UInt16) -> [UInt8] {
        patch(bytes, .ops, record: op, with: [UInt8(kind & 0xFF), UInt8(kind >> 8)])
    }

    /// The first `count` bytes of record `index` of a record-array section.
    public static func record(_ bytes: [UInt8], _ section: SectionKind, index: Int, count: Int) -> [UInt8] {
        for i in 0..<Int(le32(bytes, 20)) where le32(bytes, 64 + 32 * i) == section.rawValue {
            let offset = Int(le64(bytes, 64 + 32 * i + 8))
            let start = offset + 16 + index * Int(le32(bytes, offset + 4))
            return Array(bytes[start..<(start + count)])
        }
        return []
    }

    /// `count` bytes at `at` within a section.
    public static func read(_ bytes: [UInt8], _ section: SectionKind, at: Int, count: Int) -> [UInt8] {
        for i in 0..<Int(le32(bytes, 20)) where le32(bytes, 64 + 32 * i) == section.rawValue {
            let offset = Int(le64(bytes, 64 + 32 * i + 8))
            return Array(bytes[(offset + at)..<(offset + at + count)])
        }
        return []
    }

    /// Overwrites the first bytes of record `index` of a record-array section, re-sealing the CRCs.
    public static func patch(_ bytes: [UInt8], _ section: SectionKind, record index: Int, with patch: [UInt8]) -> [UInt8] {
        for i in 0..<Int(le32(bytes, 20)) where le32(bytes, 64 + 32 * i) == section.rawValue {
            let offset = Int(le64(bytes, 64 + 32 * i + 8))
            return Self.patch(bytes, section, at: 16 + index * Int(le32(bytes, offset + 4)), with: patch)
        }
        return bytes
    }

    /// Overwrites bytes at file offset `at` (in a section, the header or the section table),
    /// re-sealing the CRCs.
    public static func patch(_ bytes: [UInt8], fileOffset at: Int, with patch: [UInt8]) -> [UInt8] {
        for i in 0..<Int(le32(bytes, 20)) {
            let entry = 64 + 32 * i, offset = Int(le64(bytes, entry + 8)), size = Int(le64(bytes, entry + 16))
            if let kind = SectionKind(rawValue: le32(bytes, entry)), offset <= at && at < offset + size {
                return Self.patch(bytes, kind, at: at - offset, with: patch)
            }
        }
        var out = bytes
        for (k, byte) in patch.enumerated() { out[at + k] = byte }
        return Self.patch(out, .strings, at: 0, with: [])
    }

    /// Overwrites bytes at `at` within a section, re-sealing the CRCs.
    public static func patch(_ bytes: [UInt8], _ section: SectionKind, at: Int, with patch: [UInt8]) -> [UInt8] {
        var out = bytes
        let sections = Int(le32(out, 20))
        for i in 0..<sections {
            let entry = 64 + 32 * i
            guard le32(out, entry) == section.rawValue else { continue }
            let offset = Int(le64(out, entry + 8)), size = Int(le64(out, entry + 16))
            for (k, byte) in patch.enumerated() { out[offset + at + k] = byte }
            let crc = out[offset..<(offset + size)].withUnsafeBytes { CRC32.checksum($0) }
            put32(&out, entry + 24, crc)
        }
        put32(&out, 44, 0)
        let headerLength = Int(le32(out, 16))
        var crc = CRC32()
        out[0..<headerLength].withUnsafeBytes { crc.update($0) }
        out[64..<(64 + 32 * sections)].withUnsafeBytes { crc.update($0) }
        put32(&out, 44, crc.checksum)
        return out
    }

    public static func le32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * $1) } }
    public static func le64(_ b: [UInt8], _ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * $1) } }
    public static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) { for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
}
