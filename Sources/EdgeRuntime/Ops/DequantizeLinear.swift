import EdgeFormat

/// ONNX DequantizeLinear: inputs x (int4, uint4, int8, uint8, int16, uint16, int32, float8e4m3fn
/// or float8e5m2; a float8 zero point is 0), scale and zero point
/// (float32 constants of one shape broadcasting to x, rank <= 4); output float32 or float16
/// (x - zero point) x scale, the difference taken in integers. No params.
enum DequantizeLinear {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.linearQuantization(quantize: false)
    }
}
