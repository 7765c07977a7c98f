import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest
@testable import EdgePack

/// The flatbuffer reader and the TFLite importer on models built in the test: parsing,
/// numbers, padding and quantization carried over as they are, and clear errors for
/// truncated, corrupted and unsupported files.
final class TFLiteImporterTests: XCTestCase {
    /// input [1, 4] -> FULLY_CONNECTED (weights [3, 4], bias [3], RELU) -> output [1, 3].
    static func floatFC(activation: Int8 = 1) -> TFLiteBuilder {
        var b = TFLiteBuilder()
        let x = b.tensor("input", [1, 4])
        let w = b.tensor("weights", [3, 4], data: TFLiteBuilder.floats([1, 2, 3, 4, -1, -2, -3, -4, 0.5, 0, -0.5, 1]))
        let bias = b.tensor("bias", [3], data: TFLiteBuilder.floats([0.25, 1, -2]))
        let y = b.tensor("output", [1, 3])
        b.operators = [.init(builtin: 9, inputs: [x, w, bias], outputs: [y], optionsType: 8, options: [(0, .i8(activation))])]
        b.inputs = [x]
        b.outputs = [y]
        return b
    }

    func testFloatFullyConnectedImportsAndComputes() throws {
        let result = try Packer.pack(model: Self.floatFC().bytes(), options: PackOptions())
        XCTAssertEqual(Harness.ops(result.final.graph), ["FullyConnected"])
        let out = try Harness.run(result.final, [1, -1, 2, 0.5])
        // [1*1 - 2 + 6 + 2 + 0.25, -1 + 2 - 6 - 2 + 1, 0.5 - 1 + 0.5 - 2] then RELU.
        XCTAssertEqual(out, [7.25, 0, 0])
    }

    /// A float TFLite model goes through the same post-training quantization as ONNX models.
    func testFloatModelQuantizesWithCalibration() throws {
        var rng = SeededRandom(seed: 41)
        let samples = (0..<64).map { _ in rng.uniform(-2, 2) }
        var options = PackOptions()
        options.quantization = QuantizationOptions(calibration: NPYArray(element: .float32, shape: [16, 4], data: TFLiteBuilder.floats(samples)),
                                                   calibrationName: "calibration.npy")
        let result = try Packer.pack(tflite: Self.floatFC(activation: 0).bytes(), options: options)
        let int8 = try XCTUnwrap(result.quantized)
        XCTAssertEqual(Harness.ops(int8.graph), ["Quantize", "FullyConnected", "Dequantize"])
        let x: [Float] = [1, -1, 2, 0.5]
        Harness.assertClose(try Harness.run(int8, x), try Harness.run(result.float, x), 0.05)
    }

    func testSourceFormatIsDetectedFromTheContents() {
        XCTAssertEqual(Packer.sourceFormat(of: Self.floatFC().bytes()), .tflite)
        XCTAssertEqual(Packer.sourceFormat(of: [0x08, 0x07, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74]), .onnx)
    }

    /// int8 conv [1, 6, 6, 2] -> [1, 3, 3, 3], SAME, stride 2, RELU6, per-channel weights.
    static func int8Conv() -> TFLiteBuilder {
        var b = TFLiteBuilder()
        let x = b.tensor("input", [1, 6, 6, 2], type: 9, scales: [0.05], zeroPoints: [-3])
        let w = b.tensor("filter", [3, 3, 3, 2], type: 9, data: TFLiteBuilder.int8s((0..<54).map { Int8($0 % 7 - 3) }),
                         scales: [0.01, 0.02, 0.03], axis: 0)
        let bias = b.tensor("bias", [3], type: 2, data: TFLiteBuilder.int32s([10, -20, 30]),
                            scales: [0.0005, 0.001, 0.0015], axis: 0)
        let y = b.tensor("output", [1, 3, 3, 3], type: 9, scales: [0.07], zeroPoints: [5])
        b.operators = [.init(builtin: 3, inputs: [x, w, bias], outputs: [y], optionsType: 1,
                             options: [(0, .i8(0)), (1, .i32(2)), (2, .i32(2)), (3, .i8(3))])]
        b.inputs = [x]
        b.outputs = [y]
        return b
    }

