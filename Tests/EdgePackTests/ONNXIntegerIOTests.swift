import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest
@testable import EdgePack

/// Integer graph inputs and outputs end to end (import, pack, run): ONNX integer arithmetic,
/// standalone QuantizeLinear/DequantizeLinear, 3-D pooling, and edge/reflect/wrap Pad.
final class ONNXIntegerIOTests: XCTestCase {
    /// Gives a graph input or output ONNX element type `type`.
    func typed(_ v: inout Onnx_ValueInfoProto, _ type: Onnx_TensorProto.DataType) {
        guard case .tensorType(var t)? = v.type.value else { return }
        t.elemType = Int32(type.rawValue)
        v.type.value = .tensorType(t)
    }

    /// Runs a packed model with raw little-endian input bytes; returns every output's bytes.
    func run(_ b: ONNXBuilder, _ inputs: [[UInt8]]) throws -> [(dtype: DType, bytes: [UInt8])] {
        let interpreter = try Harness.pack(b).float.interpreter()
        for (i, bytes) in inputs.enumerated() {
            let t = interpreter.input(i)
            XCTAssertEqual(t.byteCount, bytes.count, "input \(i)")
            bytes.withUnsafeBytes { t.data.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        }
        interpreter.invoke()
        return (0..<interpreter.outputCount).map { o in
            let t = interpreter.output(o)
            return (t.dtype, Array(UnsafeRawBufferPointer(start: t.data, count: t.byteCount)))
        }
    }

    func floats(_ bytes: [UInt8]) -> [Float] {
        stride(from: 0, to: bytes.count, by: 4).map { k in
            Float(bitPattern: UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24)
        }
    }

    func bytes(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    func testUInt8ArithmeticWrapsAndDivisionTruncates() throws {
        var b = ONNXBuilder()
        b.input("x", [6])
        b.input("y", [6])
        typed(&b.inputs[0], .uint8)
        typed(&b.inputs[1], .uint8)
        for op in ["Add", "Sub", "Mul", "Div"] {
            b.node(op, ["x", "y"], [op.lowercased()])
            b.output(op.lowercased())
            typed(&b.outputs[b.outputs.count - 1], .uint8)
        }
        let x: [UInt8] = [250, 3, 0, 17, 128, 255], y: [UInt8] = [10, 5, 1, 4, 2, 0]
        let out = try run(b, [x, y])
        XCTAssertEqual(out.map(\.dtype), [.uint8, .uint8, .uint8, .uint8])
        XCTAssertEqual(out[0].bytes, [4, 8, 1, 21, 130, 255])       // 250 + 10 wraps to 4
        XCTAssertEqual(out[1].bytes, [240, 254, 255, 13, 126, 255])  // 3 - 5 wraps to 254
        XCTAssertEqual(out[2].bytes, [196, 15, 0, 68, 0, 0])         // 250 * 10 = 2500 = 196 mod 256
        XCTAssertEqual(out[3].bytes, [25, 0, 0, 4, 64, 0])           // truncation; x / 0 gives 0
    }

    func testInt32SubAndInt8ClipKeepIntegerSemantics() throws {
        var b = ONNXBuilder()
        b.input("a", [3])
        b.input("c", [3])
        b.input("x", [5])
        typed(&b.inputs[0], .int32)
        typed(&b.inputs[1], .int32)
        typed(&b.inputs[2], .int8)
        b.node("Sub", ["a", "c"], ["d"])
        b.integers("lo", [], [-3], type: .int8)
        b.integers("hi", [], [5], type: .int8)
        b.node("Clip", ["x", "lo", "hi"], ["clipped"])
        b.output("d")
        b.output("clipped")
        typed(&b.outputs[0], .int32)
        typed(&b.outputs[1], .int8)
        let a: [Int32] = [Int32.min, 2_000_000_001, -7], c: [Int32] = [1, -2, -7]
        let out = try run(b, [a.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) },
                              c.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) },
                              [-128, -3, 0, 5, 127].map { UInt8(bitPattern: $0) }])
        let d = stride(from: 0, to: 12, by: 4).map { k in Int32(bitPattern: UInt32(out[0].bytes[k]) | UInt32(out[0].bytes[k + 1]) << 8 | UInt32(out[0].bytes[k + 2]) << 16 | UInt32(out[0].bytes[k + 3]) << 24) }
        XCTAssertEqual(d, [Int32.max, 2_000_000_003, 0])  // min - 1 wraps to max; exact beyond float32's 2^24
        XCTAssertEqual(out[1].bytes.map { Int8(bitPattern: $0) }, [-3, -3, 0, 5, 5])
    }

    func testQuantizeLinearRoundsHalfToEvenAndSaturatesPerAxis() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 4])
        b.constant("s", [2], [1, 0.5])
        b.integers("zp", [2], [0, 10], type: .int8)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"], [Attr.int("axis", 0)])
        b.output("q")
        typed(&b.outputs[0], .int8)
        // Row 0 (scale 1): ties go to even; row 1 (scale 0.5, zero point 10) saturates at 127 and -128.
        let out = try run(b, [bytes([0.5, 1.5, 2.5, -2.5, 100, -100, 0.25, -0.75])])
        XCTAssertEqual(out[0].dtype, .int8)
        XCTAssertEqual(out[0].bytes.map { Int8(bitPattern: $0) }, [0, 2, 2, -2, 127, -128, 10, 8])
    }

    func testBlockedDequantizeLinearOfAUInt8Input() throws {
        var b = ONNXBuilder()
        b.input("x", [2, 4])
        typed(&b.inputs[0], .uint8)
        b.constant("s", [2, 2], [1, 2, 0.5, 4])
        b.integers("zp", [2, 2], [0, 1, 2, 3], type: .uint8)
        b.node("DequantizeLinear", ["x", "s", "zp"], ["y"], [Attr.int("axis", 1), Attr.int("block_size", 2)])
        b.output("y")
        let out = try run(b, [[1, 2, 3, 4, 5, 6, 7, 8]])
        XCTAssertEqual(floats(out[0].bytes), [1, 2, 4, 6, 1.5, 2, 16, 20])
    }

    func testInt16QuantizeDequantizeRoundTrip() throws {
        var b = ONNXBuilder()
        b.input("x", [3])
        b.constant("s", [], [0.01])
        b.integers16("zp", [], [-300], type: .int16)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"])
        b.node("DequantizeLinear", ["q", "s", "zp"], ["y"])
        b.output("y")
        let out = try run(b, [bytes([1.234, -400, 400])])
        // -400 / 0.01 - 300 saturates at -32768; 400 / 0.01 - 300 saturates at 32767.
        Harness.assertClose(floats(out[0].bytes), [1.23, (-32768 + 300) * 0.01, (32767 + 300) * 0.01], 1e-4)
    }

    func testUInt16QuantizeLinearSaturatesAtBothEnds() throws {
        var b = ONNXBuilder()
        b.input("x", [4])
        b.constant("s", [], [2])
        b.integers16("zp", [], [30000], type: .uint16)
        b.node("QuantizeLinear", ["x", "s", "zp"], ["q"])
        b.output("q")
        typed(&b.outputs[0], .uint16)
        let out = try run(b, [bytes([1, 3, -70000, 80000])])
        XCTAssertEqual(out[0].dtype, .uint16)
        let q = stride(from: 0, to: 8, by: 2).map { UInt16(out[0].bytes[$0]) | UInt16(out[0].bytes[$0 + 1]) << 8 }
        XCTAssertEqual(q, [30000, 30002, 0, 65535])  // 0.5 and 1.5 round to even
    }

    func testThreeDimensionalPoolingMatchesADirectLoop() throws {
        let dims = [1, 2, 3, 4, 5]
        for op in ["MaxPool", "AveragePool"] {
            var b = ONNXBuilder()
            b.input("x", dims.map { $0 })
            b.node(op, ["x"], ["y"], [Attr.ints("kernel_shape", [2, 2, 3]), Attr.ints("strides", [1, 2, 1]),
                                      Attr.ints("pads", [0, 1, 1, 1, 0, 1])])
            b.output("y")
            let x = Harness.randomInput(dims.reduce(1, *), seed: 5)
            let got = try Harness.run(try Harness.pack(b).float, x)
            // Direct loop: windows skip padded taps (count_include_pad = 0).
            var want: [Float] = []
            let (D, H, W) = (3, 4, 5)
            let outD = 3, outH = (H + 1 + 0 - 2) / 2 + 1, outW = (W + 1 + 1 - 3) + 1
            for c in 0..<2 {
                for od in 0..<outD {
                    for oh in 0..<outH {
                        for ow in 0..<outW {
                            var taps: [Float] = []
                            for kd in 0..<2 { for kh in 0..<2 { for kw in 0..<3 {
                                let d = od + kd, h = oh * 2 + kh - 1, w = ow + kw - 1
                                if d < D && h >= 0 && h < H && w >= 0 && w < W { taps.append(x[((c * D + d) * H + h) * W + w]) }
                            } } }
                            want.append(op == "MaxPool" ? taps.max()! : taps.reduce(0, +) / Float(taps.count))
                        }
                    }
                }
            }
            Harness.assertClose(got, want, 1e-5, op)
        }
    }

    func testMaxPoolIndicesAreFlatNCHWPositionsInBothStorageOrders() throws {
        for columnMajor in [false, true] {
            var b = ONNXBuilder()
            b.input("x", [1, 2, 4, 5])
            b.node("MaxPool", ["x"], ["y", "i"], [Attr.ints("kernel_shape", [3, 2]), Attr.ints("strides", [2, 2]),
                                                Attr.ints("pads", [1, 0, 1, 1]), Attr.int("storage_order", columnMajor ? 1 : 0)])
            b.output("y")
            b.output("i")
            typed(&b.outputs[1], .int64)
            let x = Harness.randomInput(40, seed: 11)
            let out = try run(b, [bytes(x)])
            XCTAssertEqual(out[1].dtype, .int64)
            let got = stride(from: 0, to: out[1].bytes.count, by: 8).map { k in (0..<8).reduce(Int64(0)) { $0 | Int64(out[1].bytes[k + $1]) << (8 * $1) } }
            var want: [Int64] = []
            for plane in 0..<2 {
                for oy in 0..<2 {
                    for ox in 0..<3 {
                        var best = -1
                        for fy in 0..<3 { for fx in 0..<2 {
                            let h = oy * 2 + fy - 1, w = ox * 2 + fx
                            guard h >= 0 && h < 4 && w < 5 else { continue }
                            if best < 0 || x[plane * 20 + h * 5 + w] > x[plane * 20 + best] { best = h * 5 + w }
                        } }
                        want.append(Int64(plane * 20 + (columnMajor ? best / 5 + (best % 5) * 4 : best)))
                    }
                }
            }
            XCTAssertEqual(got, want, "storage_order \(columnMajor ? 1 : 0)")
            // The pooled values are the inputs at those indices.
            let values = want.indices.map { k -> Float in
                let plane = k / 6, flat = Int(want[k]) - plane * 20
                return x[plane * 20 + (columnMajor ? (flat % 4) * 5 + flat / 4 : flat)]
            }
            XCTAssertEqual(floats(out[0].bytes), values)
        }
    }

    func testEdgeReflectAndWrapPadMoveInt32Values() throws {
        let expected: [String: [Int32]] = [
            "edge": [1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6],
            "reflect": [3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5],
            "wrap": [2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4],
        ]
        for (mode, want) in expected {
            var b = ONNXBuilder()
            b.input("x", [2, 3])
            typed(&b.inputs[0], .int32)
            b.ints("pads", [0, 2, 0, 1])
            b.node("Pad", ["x", "pads"], ["y"], [Attr.string("mode", mode)])
            b.output("y")
            typed(&b.outputs[0], .int32)
            let x: [Int32] = [1, 2, 3, 4, 5, 6]
            let out = try run(b, [x.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }])
            let got = stride(from: 0, to: out[0].bytes.count, by: 4).map { Int32(out[0].bytes[$0]) }
            XCTAssertEqual(got, want, mode)
        }
    }

    func testIntegerInputsOfFloatOnlyOpsFailAtPackTime() {
        var b = ONNXBuilder()
        b.input("x", [4])
        typed(&b.inputs[0], .uint8)
        b.node("Sigmoid", ["x"], ["y"])
        b.output("y")
        let e = Harness.expectError { _ = try Harness.pack(b) }
        XCTAssertTrue(e?.problem.contains("uint8") ?? false, e?.message ?? "no error")

        var c = ONNXBuilder()
        c.input("x", [4])
        typed(&c.inputs[0], .uint8)
        c.constant("one", [1], [1])
        c.node("Add", ["x", "one"], ["y"])
        c.output("y")
        let mixed = Harness.expectError { _ = try Harness.pack(c) }
        XCTAssertTrue(mixed?.problem.contains("two run-time inputs of one integer type") ?? false, mixed?.message ?? "no error")

        // An int32 pad value float32 cannot hold would pad with a neighbouring value: refused.
        var d = ONNXBuilder()
        d.input("x", [2])
        typed(&d.inputs[0], .int32)
        d.ints("pads", [1, 1])
        d.integers("value", [], [16_777_217], type: .int32)
        d.node("Pad", ["x", "pads", "value"], ["y"])
        d.output("y")
        let inexact = Harness.expectError { _ = try Harness.pack(d) }
        XCTAssertTrue(inexact?.problem.contains("16777217 is not exactly representable") ?? false, inexact?.message ?? "no error")
    }
}
