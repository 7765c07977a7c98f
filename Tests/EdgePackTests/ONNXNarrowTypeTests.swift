import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest
@testable import EdgePack

/// float16, float8 and 4-bit integer tensors through QuantizeLinear / DequantizeLinear, and
/// empty tensors (a dimension of size 0), end to end: import, pack, load, run.
final class ONNXNarrowTypeTests: XCTestCase {
    func typed(_ v: inout Onnx_ValueInfoProto, _ type: Onnx_TensorProto.DataType) {
        guard case .tensorType(var t)? = v.type.value else { return }
        t.elemType = Int32(type.rawValue)
        v.type.value = .tensorType(t)
    }

    /// Runs a packed model with raw little-endian input bytes; returns every output.
    func run(_ b: ONNXBuilder, _ inputs: [[UInt8]]) throws -> [(dtype: DType, shape: [Int], bytes: [UInt8])] {
        let interpreter = try Harness.pack(b).float.interpreter()
        for (i, bytes) in inputs.enumerated() {
            let t = interpreter.input(i)
            XCTAssertEqual(t.byteCount, bytes.count, "input \(i)")
            for (k, byte) in bytes.enumerated() { t.data.storeBytes(of: byte, toByteOffset: k, as: UInt8.self) }
        }
        interpreter.invoke()
        return (0..<interpreter.outputCount).map { o in
            let t = interpreter.output(o)
            return (t.dtype, t.shape.dims, Array(UnsafeRawBufferPointer(start: t.data, count: t.byteCount)))
        }
    }

