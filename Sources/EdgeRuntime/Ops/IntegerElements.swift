import EdgeFormat

/// Element access for the Swift integer loops (IntegerArithmetic, IntegerMaxPool,
/// LinearQuantization, MaxPoolIndices): one loop body for every dtype, each element widened
/// through a switch on the dtype, so the binary holds one copy of each loop rather than one
/// specialization per element type (the device binary has a size budget).
extension DType {
    /// Element `i` of a plain integer tensor (int4, uint4, int8, uint8, int16, uint16, int32, int64) as Int64.
    @inline(never)
    func loadInteger(_ p: UnsafeRawPointer, _ i: Int) -> Int64 {
        switch self {
        case .int8, .int4: return Int64(p.assumingMemoryBound(to: Int8.self)[i])
        case .uint8, .bool, .uint4: return Int64(p.assumingMemoryBound(to: UInt8.self)[i])
        case .int16: return Int64(p.assumingMemoryBound(to: Int16.self)[i])
        case .uint16: return Int64(p.assumingMemoryBound(to: UInt16.self)[i])
        case .int32: return Int64(p.assumingMemoryBound(to: Int32.self)[i])
        case .int64: return p.assumingMemoryBound(to: Int64.self)[i]
        case .float32, .float16, .float8E4M3FN, .float8E5M2: return 0
        }
    }

    /// Stores `v` into element `i`, keeping its low bits (two's complement wraparound).
    @inline(never)
    func storeInteger(_ v: Int64, _ p: UnsafeMutableRawPointer, _ i: Int) {
        switch self {
        case .int8: p.assumingMemoryBound(to: Int8.self)[i] = Int8(truncatingIfNeeded: v)
        case .uint8, .bool: p.assumingMemoryBound(to: UInt8.self)[i] = UInt8(truncatingIfNeeded: v)
        case .int4: p.assumingMemoryBound(to: Int8.self)[i] = Int8(truncatingIfNeeded: (v << 60) >> 60)
        case .uint4: p.assumingMemoryBound(to: UInt8.self)[i] = UInt8(truncatingIfNeeded: v & 15)
        case .int16: p.assumingMemoryBound(to: Int16.self)[i] = Int16(truncatingIfNeeded: v)
        case .uint16: p.assumingMemoryBound(to: UInt16.self)[i] = UInt16(truncatingIfNeeded: v)
        case .int32: p.assumingMemoryBound(to: Int32.self)[i] = Int32(truncatingIfNeeded: v)
        case .int64: p.assumingMemoryBound(to: Int64.self)[i] = v
        case .float32, .float16, .float8E4M3FN, .float8E5M2: break
        }
    }

    /// `v` wrapped into the dtype's range (its low bits, sign-extended for signed dtypes).
    func wrapInteger(_ v: Int64) -> Int64 {
        switch self {
        case .int8: return Int64(Int8(truncatingIfNeeded: v))
        case .uint8, .bool: return Int64(UInt8(truncatingIfNeeded: v))
        case .int16: return Int64(Int16(truncatingIfNeeded: v))
        case .uint16: return Int64(UInt16(truncatingIfNeeded: v))
        case .int32: return Int64(Int32(truncatingIfNeeded: v))
        case .int4: return (v << 60) >> 60
        case .uint4: return v & 15
        case .int64, .float32, .float16, .float8E4M3FN, .float8E5M2: return v
        }
    }

    /// The smallest and largest value of an integer dtype.
    var integerRange: (min: Int64, max: Int64) {
        switch self {
        case .int8: return (-128, 127)
        case .uint8, .bool: return (0, 255)
        case .int16: return (-32768, 32767)
        case .uint16: return (0, 65535)
        case .int32: return (Int64(Int32.min), Int64(Int32.max))
        case .int4: return (-8, 7)
        case .uint4: return (0, 15)
        case .int64, .float32, .float16, .float8E4M3FN, .float8E5M2: return (.min, .max)
        }
    }
}
