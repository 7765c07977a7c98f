import CEdgeTestSupport
import EdgeFormat
import EdgePack
import EdgeRuntime
import Foundation
import XCTest

/// A block-sparse 1x1 Conv2D runs the pixel-panel kernel on scratch the packer planned in the
/// arena: inference still allocates nothing.
final class SparseConvAllocationTests: XCTestCase {
    func testPrunedPointwiseConvInferencesAllocateNothing() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("firmware-models/digits_cnn")
        let calibration = try NPYArray(parsing: Array(try Data(contentsOf: dir.appendingPathComponent("calibration.npy"))),
                                       name: "calibration.npy")
        var options = PackOptions()
        options.sourceName = "digits_cnn/model.onnx"
        options.quantization = QuantizationOptions(calibration: calibration, calibrationName: "calibration.npy")
        options.pruning = PruneOptions(ratio: 0, pattern: .block1x4, layerRatios: ["pw1": 0.9], storage: .size)
        let packed = try Packer.pack(onnx: Array(try Data(contentsOf: dir.appendingPathComponent("model.onnx"))), options: options)
        let interpreter = try packed.final.interpreter()
        let kernels = (0..<packed.final.opCount).map { "\(interpreter.kernelName($0))" }
        XCTAssertTrue(kernels.contains { $0.hasPrefix("ek_qs8_spconv1x1_minmax_px32__") }, "kernels: \(kernels)")
        let input = interpreter.input(0)
        for i in 0..<input.elementCount {
            input.data.storeBytes(of: Float(i % 5) / 5, toByteOffset: 4 * i, as: Float.self)
        }
        interpreter.invoke()
        edge_test_allocations_start()
        for _ in 0..<200 { interpreter.invoke() }
        let count = edge_test_allocations_stop()
        XCTAssertEqual(count, 0, "200 inferences made \(count) heap allocations")
    }
}