    func bytes(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
    func halves(_ bits: [UInt16]) -> [UInt8] { bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
    func halfBits(_ bytes: [UInt8]) -> [UInt16] { stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 } }

    func testQuantizeLinearToFloat8E4M3FNSaturatesAndRoundsToEven() throws {
        var b = ONNXBuilder()
        b.opset = 21
        b.input("x", [8])
        b.constant("s", [], [2])
        b.raw("zp", [1], [0], type: .float8E4M3Fn)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"])
        b.output("q")
        typed(&b.outputs[0], .float8E4M3Fn)
        // 896/2 = 448 (largest); 928/2 = 464 ties to even 448; 1000/2 saturates; 2.125/2 =
        // 1.0625 ties to even 1.0; NaN stays NaN.
        let out = try run(b, [bytes([0, 2, 896, 928, 1000, -2e6, 2.125, .nan])])
        XCTAssertEqual(out[0].dtype, .float8E4M3FN)
        XCTAssertEqual(out[0].bytes, [0x00, 0x38, 0x7E, 0x7E, 0x7E, 0xFE, 0x38, 0x7F])
    }

    func testDequantizeLinearOfFloat8ToFloat16WithAFloat16Scale() throws {
        var b = ONNXBuilder()
        b.opset = 21
        b.input("x", [4])
        typed(&b.inputs[0], .float8E4M3Fn)
        b.raw("s", [], [0x00, 0x38], type: .float16)  // 0.5
        b.node("DequantizeLinear", ["x", "s"], ["y"])
        b.output("y")
        typed(&b.outputs[0], .float16)
        let out = try run(b, [[0x38, 0x7E, 0xFE, 0x01]])  // 1, 448, -448, 2^-9
        XCTAssertEqual(out[0].dtype, .float16)
        XCTAssertEqual(halfBits(out[0].bytes), [0x3800, 0x5B00, 0xDB00, 0x1400])  // 0.5, 224, -224, 2^-10

        var c = ONNXBuilder()
        c.opset = 21
        c.input("x", [3])
        typed(&c.inputs[0], .float8E5M2)
        c.constant("s", [], [0.5])
        c.node("DequantizeLinear", ["x", "s"], ["y"])
        c.output("y")
        let e5 = try run(c, [[0x7B, 0x3C, 0x83]])  // 57344, 1, -3 x 2^-16 (a subnormal)
        XCTAssertEqual(e5[0].dtype, .float32)
        XCTAssertEqual(e5[0].bytes, bytes([28672, 0.5, -3 * Float(sign: .plus, exponent: -17, significand: 1)]))
    }

    func testInt4QuantizeLinearPerAxisSaturatesToMinus8Through7() throws {
        var b = ONNXBuilder()
        b.opset = 21
        b.input("x", [3, 4])
        b.constant("s", [3], [2, 1, 0.5])
        b.raw("zp", [3], [0x81, 0x07], type: .int4)  // 1, -8, 7: two per byte, low nibble first
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"], [Attr.int("axis", 0)])
        b.output("q")
        typed(&b.outputs[0], .int4)
        let out = try run(b, [bytes([0, 3, 5, 100, -1, 2.5, 20, -3, 0, -1, -10, 1.25])])
        XCTAssertEqual(out[0].dtype, .int4)
        XCTAssertEqual(out[0].bytes.map { Int8(bitPattern: $0) }, [1, 3, 3, 7, -8, -6, 7, -8, 7, 5, -8, 7])
    }

    func testBlockedDequantizeLinearOfInt4AndUInt4QuantizeLinear() throws {
        var b = ONNXBuilder()
        b.opset = 21
        b.input("x", [1, 4])
        typed(&b.inputs[0], .int4)
        b.constant("s", [1, 2], [1, 2])
        b.raw("zp", [1, 2], [0x3F], type: .int4)  // -1, 3
        b.node("DequantizeLinear", ["x", "s", "zp"], ["y"], [Attr.int("axis", 1), Attr.int("block_size", 2)])
        b.output("y")
        let y = try run(b, [[-8, 7, 0, 5].map { UInt8(bitPattern: $0) }])
        XCTAssertEqual(y[0].bytes, bytes([-7, 8, -6, 4]))

        var c = ONNXBuilder()
        c.opset = 21
        c.input("x", [5])
        c.constant("s", [], [1])
        c.raw("zp", [], [0x03], type: .uint4)
        c.node("QuantizeLinear", ["x", "s", "zp"], ["q"])
        c.output("q")
        typed(&c.outputs[0], .uint4)
        let q = try run(c, [bytes([-5, 0, 11.5, 12.5, 20])])
        XCTAssertEqual(q[0].dtype, .uint4)
        XCTAssertEqual(q[0].bytes, [0, 3, 15, 15, 15])
    }

    func testFloat16InputQuantizesAndFeedsNoFloat32OnlyOp() throws {
        var b = ONNXBuilder()
        b.opset = 21
        b.input("x", [4])
        typed(&b.inputs[0], .float16)
        b.raw("s", [], [0x00, 0x42], type: .float16)  // 3
        b.integers("zp", [], [0], type: .int8)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"])
        b.output("q")
        typed(&b.outputs[0], .int8)
        let out = try run(b, [halves([0x3E00, 0x4480, 0xC780, 0x63D0])])  // 1.5, 4.5, -7.5, 1000
        XCTAssertEqual(out[0].bytes.map { Int8(bitPattern: $0) }, [0, 2, -2, 127])

        var c = ONNXBuilder()
        c.input("x", [4])
        typed(&c.inputs[0], .float16)
        c.node("Sigmoid", ["x"], ["y"])
        c.output("y")
        let e = Harness.expectError { _ = try Harness.pack(c) }
        XCTAssertTrue(e?.problem.contains("float16") ?? false, e?.message ?? "no error")
    }

    func testFloat8ZeroPointMustBeZero() {
        var b = ONNXBuilder()
        b.opset = 21
        b.input("x", [2])
        b.constant("s", [], [1])
        b.raw("zp", [1], [0x38], type: .float8E4M3Fn)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"])
        b.output("q")
        typed(&b.outputs[0], .float8E4M3Fn)
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertTrue(e?.problem.contains("float8 zero point [1.0] is not 0") ?? false, e?.message ?? "no error")
    }

    func testSaturateZeroOverflowsToNaNOrInfinity() throws {
        for (type, expected) in [(Onnx_TensorProto.DataType.float8E4M3Fn, [UInt8]([0x7E, 0x7F, 0xFF, 0x7F, 0x7F])),
                                 (.float8E5M2, [0x5F, 0x7C, 0xFC, 0x7C, 0x7F])] {
            var b = ONNXBuilder()
            b.opset = 21
            b.input("x", [5])
            b.constant("s", [], [1])
            b.raw("zp", [1], [0], type: type)
            b.node("QuantizeLinear", ["x", "s", "zp"], ["q"], [Attr.int("saturate", 0)])
            b.output("q")
            typed(&b.outputs[0], type)
            // 448 fits both; 1e5 and -1e5 overflow, so does +inf; NaN stays NaN.
            let out = try run(b, [bytes([448, 1e5, -1e5, .infinity, .nan])])
            XCTAssertEqual(out[0].bytes, expected, "\(type)")
        }
    }

    func testEmptyTensorsThroughReshapeAndSlice() throws {
        var b = ONNXBuilder()
        b.opset = 14
        b.input("x", [0, 3, 4])
        b.ints("shape", [3, 4, 0])
        b.node("Reshape", ["x", "shape"], ["r"], [Attr.int("allowzero", 1)])
        b.output("r")
        let interpreter = try Harness.pack(b).float.interpreter()
        XCTAssertEqual(interpreter.input(0).byteCount, 0)
        XCTAssertEqual("\(interpreter.kernelName(0))", "none (empty output)")
        interpreter.invoke()
        XCTAssertEqual(interpreter.output(0).shape.dims, [3, 4, 0])

        var c = ONNXBuilder()
        c.input("x", [2, 10])
        c.ints("starts", [1000])
        c.ints("ends", [1000])
        c.ints("axes", [1])
        c.node("Slice", ["x", "starts", "ends", "axes"], ["y"])
        c.output("y")
        let out = try run(c, [bytes([Float](repeating: 1, count: 20))])
        XCTAssertEqual(out[0].shape, [2, 0])
        XCTAssertEqual(out[0].bytes, [])
    }

    func testAnEmptyInputCannotFeedANonEmptyOutput() {
        var b = ONNXBuilder()
        b.input("x", [0, 2])
        b.input("y", [3, 2])
        b.node("Concat", ["x", "y"], ["z"], [Attr.int("axis", 0)])
        b.output("z")
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertTrue(e?.problem.contains("is empty but the output is not") ?? false, e?.message ?? "no error")
    }
}