    /// int8 conv, SAME padding with stride 2 on an even input: TFLite puts the odd pad after.
    func testInt8ConvKeepsTheFilesQuantizationAndResolvesSamePadding() throws {
        let b = Self.int8Conv()
        let imported = try TFLiteImporter.importModel(b.bytes())
        XCTAssertTrue(imported.isQuantized)
        let g = imported.graph
        guard case .conv2D(let a)? = g.nodes.first?.op else { return XCTFail("expected a Conv2D, got \(Harness.ops(g))") }
        XCTAssertEqual(a.padding, Padding2D(top: 0, left: 0, bottom: 1, right: 1))
        XCTAssertEqual(a.activation, .relu6)
        XCTAssertEqual(g[g.inputs[0]].quantization, Quantization(scale: 0.05, zeroPoint: -3))
        XCTAssertEqual(g[g.outputs[0]].quantization, Quantization(scale: 0.07, zeroPoint: 5))
        XCTAssertEqual(g[g.nodes[0].inputs[1]!].quantization?.scales, [0.01, 0.02, 0.03])
        XCTAssertEqual(g[g.nodes[0].inputs[2]!].data, .int32([10, -20, 30]))
        let packed = try Packer.pack(tflite: b.bytes(), options: PackOptions())
        XCTAssertNil(packed.quantized)
        XCTAssertEqual(packed.final.graph[packed.final.graph.inputs[0]].dtype, .int8)
    }

    func testAlreadyQuantizedModelRejectsQuantizeOption() throws {
        var b = TFLiteBuilder()
        let x = b.tensor("input", [1, 8], type: 9, scales: [0.1], zeroPoints: [0])
        let y = b.tensor("output", [1, 8], type: 9, scales: [1.0 / 256], zeroPoints: [-128])
        b.operators = [.init(builtin: 25, inputs: [x], outputs: [y], optionsType: 9, options: [(0, .f32(1))])]
        b.inputs = [x]
        b.outputs = [y]
        var options = PackOptions()
        options.quantization = QuantizationOptions(calibration: NPYArray(element: .float32, shape: [1, 8], data: [UInt8](repeating: 0, count: 32)),
                                                   calibrationName: "c.npy")
        let e = Harness.expectError { _ = try Packer.pack(tflite: b.bytes(), options: options) }
        XCTAssertEqual(e?.kind, .usage)
        XCTAssertTrue(e?.problem.contains("already quantized") ?? false, e?.message ?? "")
    }

    // MARK: Errors

