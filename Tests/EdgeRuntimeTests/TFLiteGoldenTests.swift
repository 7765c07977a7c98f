import EdgeFormat
import EdgeRuntime
import XCTest

/// Runs every case of the TFLite single-op golden corpus (`Goldens/tflite-ops`, made by
/// LiteRT 2.3.0's reference kernels; see `tools/tflite-op-goldens/README.md`) through EdgeRun:
/// a one-op model.bin written by `ModelWriter`, loaded and prepared by the runtime, executed
/// with the reference kernels. int8 outputs must match byte for byte; float32 outputs to
/// 1e-5 x max(1, max |expected|).
final class TFLiteGoldenTests: XCTestCase {
    func testConv2D() { checkCases(of: .conv2D) }
    func testDepthwiseConv2D() { checkCases(of: .depthwiseConv2D) }
    func testFullyConnected() { checkCases(of: .fullyConnected) }
    /// The same cases through the SIMD kernels `auto` picks on this machine (int8 still byte
    /// for byte; float32 within the same tolerance, which covers their other summation order).
    func testFullyConnectedWithThisMachinesKernels() {
        checkCases(of: .fullyConnected, kernels: .forThisMachine())
    }
    func testConv2DWithThisMachinesKernels() { checkCases(of: .conv2D, kernels: .forThisMachine()) }
    /// int8 Conv2D cases with their weights in the packed layout 2 (bias folded in, as
    /// edgepack writes them for AVX2 CPUs): still byte for byte, through the packed __ref
    /// kernel and through the kernel `auto` picks for packed weights on this machine.
    func testConv2DWithPackedWeights() { checkCases(of: .conv2D, packWeights: true) }
    func testConv2DWithPackedWeightsAndThisMachinesKernels() {
        checkCases(of: .conv2D, kernels: .forThisMachine(), packWeights: true)
    }
    /// The same with the 1x1 cases' weights in layout 3 (`oc16_k4_sm8`, the 4x16c4 tile).
    func testConv2DWithLayout3Weights() { checkCases(of: .conv2D, packWeights: true, layout: PackedWeights.conv1x1Layout) }
    func testConv2DWithLayout3WeightsAndThisMachinesKernels() {
        checkCases(of: .conv2D, kernels: .forThisMachine(), packWeights: true, layout: PackedWeights.conv1x1Layout)
    }
    /// The same with every int8 Conv2D case's weights in layout 4 (`oc8_k1_s16`, the NEON 8x8
    /// tile; its __neon kernel on aarch64 machines).
    func testConv2DWithLayout4Weights() { checkCases(of: .conv2D, packWeights: true, layout: PackedWeights.neonConvLayout) }
    func testConv2DWithLayout4WeightsAndThisMachinesKernels() {
        checkCases(of: .conv2D, kernels: .forThisMachine(), packWeights: true, layout: PackedWeights.neonConvLayout)
    }
    /// The same with every int8 Conv2D case's weights in layout 5 (`oc8_k4_s8`, the SDOT 8x8c4
    /// tile; its __neondot kernel on aarch64 machines with the dot product).
    func testConv2DWithLayout5Weights() { checkCases(of: .conv2D, packWeights: true, layout: PackedWeights.dotConvLayout) }
    func testConv2DWithLayout5WeightsAndThisMachinesKernels() {
        checkCases(of: .conv2D, kernels: .forThisMachine(), packWeights: true, layout: PackedWeights.dotConvLayout)
    }
    /// Every int8 FullyConnected case's weights in layout 6 (`oc4_k16_s8`, the 1x4c16 tiles;
    /// __neon or __neondot on aarch64 machines).
    func testFullyConnectedWithLayout6Weights() { checkCases(of: .fullyConnected, packWeights: true, layout: PackedWeights.neonFCLayout) }
    func testFullyConnectedWithLayout6WeightsAndThisMachinesKernels() {
        checkCases(of: .fullyConnected, kernels: .forThisMachine(), packWeights: true, layout: PackedWeights.neonFCLayout)
    }
    func testDepthwiseConv2DWithThisMachinesKernels() { checkCases(of: .depthwiseConv2D, kernels: .forThisMachine()) }
    func testAdd() { checkCases(of: .add) }
    func testMul() { checkCases(of: .mul) }
    func testAveragePool2D() { checkCases(of: .averagePool2D) }
    func testMaxPool2D() { checkCases(of: .maxPool2D) }
    func testMean() { checkCases(of: .mean) }
    func testAveragePool2DWithThisMachinesKernels() { checkCases(of: .averagePool2D, kernels: .forThisMachine()) }
    func testMaxPool2DWithThisMachinesKernels() { checkCases(of: .maxPool2D, kernels: .forThisMachine()) }
    func testMeanWithThisMachinesKernels() { checkCases(of: .mean, kernels: .forThisMachine()) }
    func testReshape() { checkCases(of: .reshape) }
    func testConcatenation() { checkCases(of: .concatenation) }
    func testPad() { checkCases(of: .pad) }
    /// TFLite's RELU, RELU6 and RELU_N1_TO_1.
    func testClamp() { checkCases(of: .clamp) }
    func testHardSwish() { checkCases(of: .hardSwish) }
    func testLogistic() { checkCases(of: .logistic) }
    func testTanh() { checkCases(of: .tanh) }
    func testSoftmax() { checkCases(of: .softmax) }
    func testQuantize() { checkCases(of: .quantize) }
    func testDequantize() { checkCases(of: .dequantize) }
    func testTranspose() { checkCases(of: .transpose) }
    func testGather() { checkCases(of: .gather) }
    func testDiv() { checkCases(of: .div) }

