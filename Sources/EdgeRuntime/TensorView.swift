import EdgeFormat

/// A tensor's bytes in the arena (or the mapping) with its type, shape and quantization.
/// Valid while the interpreter that produced it lives.
public struct TensorView {
    public let index: Int
    public let name: String
    public let dtype: DType
    public let shape: Shape
    /// Per-tensor quantization, or nil for float tensors.
    public let quantization: QuantParams?
    public let data: UnsafeMutableRawPointer
    public var byteCount: Int { shape.elementCount * dtype.size }
    public var elementCount: Int { shape.elementCount }

    public var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: data, count: byteCount)
    }

    /// Element `i` as a real number (dequantized for integer tensors).
    public func value(at i: Int) -> Float {
        let q = quantization ?? QuantParams(scale: 1, zeroPoint: 0)
        switch dtype {
        case .float32: return data.load(fromByteOffset: 4 * i, as: Float.self)
        case .int8: return q.scale * Float(Int32(data.load(fromByteOffset: i, as: Int8.self)) - q.zeroPoint)
        case .uint8: return q.scale * Float(Int32(data.load(fromByteOffset: i, as: UInt8.self)) - q.zeroPoint)
        case .int16: return q.scale * Float(Int32(data.load(fromByteOffset: 2 * i, as: Int16.self)) - q.zeroPoint)
        case .int32: return q.scale * Float(data.load(fromByteOffset: 4 * i, as: Int32.self) - q.zeroPoint)
        case .bool: return Float(data.load(fromByteOffset: i, as: UInt8.self))
        case .int64: return Float(data.load(fromByteOffset: 8 * i, as: Int64.self))
        case .uint16: return q.scale * Float(Int32(data.load(fromByteOffset: 2 * i, as: UInt16.self)) - q.zeroPoint)
        case .float16: return NarrowFloat.decode(data.load(fromByteOffset: 2 * i, as: UInt16.self), dtype)
        case .float8E4M3FN, .float8E5M2: return NarrowFloat.decode(UInt16(data.load(fromByteOffset: i, as: UInt8.self)), dtype)
        case .int4: return Float(data.load(fromByteOffset: i, as: Int8.self))
        case .uint4: return Float(data.load(fromByteOffset: i, as: UInt8.self))
        }
    }
}