    func testUnsupportedOperatorIsNamedAtPackTime() {
        var b = Self.floatFC()
        b.operators[0] = .init(builtin: 99, inputs: [0, 0], outputs: [3])
        let e = Harness.expectError { _ = try Packer.pack(tflite: b.bytes(), options: PackOptions()) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertTrue(e?.object.contains("operator 0 (SQUARED_DIFFERENCE)") ?? false, e?.message ?? "")
    }

    func testCustomOperatorIsNamed() {
        var b = Self.floatFC()
        b.operators[0] = .init(builtin: 32, inputs: [0], outputs: [3], customCode: "MyMagicOp")
        let e = Harness.expectError { _ = try TFLiteImporter.importModel(b.bytes()) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertTrue(e?.problem.contains("MyMagicOp") ?? false, e?.message ?? "")
    }

    func testUnsupportedFusedActivationIsRejected() {
        let e = Harness.expectError { _ = try TFLiteImporter.importModel(Self.floatFC(activation: 4).bytes()) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertTrue(e?.problem.contains("TANH") ?? false, e?.message ?? "")
    }

    func testDynamicRangeFullyConnectedImportsWithOneWeightScale() throws {
        var b = Self.floatFC()
        b.tensors[1] = .init(name: "weights", shape: [3, 4], type: 9, data: [UInt8](repeating: 1, count: 12), scales: [0.1], zeroPoints: [0])
        let packed = try Packer.pack(tflite: b.bytes(), options: PackOptions()).final
        XCTAssertEqual(packed.graph[packed.graph.nodes[0].inputs[1]!].dtype, .int8)
        // x = [1, -1, 2, 0.5]: max |x| = 2, xq = [64, -64, 127, 32] (round half away), acc = 159,
        // out = relu(bias + 159 x (2 / 127 x 0.1)).
        let out = try Harness.run(packed, [1, -1, 2, 0.5])
        let scale = Float(2) / 127 * Float(0.1)
        XCTAssertEqual(out, [0.25 + 159 * scale, 1 + 159 * scale, max(0, -2 + 159 * scale)])
    }

    func testDynamicRangeWithPerChannelScalesIsRejected() {
        var b = Self.floatFC()
        b.tensors[1] = .init(name: "weights", shape: [3, 4], type: 9, data: [UInt8](repeating: 1, count: 12),
                             scales: [0.1, 0.2, 0.3], zeroPoints: [0, 0, 0])
        let e = Harness.expectError { _ = try TFLiteImporter.importModel(b.bytes()) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertTrue(e?.problem.contains("dynamic-range") ?? false, e?.message ?? "")
    }

    func testWeightDataOfTheWrongSizeIsRejected() {
        var b = Self.floatFC()
        b.tensors[1].data = TFLiteBuilder.floats([1, 2, 3])
        let e = Harness.expectError { _ = try TFLiteImporter.importModel(b.bytes()) }
        XCTAssertEqual(e?.kind, .input)
        XCTAssertTrue(e?.problem.contains("12 bytes of data for float32 3x4") ?? false, e?.message ?? "")
    }

    func testTensorIndexOutOfRangeIsRejected() {
        var b = Self.floatFC()
        b.operators[0].inputs[1] = 40
        let e = Harness.expectError { _ = try TFLiteImporter.importModel(b.bytes()) }
        XCTAssertEqual(e?.kind, .input)
        XCTAssertTrue(e?.problem.contains("tensor 40") ?? false, e?.message ?? "")
    }

    func testWrongFileIdentifierIsRejected() {
        var bytes = Self.floatFC().bytes()
        bytes[4] = UInt8(ascii: "X")
        let e = Harness.expectError { _ = try TFLiteImporter.importModel(bytes, source: "m.tflite") }
        XCTAssertEqual(e?.kind, .input)
        XCTAssertTrue(e?.message.contains("m.tflite: is not a valid TFLite flatbuffer: the file identifier") ?? false, e?.message ?? "")
    }

    /// Every truncation that cuts referenced bytes fails with a flatbuffer error (the last
    /// bytes of the file are a string's terminator, which the reader does not need).
    func testEveryTruncationGivesAClearError() {
        let bytes = Self.floatFC().bytes()
        for cut in 0..<(bytes.count - 1) {
            do {
                _ = try TFLiteImporter.importModel(Array(bytes[0..<cut]), source: "cut.tflite")
                XCTFail("a file cut to \(cut) of \(bytes.count) bytes imported")
            } catch {
                XCTAssertTrue(error.message.hasPrefix("cut.tflite: is not a valid TFLite flatbuffer"), "cut \(cut): \(error.message)")
            }
        }
    }

    func testCorruptOffsetsAreNamed() {
        let bytes = Self.floatFC().bytes()
        var root = bytes
        root[0] = 0xF0; root[1] = 0xFF; root[2] = 0xFF; root[3] = 0x7F
        XCTAssertTrue(message(root).contains("table Model at byte 2147483632"), message(root))

        // The root table's soffset (at the root position) moved far away from any vtable.
        var vtable = bytes
        let rootPosition = Int(bytes[0]) | Int(bytes[1]) << 8
        vtable[rootPosition + 3] = 0x40
        XCTAssertTrue(message(vtable).contains("the vtable of Model"), message(vtable))
    }

    func testHugeVectorLengthIsRejected() throws {
        let bytes = Self.floatFC().bytes()
        // The shape vector of tensor 0 holds [1, 4]: find "02 00 00 00 01 00 00 00 04 00 00 00".
        let pattern: [UInt8] = [2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0]
        let at = try XCTUnwrap((0...(bytes.count - pattern.count)).first { Array(bytes[$0..<$0 + pattern.count]) == pattern })
        var corrupt = bytes
        corrupt[at + 3] = 0x7F
        XCTAssertTrue(message(corrupt).contains("shape claims 2130706434 elements"), message(corrupt))
    }

    /// Random byte corruption never crashes the reader: the import succeeds or throws.
    func testRandomCorruptionNeverCrashes() {
        corrupt(Self.floatFC().bytes(), seed: 0x7F1E)
        corrupt(Self.int8Conv().bytes(), seed: 0x1C0)
    }

    private func corrupt(_ bytes: [UInt8], seed: UInt64, iterations: Int = 2000) {
        var rng = SeededRandom(seed: seed)
        var rejected = 0
        for _ in 0..<iterations {
            var b = bytes
            for _ in 0..<1 + Int(rng.next() % 3) {
                b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            do { _ = try TFLiteImporter.importModel(b) } catch { rejected += 1 }
        }
        XCTAssertGreaterThan(rejected, 0, "seed \(seed): no corruption was detected")
    }

    private func message(_ bytes: [UInt8]) -> String {
        do {
            _ = try TFLiteImporter.importModel(bytes)
            return "imported"
        } catch {
            return error.message
        }
    }
}