    /// Every op kind has float32 and int8 cases where it supports them, and every case maps to
    /// an op kind, so a deleted case folder or an unknown TFLite op is noticed.
    func testCorpusCoversEveryOpKind() throws {
        let cases = try GoldenCorpus.cases.get()
        XCTAssertGreaterThanOrEqual(cases.count, 107, "tools/tflite-op-goldens/README.md lists 107 cases")
        var found: [OpKind: Set<UInt8>] = [:]
        for c in cases {
            guard let kind = TFLiteOpMapping.kind(of: c.op) else {
                XCTFail("\(c.name): TFLite op \(c.op) maps to no EdgeRun op kind")
                continue
            }
            found[kind, default: []].insert(c.dtype.rawValue)
        }
        for kind in OpKind.allCases {
            for dtype in Self.dtypes(kind) where !(found[kind]?.contains(dtype.rawValue) ?? false) {
                XCTFail("no \(dtype.name) golden case for \(kind.name)")
            }
        }
    }

    /// The activation dtypes each op kind runs (exhaustive: a new op kind must say).
    static func dtypes(_ kind: OpKind) -> [DType] {
        switch kind {
        case .quantize, .dequantize:
            return [.int8]
        case .div:
            return [.float32]
        case .sub, .quantizeLinear, .dequantizeLinear, .sqrt, .maxPoolIndices:
            return []  // ONNX-only kinds: Tests/EdgePackTests/ONNXIntegerIOTests and the ONNX conformance run
        case .conv2D, .depthwiseConv2D, .fullyConnected, .add, .mul, .averagePool2D, .maxPool2D, .mean, .reshape,
             .concatenation, .pad, .clamp, .hardSwish, .logistic, .tanh, .softmax, .transpose, .gather:
            return [.float32, .int8]
        }
    }

    // MARK: - Running cases

    private func checkCases(of kind: OpKind, kernels: KernelTable = .reference, packWeights: Bool = false,
                            layout: UInt8 = PackedWeights.conv2DLayout,
                            file: StaticString = #filePath, line: UInt = #line) {
        let packedBefore = PackedConvCases.packed
        let cases: [GoldenCase]
        switch GoldenCorpus.cases {
        case .success(let all): cases = all.filter { TFLiteOpMapping.kind(of: $0.op) == kind }
        case .failure(let error): return XCTFail("\(error)", file: file, line: line)
        }
        XCTAssertFalse(cases.isEmpty, "no golden cases for \(kind.name)", file: file, line: line)
        var failures: [String] = []
        var tally: [(dtype: DType, passed: Int, total: Int)] = [(.float32, 0, 0), (.int8, 0, 0)]
        for c in cases {
            let failure: String?
            do {
                failure = try Self.run(c, kernels: kernels, packWeights: packWeights, layout: layout)
            } catch let error as EdgeError {
                failure = "\(c.name): \(error.message)"
            } catch {
                failure = "\(c.name): \(error)"
            }
            let slot = c.dtype == .int8 ? 1 : 0
            tally[slot].total += 1
            if let failure { failures.append(failure) } else { tally[slot].passed += 1 }
        }
        if packWeights {
            XCTAssertGreaterThan(PackedConvCases.packed, packedBefore, "no case had its Conv2D weights packed in layout \(layout)",
                                 file: file, line: line)
        }
        let summary = tally.filter { $0.total > 0 }.map { "\($0.dtype.name) \($0.passed)/\($0.total)" }.joined(separator: ", ")
        print("TFLite goldens \(kind.name) (\(kernels.isa) kernels): \(summary) passed")
        XCTAssert(failures.isEmpty, "\(failures.count) of \(cases.count) \(kind.name) cases failed:\n" + failures.joined(separator: "\n"),
                  file: file, line: line)
    }

    /// Byte pattern written over the output and the 64 bytes after it before `invoke()`:
    /// unwritten outputs and writes past the end show up.
    private static let poison: UInt8 = 0xA5

