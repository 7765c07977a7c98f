import EdgeFormat

/// The parts of a .tflite file (tensorflow/lite/schema/schema.fbs, schema version 3) that the
/// importer reads, decoded from the flatbuffer with every reference checked. Field ids are the
/// schema's; fields the importer does not need are skipped, but fields that change the meaning
/// of a tensor (sparsity, variable tensors, large-buffer offsets) are read so that a model
/// using them is rejected instead of misread.
struct TFLiteModel {
    struct OperatorCode {
        /// `max(deprecated_builtin_code, builtin_code)`, as TFLite's GetBuiltinCode.
        var builtin: Int32
        var customCode: String?
    }

    struct Quantization {
        var scales: [Float]
        var zeroPoints: [Int64]
        var quantizedDimension: Int32
        /// A non-affine `details` union (custom quantization) is present.
        var hasDetails: Bool
    }

    struct Tensor {
        var name: String
        var shape: [Int32]
        var shapeSignature: [Int32]
        /// TensorType: 0 FLOAT32, 1 FLOAT16, 2 INT32, 3 UINT8, 4 INT64, 7 INT16, 9 INT8, ...
        var type: Int8
        var buffer: Int
        var quantization: Quantization?
        var isVariable: Bool
        var isSparse: Bool
    }

    struct Operator {
        var opcodeIndex: Int
        var inputs: [Int32]
        var outputs: [Int32]
        var optionsType: UInt8
        var options: FBTable?
        var hasCustomOptions: Bool
        var hasIntermediates: Bool
    }

    struct SubGraph {
        var name: String
        var tensors: [Tensor]
        var inputs: [Int32]
        var outputs: [Int32]
        var operators: [Operator]
    }

    var version: UInt32
    var operatorCodes: [OperatorCode]
    var subgraphs: [SubGraph]
    /// Byte range of each buffer's data in the file (empty for buffers without data).
    var buffers: [Range<Int>]
    let file: FlatBuffer

    /// Schema field ids.
    enum Field {
        enum Model { static let version = 0, operatorCodes = 1, subgraphs = 2, buffers = 4 }
        enum OperatorCode { static let deprecatedBuiltinCode = 0, customCode = 1, builtinCode = 3 }
        enum SubGraph { static let tensors = 0, inputs = 1, outputs = 2, operators = 3, name = 4 }
        enum Tensor { static let shape = 0, type = 1, buffer = 2, name = 3, quantization = 4, isVariable = 5, sparsity = 6, shapeSignature = 7 }
        enum Quantization { static let scale = 2, zeroPoint = 3, detailsType = 4, quantizedDimension = 6 }
        enum Operator {
            static let opcodeIndex = 0, inputs = 1, outputs = 2, builtinOptionsType = 3, builtinOptions = 4
            static let customOptions = 5, intermediates = 8, largeCustomOptionsSize = 10, builtinOptions2Type = 11
        }
        enum Buffer { static let data = 0, offset = 1, size = 2 }
    }

    init(_ bytes: [UInt8], source: String) throws(EdgeError) {
        let fb = FlatBuffer(bytes, source: source)
        file = fb
        if bytes.count < 8 { throw fb.fail("it has only \(bytes.count) bytes") }
        if fb.fileIdentifier != "TFL3" {
            throw fb.fail("the file identifier at byte 4 is '\(fb.fileIdentifier ?? "")', expected 'TFL3'")
        }
        let model = try fb.root("Model")
        typealias F = Field.Model
        version = try model.u32(F.version)
        if version != 3 {
            throw EdgeError(.unsupported, object: source, problem: "has TFLite schema version \(version); edgepack reads version 3",
                            fix: "re-convert the model with a current TensorFlow or LiteRT converter")
        }
        operatorCodes = []
        for t in try model.tables(F.operatorCodes, "operator_codes") {
            typealias C = Field.OperatorCode
            let deprecated = Int32(try t.i8(C.deprecatedBuiltinCode))
            let code = try t.i32(C.builtinCode)
            operatorCodes.append(OperatorCode(builtin: max(deprecated, code), customCode: try t.string(C.customCode, "custom_code")))
        }
        buffers = []
        for (i, t) in try model.tables(F.buffers, "buffers").enumerated() {
            buffers.append(try Self.bufferRange(t, index: i, fb))
        }
        subgraphs = []
        for t in try model.tables(F.subgraphs, "subgraphs") {
            subgraphs.append(try Self.subgraph(t))
        }
    }

    /// A buffer's data: the inline `data` vector, or (models over 2 GB) `offset`/`size` into the file.
    private static func bufferRange(_ t: FBTable, index: Int, _ fb: FlatBuffer) throws(EdgeError) -> Range<Int> {
        typealias F = Field.Buffer
        let offset = try t.u64(F.offset), size = try t.u64(F.size)
        if offset > 1 {
            guard offset <= UInt64(fb.bytes.count), size <= UInt64(fb.bytes.count) - offset else {
                throw fb.fail("buffer \(index) spans bytes \(offset)..<\(offset &+ size), past the end of the \(fb.bytes.count)-byte file")
            }
            return Int(offset)..<Int(offset + size)
        }
        return try t.vector(F.data, elementSize: 1, "data")?.byteRange ?? 0..<0
    }

