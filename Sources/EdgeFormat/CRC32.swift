/// CRC-32/ISO-HDLC (zlib's `crc32`), the checksum of model.bin sections.
public struct CRC32 {
    private var value: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// Updates the running CRC with `bytes`, 8 bytes per step (slicing by 8: table k maps a
    /// byte k positions before the end of the step). The 8 x 256 tables are rebuilt per call to
    /// keep the type free of global state; callers pass whole sections, so the 2 K table steps
    /// are small next to the bytes hashed, which decide the model's load time.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = value
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 8 * 256) { t in
            for i in 0..<256 {
                var c = UInt32(i)
                for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) }
                t[i] = c
            }
            for i in 256..<(8 * 256) {
                let previous = t[i &- 256]
                t[i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
            let n = bytes.count
            var p = 0
            while p &+ 8 <= n {
                let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: p, as: UInt64.self))
                let lo = UInt32(truncatingIfNeeded: v) ^ crc, hi = UInt32(truncatingIfNeeded: v >> 32)
                crc = t[7 &* 256 &+ Int(lo & 0xFF)] ^ t[6 &* 256 &+ Int((lo >> 8) & 0xFF)]
                    ^ t[5 &* 256 &+ Int((lo >> 16) & 0xFF)] ^ t[4 &* 256 &+ Int(lo >> 24)]
                    ^ t[3 &* 256 &+ Int(hi & 0xFF)] ^ t[2 &* 256 &+ Int((hi >> 8) & 0xFF)]
                    ^ t[256 &+ Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                p &+= 8
            }
            while p < n {
                crc = t[Int((crc ^ UInt32(bytes[p])) & 0xFF)] ^ (crc >> 8)
                p &+= 1
            }
        }
        value = crc
    }

    /// The CRC of everything passed to `update` so far.
    public var checksum: UInt32 { value ^ 0xFFFF_FFFF }

    /// The CRC of one buffer.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.checksum
    }
}