    /// Runs one case; returns nil when it matches its golden, else what went wrong.
    static func run(_ c: GoldenCase, kernels: KernelTable = .reference, packWeights: Bool = false,
                    layout: UInt8 = PackedWeights.conv2DLayout) throws -> String? {
        let built = try TFLiteOpMapping.model(for: c)
        var description = built.description
        if packWeights && PackedConvCases.pack(&description, layout: layout) {
            let ran = "\(try Interpreter(model: try EdgeModel(bytes: ModelWriter.serialize(description)), kernels: kernels).kernelName(0))"
            let entry = layout == PackedWeights.conv1x1Layout ? kernels.qs8PackedConv1x1
                : layout == PackedWeights.neonConvLayout ? kernels.qs8PackedConv8x8
                : layout == PackedWeights.dotConvLayout ? kernels.qs8PackedConv8x8c4 : kernels.qs8PackedConv2D
            let expected = layout == PackedWeights.neonFCLayout ? "\(kernels.qs8PackedFullyConnected.name)" : "\(entry.name)"
            if ran != expected { return "\(c.name): packed weights ran \(ran)" }
        }
        let model = try EdgeModel(bytes: ModelWriter.serialize(description))
        let interpreter = try Interpreter(model: model, kernels: kernels)
        if interpreter.inputCount != built.feeds.count {
            return "\(c.name): model has \(interpreter.inputCount) inputs, case feeds \(built.feeds.count)"
        }
        var fed: [[UInt8]] = []
        for (k, position) in built.feeds.enumerated() {
            guard let golden = c.inputs[position] else { return "\(c.name): input \(position) is absent" }
            let data = try c.data(golden)
            let view = interpreter.input(k)
            if view.byteCount != data.count {
                return "\(c.name): input \(k) holds \(view.byteCount) bytes, golden \(golden.file) has \(data.count)"
            }
            data.withUnsafeBytes { view.bytes.copyMemory(from: $0) }
            fed.append(data)
        }
        let output = interpreter.output(0)
        let guardBytes = FormatV1.overReadBytes
        (output.data).initializeMemory(as: UInt8.self, repeating: poison, count: output.byteCount + guardBytes)

        interpreter.invoke()

        for (k, data) in fed.enumerated() where !data.elementsEqual(interpreter.input(k).bytes) {
            return "\(c.name): the op modified input \(k)"
        }
        let tail = UnsafeRawBufferPointer(start: output.data + output.byteCount, count: guardBytes)
        if let i = tail.firstIndex(where: { $0 != poison }) {
            return "\(c.name): the op wrote \(i) bytes past the end of its \(output.byteCount)-byte output"
        }
        let golden = c.outputs[0]
        let expected = try c.data(golden)
        let goldenDType = try golden.edgeDType()
        if output.shape != Shape(golden.shape) || output.dtype != goldenDType {
            return "\(c.name): output is \(output.dtype.name) \(output.shape.text), golden \(golden.dtype) \(golden.shape)"
        }
        let got = [UInt8](UnsafeRawBufferPointer(output.bytes))
        switch output.dtype {
        case .float32:
            return compareFloat(c.name, got: got, expected: expected)
        default:
            return compareExact(c.name, got: got, expected: expected, elementSize: output.dtype.size)
        }
    }

    /// int8 (and other integer) outputs: bit-exact with TFLite.
    static func compareExact(_ name: String, got: [UInt8], expected: [UInt8], elementSize: Int) -> String? {
        guard let first = got.indices.first(where: { got[$0] != expected[$0] }) else { return nil }
        let index = first / elementSize
        let mismatches = stride(from: 0, to: got.count, by: elementSize).filter { i in
            got[i..<(i + elementSize)] != expected[i..<(i + elementSize)]
        }.count
        let value = { (bytes: [UInt8]) -> Int in
            elementSize == 1 ? Int(Int8(bitPattern: bytes[index])) : Int(Self.int32(bytes, index))
        }
        return "\(name): \(mismatches) of \(got.count / elementSize) elements differ; first at index \(index): got \(value(got)), expected \(value(expected))"
    }

    /// float32 outputs: max abs error <= 1e-5 x max(1, max |expected|).
    static func compareFloat(_ name: String, got: [UInt8], expected: [UInt8]) -> String? {
        let count = expected.count / 4
        var largest: Float = 1
        for i in 0..<count { largest = max(largest, abs(float(expected, i))) }
        let tolerance = 1e-5 * largest
        var worst: (index: Int, error: Float) = (0, 0)
        for i in 0..<count {
            let error = abs(float(got, i) - float(expected, i))
            if error.isNaN { return "\(name): got \(float(got, i)) at index \(i), expected \(float(expected, i))" }
            if error > worst.error { worst = (i, error) }
        }
        if worst.error <= tolerance { return nil }
        return "\(name): max abs error \(worst.error) > \(tolerance) at index \(worst.index): got \(float(got, worst.index)), expected \(float(expected, worst.index))"
    }

    private static func int32(_ bytes: [UInt8], _ i: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
    }

    private static func float(_ bytes: [UInt8], _ i: Int) -> Float { Float(bitPattern: UInt32(bitPattern: int32(bytes, i))) }
}
