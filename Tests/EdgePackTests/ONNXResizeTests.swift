import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import XCTest
@testable import EdgePack

/// ONNX Resize as Gathers (selections) and weighted sums of Gathers (interpolation), float
/// and int8, against values worked out by hand from ONNX's reference rules.
final class ONNXResizeTests: XCTestCase {
    func resize(_ inShape: [Int], scales: [Float]? = nil, sizes: [Int]? = nil, _ attributes: [Onnx_AttributeProto]) -> ONNXBuilder {
        var b = ONNXBuilder()
        b.input("x", inShape)
        b.constant("roi", [0], [])
        var inputs = ["x", "roi"]
        if let scales { b.constant("scales", [scales.count], scales); inputs.append("scales") }
        if let sizes { b.constant("scales", [0], []); b.ints("sizes", sizes); inputs += ["scales", "sizes"] }
        b.node("Resize", Array(inputs.prefix(scales != nil ? 3 : 4)), ["y"], attributes)
        b.output("y")
        return b
    }

    func testNearestUpsampleIsTwoGathers() throws {
        let b = resize([1, 1, 2, 2], scales: [1, 1, 2, 2], [Attr.string("mode", "nearest")])
        let packed = try Harness.pack(b).float
        XCTAssertEqual(Harness.ops(packed.graph), ["Gather", "Gather"])
        let y = try Harness.run(packed, [1, 2, 3, 4])
        XCTAssertEqual(y, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    func testBilinearAlignCornersBySizes() throws {
        let b = resize([1, 1, 2, 2], sizes: [1, 1, 3, 3], [Attr.string("mode", "linear"),
                                                          Attr.string("coordinate_transformation_mode", "align_corners")])
        let y = try Harness.run(try Harness.pack(b).float, [1, 2, 3, 5])
        Harness.assertClose(y, [1, 1.5, 2, 2, 2.75, 3.5, 3, 4, 5], 1e-6)
    }

    func testCubicAndAntialiasKeepConstantImagesConstant() throws {
        for attributes in [[Attr.string("mode", "cubic")],
                           [Attr.string("mode", "cubic"), Attr.int("antialias", 1)],
                           [Attr.string("mode", "linear"), Attr.int("antialias", 1)],
                           [Attr.string("mode", "cubic"), Attr.int("exclude_outside", 1), Attr.float("cubic_coeff_a", -0.5)]] {
            for scales: [Float] in [[1, 1, 0.6, 0.6], [1, 1, 1.7, 2.5]] {
                let b = resize([1, 2, 5, 5], scales: scales, attributes)
                let y = try Harness.run(try Harness.pack(b).float, [Float](repeating: 0.75, count: 50))
                Harness.assertClose(y, [Float](repeating: 0.75, count: y.count), 1e-5, "\(attributes.map { $0.name }) \(scales)")
            }
        }
    }

    func testCropAndResizeFillsOutsideWithTheExtrapolationValue() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 1, 1, 3])
        b.constant("roi", [8], [0, 0, 0, 0.5, 1, 1, 1, 1.5])
        b.constant("scales", [4], [1, 1, 1, 1])
        b.node("Resize", ["x", "roi", "scales"], ["y"], [Attr.string("mode", "linear"),
                                                          Attr.string("coordinate_transformation_mode", "tf_crop_and_resize"),
                                                          Attr.float("extrapolation_value", -7)])
        b.output("y")
        // W coordinates: o * (1.5 - 0.5) * 2 / 2 + 0.5 * 2 = 1, 2, 3 (3 is outside 0...2).
        let y = try Harness.run(try Harness.pack(b).float, [10, 20, 30])
        Harness.assertClose(y, [20, 30, -7], 1e-6)
    }

    func testInt8BilinearStaysCloseToFloat() throws {
        let b = resize([1, 3, 4, 4], scales: [1, 1, 2, 2], [Attr.string("mode", "linear")])
        var rng = SeededRandom(seed: 9)
        let samples = (0..<16).map { _ in (0..<48).map { _ in rng.uniform(-1, 1) } }
        let calibration = NPYArray(element: .float32, shape: [16, 3, 4, 4],
                                   data: samples.flatMap { $0 }.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        var options = PackOptions()
        options.quantization = QuantizationOptions(calibration: calibration, calibrationName: "calibration.npy")
        let result = try Harness.pack(b, options: options)
        let int8 = try XCTUnwrap(result.quantized)
        XCTAssertTrue(int8.graph.nodes.contains { $0.op.kind == .gather && int8.graph[$0.outputs[0]].dtype == .int8 })
        let y8 = try Harness.run(int8, samples[0]), y = try Harness.run(result.float, samples[0])
        XCTAssertLessThan(Harness.relativeError(y8, y), 0.03)
    }
}
