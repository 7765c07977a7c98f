import EdgeFormat

/// QuantizeLinear and DequantizeLinear as standalone ops (integer graph inputs and outputs,
/// per-axis and blocked parameters, int16): the runtime's QuantizeLinear/DequantizeLinear
/// kinds with ONNX's arithmetic, scale and zero point expanded to a shape that broadcasts to x.
extension ONNXContext {
    /// ONNX element types of quantized tensors these ops handle, and their dtypes.
    static let linearQuantizationTypes: [Int: DType] = [Onnx_TensorProto.DataType.int8.rawValue: .int8,
                                                        Onnx_TensorProto.DataType.uint8.rawValue: .uint8,
                                                        Onnx_TensorProto.DataType.int16.rawValue: .int16,
                                                        Onnx_TensorProto.DataType.uint16.rawValue: .uint16,
                                                        Onnx_TensorProto.DataType.int32.rawValue: .int32,
                                                        Onnx_TensorProto.DataType.int4.rawValue: .int4,
                                                        Onnx_TensorProto.DataType.uint4.rawValue: .uint4,
                                                        Onnx_TensorProto.DataType.float8E4M3Fn.rawValue: .float8E4M3FN,
                                                        Onnx_TensorProto.DataType.float8E5M2.rawValue: .float8E5M2]

    mutating func quantizeStandalone(_ node: Onnx_NodeProto, _ i: Int) throws(EdgeError) {
        pendingQuantize[node.output[0]] = nil
        define(node, try linearQuantization(node, try input(node, 0), quantize: true, i))
    }

    /// Emits the standalone op for `node` on `x`.
    mutating func linearQuantization(_ node: Onnx_NodeProto, _ x: ValueID, quantize: Bool, _ i: Int) throws(EdgeError) -> ValueID {
        let attributes = ONNXAttributes(node, object: nodeObject(node))
        let s = shape(x), rank = s.count
        guard rank <= 4 else { throw unsupported(node, "input has shape \(shapeText(s)); standalone quantization supports rank <= 4") }
        let scale = try constantInput(node, 1, "scale")
        let zeroPoint = hasInput(node, 2) ? try constantInput(node, 2, "zero_point") : nil
        // The integer type: the zero point's, else output_dtype (QuantizeLinear), else x's or uint8.
        var type = Int(zeroPoint?.dataType ?? 0)
        if type == 0 { type = quantize ? try attributes.int("output_dtype", default: Onnx_TensorProto.DataType.uint8.rawValue) : 0 }
        let integer: DType
        if quantize {
            guard let t = ONNXContext.linearQuantizationTypes[type], t != .int32 else {
                let name = Onnx_TensorProto.DataType(rawValue: type).map { "\($0)" } ?? "\(type)"
                throw unsupported(node, "quantized type \(name) is not supported (int4, uint4, int8, uint8, int16, uint16, float8e4m3fn, float8e5m2)")
            }
            guard graph[x].dtype == .float32 || graph[x].dtype == .float16 else {
                throw unsupported(node, "input is \(graph[x].dtype.name), expected float32 or float16")
            }
            if graph[x].dtype == .float16 && scale.dataType != Int32(Onnx_TensorProto.DataType.float16.rawValue) {
                throw unsupported(node, "input is float16 but the scale is not", fix: "give x and the scale one type (ONNX requires it)")
            }
            integer = t
        } else {
            integer = graph[x].dtype
            if zeroPoint != nil && ONNXContext.linearQuantizationTypes[type] != integer {
                throw unsupported(node, "zero point type \(type) differs from the input's \(integer.name)")
            }
        }
        // saturate applies to float8 outputs only (ONNX QuantizeLinear-19).
        let float8 = integer.isNarrowFloat
        let saturate = try attributes.int("saturate", default: 1) != 0 || !float8
        // ONNX DequantizeLinear's output has the scale's type; QuantizeLinear's x has it too.
        let real: DType = scale.dataType == Int32(Onnx_TensorProto.DataType.float16.rawValue) ? .float16 : .float32
        attributes.ignore("output_dtype")
        var axis = try attributes.int("axis", default: 1)
        if axis < 0 { axis += rank }
        let block = try attributes.int("block_size", default: 0)
        let scales = scale.asFloats
        if float8, let z = zeroPoint?.asFloats, z.contains(where: { $0 != 0 }) {
            throw unsupported(node, "float8 zero point \(z.prefix(8)) is not 0", fix: "float8 quantization has no zero point: use 0")
        }
        let zeros = zeroPoint?.asInts ?? [Int](repeating: 0, count: scales.count)
        guard zeros.count == scales.count else { throw unsupported(node, "zero point has \(zeros.count) values for \(scales.count) scales") }
        guard scales.allSatisfy({ $0.isFinite && $0 != 0 }) else { throw unsupported(node, "scales \(scales.prefix(8)) must be finite and non-zero") }
        for z in zeros where Int(exactly: Float(z)) != z {
            throw unsupported(node, "zero point \(z) is not exactly representable as float32", fix: "use zero points below 2^24 in magnitude")
        }
        // Scale and zero point as a tensor that broadcasts to x.
        var paramShape: [Int]
        var expandedScales = scales, expandedZeros = zeros.map { Float($0) }
        if scales.count == 1 && block == 0 {
            paramShape = [1]
        } else {
            guard axis >= 0 && axis < rank else { throw unsupported(node, "axis \(axis) is outside rank \(rank)") }
            if block == 0 {
                guard scales.count == s[axis] else { throw unsupported(node, "\(scales.count) scales for axis \(axis) of size \(s[axis])") }
                paramShape = (0..<rank).map { $0 == axis ? s[axis] : 1 }
            } else {
                // Blocked: scale has x's shape with axis a divided into blocks; repeat each entry.
                var blocked = s
                blocked[axis] = (s[axis] + block - 1) / block
                guard block > 0, scale.dims == blocked else {
                    throw unsupported(node, "scale of shape \(shapeText(scale.dims)) does not fit block_size \(block) along axis \(axis) of \(shapeText(s))")
                }
                let outer = s[..<axis].reduce(1, *), inner = s[(axis + 1)...].reduce(1, *)
                expandedScales = []
                expandedZeros = []
                for o in 0..<outer {
                    for a in 0..<s[axis] {
                        for k in 0..<inner {
                            let j = (o * blocked[axis] + a / block) * inner + k
                            expandedScales.append(scales[j])
                            expandedZeros.append(Float(zeros[j]))
                        }
                    }
                }
                paramShape = s
            }
        }
        let out = node.output[0]
        let scaleID = graph.addConstant("\(out)/scale", shape: paramShape, floats: expandedScales)
        let zeroID = graph.addConstant("\(out)/zero_point", shape: paramShape, floats: expandedZeros)
        let op: Op = quantize ? .quantizeLinear(to: integer, saturate: saturate) : .dequantizeLinear(to: real)
        return try emit(op, [x, scaleID, zeroID], node, index: i)
    }
}
