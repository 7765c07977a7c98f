import EdgeFormat

/// ONNX DequantizeLinear: inputs x (int8, uint8, int16 or int32), scale and zero point
/// (float32 constants of one shape broadcasting to x, rank <= 4); output float32
/// (x - zero point) x scale, the difference taken in integers. No params.
enum DequantizeLinear {
    @inline(never)
    static func prepare(_ c: inout PrepareContext) throws(EdgeError) -> PreparedOp {
        try c.linearQuantization(quantize: false)
    }
}