    private static func subgraph(_ t: FBTable) throws(EdgeError) -> SubGraph {
        typealias F = Field.SubGraph
        var tensors: [Tensor] = []
        for tt in try t.tables(F.tensors, "tensors") {
            typealias T = Field.Tensor
            var quantization: Quantization?
            if let q = try tt.table(T.quantization, "quantization") {
                typealias Q = Field.Quantization
                let scales = try q.float32s(Q.scale, "scale")
                let hasDetails = try q.u8(Q.detailsType) != 0
                if !scales.isEmpty || hasDetails {
                    quantization = Quantization(scales: scales, zeroPoints: try q.int64s(Q.zeroPoint, "zero_point"),
                                                quantizedDimension: try q.i32(Q.quantizedDimension), hasDetails: hasDetails)
                }
            }
            tensors.append(Tensor(name: try tt.string(T.name, "name") ?? "", shape: try tt.int32s(T.shape, "shape"),
                                  shapeSignature: try tt.int32s(T.shapeSignature, "shape_signature"),
                                  type: try tt.i8(T.type), buffer: Int(try tt.u32(T.buffer)), quantization: quantization,
                                  isVariable: try tt.bool(T.isVariable), isSparse: try tt.has(T.sparsity)))
        }
        var operators: [Operator] = []
        for ot in try t.tables(F.operators, "operators") {
            typealias O = Field.Operator
            let optionsType = try ot.u8(O.builtinOptionsType)
            let customOptions = try ot.has(O.customOptions)
            let largeCustomOptions = try ot.u64(O.largeCustomOptionsSize) != 0
            let options2 = try ot.u8(O.builtinOptions2Type) != 0
            operators.append(Operator(
                opcodeIndex: Int(try ot.u32(O.opcodeIndex)), inputs: try ot.int32s(O.inputs, "inputs"),
                outputs: try ot.int32s(O.outputs, "outputs"), optionsType: optionsType,
                options: optionsType == 0 ? nil : try ot.table(O.builtinOptions, "builtin_options"),
                hasCustomOptions: customOptions || largeCustomOptions || options2,
                hasIntermediates: !(try ot.int32s(O.intermediates, "intermediates")).isEmpty))
        }
        return SubGraph(name: try t.string(F.name, "name") ?? "", tensors: tensors, inputs: try t.int32s(F.inputs, "inputs"),
                        outputs: try t.int32s(F.outputs, "outputs"), operators: operators)
    }

    /// The bytes of buffer `index` (empty when it has no data).
    func data(_ index: Int) -> ArraySlice<UInt8> {
        index >= 0 && index < buffers.count ? file.bytes[buffers[index]] : []
    }
}

/// Names and codes of schema.fbs enums the importer reports or maps.
enum TFLiteSchema {
    /// TensorType name for errors.
    static func typeName(_ t: Int8) -> String {
        let names = ["FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64", "INT8",
                     "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4", "BFLOAT16"]
        return t >= 0 && Int(t) < names.count ? names[Int(t)] : "type \(t)"
    }

    enum TensorType { static let float32: Int8 = 0, float16: Int8 = 1, int32: Int8 = 2, int64: Int8 = 4, int8: Int8 = 9 }

    /// BuiltinOperator codes.
    enum Builtin {
        static let add: Int32 = 0, averagePool2D: Int32 = 1, concatenation: Int32 = 2, conv2D: Int32 = 3
        static let depthwiseConv2D: Int32 = 4, dequantize: Int32 = 6, fullyConnected: Int32 = 9, logistic: Int32 = 14
        static let maxPool2D: Int32 = 17, mul: Int32 = 18, relu: Int32 = 19, reluN1To1: Int32 = 20, relu6: Int32 = 21
        static let reshape: Int32 = 22, softmax: Int32 = 25, tanh: Int32 = 28, custom: Int32 = 32, pad: Int32 = 34
        static let transpose: Int32 = 39, mean: Int32 = 40, squeeze: Int32 = 43, expandDims: Int32 = 70
        static let quantize: Int32 = 114, hardSwish: Int32 = 117
    }

    /// BuiltinOperator name for errors (the codes edgepack maps, and common others).
    static func operatorName(_ code: Int32) -> String {
        let known: [Int32: String] = [
            0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 5: "DEPTH_TO_SPACE",
            6: "DEQUANTIZE", 7: "EMBEDDING_LOOKUP", 8: "FLOOR", 9: "FULLY_CONNECTED", 11: "L2_NORMALIZATION",
            12: "L2_POOL_2D", 13: "LOCAL_RESPONSE_NORMALIZATION", 14: "LOGISTIC", 16: "LSTM", 17: "MAX_POOL_2D",
            18: "MUL", 19: "RELU", 20: "RELU_N1_TO_1", 21: "RELU6", 22: "RESHAPE", 23: "RESIZE_BILINEAR", 24: "RNN",
            25: "SOFTMAX", 26: "SPACE_TO_DEPTH", 27: "SVDF", 28: "TANH", 32: "CUSTOM", 34: "PAD", 36: "GATHER",
            37: "BATCH_TO_SPACE_ND", 38: "SPACE_TO_BATCH_ND", 39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 42: "DIV",
            43: "SQUEEZE", 44: "UNIDIRECTIONAL_SEQUENCE_LSTM", 45: "STRIDED_SLICE", 47: "EXP", 49: "SPLIT",
            53: "CAST", 54: "PRELU", 55: "MAXIMUM", 57: "MINIMUM", 60: "PADV2", 65: "SLICE", 67: "TRANSPOSE_CONV",
            70: "EXPAND_DIMS", 74: "SUM", 75: "SQRT", 76: "RSQRT", 77: "SHAPE", 79: "POW", 83: "PACK",
            88: "UNPACK", 97: "RESIZE_NEAREST_NEIGHBOR", 98: "LEAKY_RELU", 99: "SQUARED_DIFFERENCE", 114: "QUANTIZE",
            117: "HARD_SWISH", 126: "BATCH_MATMUL", 150: "GELU",
        ]
        return known[code] ?? "builtin operator \(code)"
    }
}
