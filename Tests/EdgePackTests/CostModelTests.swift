import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest
@testable import EdgePack

/// The cost model's kernel mirror, work counts and board profiles.
final class CostModelTests: XCTestCase {
    static let boards = Harness.root.appendingPathComponent("boards").path

    static func firmware(_ name: String, int8: Bool) throws -> EdgeModel {
        var options = PackOptions()
        options.sourceName = "\(name)/model.onnx"
        if int8 {
            options.quantization = QuantizationOptions(calibration: try Harness.npy(Harness.firmwareModel(name, "calibration.npy")),
                                                       calibrationName: "calibration.npy")
        }
        let packed = try Packer.pack(onnx: Array(try Data(contentsOf: Harness.firmwareModel(name, "model.onnx"))), options: options)
        return try EdgeModel(bytes: packed.final.bytes)
    }

    func testKernelMirrorMatchesTheRuntimeOnThisHost() throws {
        let level = "\(KernelTable.forThisMachine().isa)"
        for (name, int8) in [("digits_mlp", false), ("digits_mlp", true), ("digits_cnn", false), ("digits_cnn", true)] {
            let model = try Self.firmware(name, int8: int8)
            let runtime = try Interpreter(model: model, kernels: .forThisMachine())
            let predicted = try CostModel.kernels(for: model, isa: level == "ref" ? [] : [level])
            XCTAssertEqual(predicted, (0..<model.file.opCount).map { "\(runtime.kernelName($0))" }, "\(name) int8 \(int8) on \(level)")
        }
    }

    func testEveryMirroredKernelIsInTheKernelTable() throws {
        let table = try String(contentsOf: Harness.root.appendingPathComponent("Sources/EdgeRuntime/KernelTable.swift"), encoding: .utf8)
        for kernel in CostModel.simdKernels {
            XCTAssertTrue(table.contains("Entry(function: \(kernel.name), name: \"\(kernel.name)\")"), "\(kernel.name) is not in KernelTable.swift")
        }
        for kernel in CostModel.fewChannelConvKernels where kernel.feature != "i8mm" {
            XCTAssertTrue(table.contains("t.qs8FewChannelConv2D = Entry(function: \(kernel.name), name: \"\(kernel.name)\")"),
                          "\(kernel.name) is not the few-channel Conv2D of a level in KernelTable.swift")
        }
    }

    /// Every C kernel the runtime names has a measured stack on each architecture it builds for.
    func testEveryRuntimeKernelHasAStackFigure() throws {
        let dir = Harness.root.appendingPathComponent("Sources/EdgeRuntime")
        var names = Set(CostModel.simdKernels.map(\.name) + CostModel.fewChannelConvKernels.map(\.name) + [CostModel.packedConvAVX2, CostModel.packedConv8x8NEON])
        for file in try XCTUnwrap(FileManager.default.enumerator(atPath: dir.path)).compactMap({ $0 as? String }) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            let regex = try NSRegularExpression(pattern: "\"(ek_[a-z0-9_]+__[a-z0-9]+)\"")
            for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert(String(text[Range(m.range(at: 1), in: text)!]))
            }
        }
        XCTAssertGreaterThan(names.count, 40)
        for name in names {
            if !name.contains("__avx") { XCTAssertNotNil(KernelStack.aarch64[name], "\(name): no aarch64 stack figure") }
            if !name.contains("__neon") { XCTAssertNotNil(KernelStack.x86_64[name], "\(name): no x86_64 stack figure") }
        }
    }

    func testKernelStackIsTheDeepestKernelOfTheModel() throws {
        let cnn = try Self.firmware("digits_cnn", int8: true)
        let neon = KernelStackUse(kernels: try CostModel.kernels(for: cnn, isa: ["neon"]), isa: ["neon"])
        XCTAssertEqual(neon.kernel, "ek_qs8_conv2d_minmax_8x8__neon", "the stem's few-channel tile packs the most on the stack")
        XCTAssertEqual(neon.bytes, KernelStack.aarch64["ek_qs8_conv2d_minmax_8x8__neon"])
        XCTAssertEqual(neon.perOp.max(), neon.bytes)
        XCTAssertGreaterThan(neon.bytes, 32 * 1024)
        // Block-sparse ops are named by their __ref twin; the stack is the deepest of the family at the level.
        let sparse = KernelStackUse(kernels: ["ek_qs8_spfc_minmax_1x1__ref", "IntegerMaxPool (Swift)"], isa: ["neon"])
        XCTAssertEqual(sparse.kernel, "ek_qs8_spfc_minmax_b1x16__neon")
        XCTAssertEqual(sparse.perOp, [KernelStack.aarch64["ek_qs8_spfc_minmax_b1x16__neon"]!, 0])
        XCTAssertEqual(KernelStackUse(kernels: ["Sqrt (Swift)"], isa: ["neon"]).bytes, 0)
    }

    func testBoardISASelectsKernels() throws {
        let model = try Self.firmware("digits_mlp", int8: true)
        let fc = { (isa: [String]) in try CostModel.kernels(for: model, isa: isa).filter { $0.contains("_fc_") } }
        XCTAssertEqual(Set(try fc([])), ["ek_qs8_fc_minmax_1x1__ref"])
        XCTAssertEqual(Set(try fc(["neon"])), ["ek_qs8_fc_minmax_1x4c16__neon"])
        XCTAssertEqual(Set(try fc(["neon", "fp16", "dotprod"])), ["ek_qs8_fc_minmax_1x4c16__neondot"])
        XCTAssertEqual(Set(try fc(["neon", "fp16", "dotprod", "i8mm"])), ["ek_qs8_fc_minmax_2x4c16__neoni8mm"])
        XCTAssertEqual(CostModel.macClass("ek_qs8_fc_minmax_1x4c16__neondot"), "qs8_fc_neondot")
        // digits_cnn int8: the stem (1 input, 8 output channels) runs the few-channel tiles;
        // the pointwise conv (K = 8 over 8x8 pixels) too on aarch64; conv2 (K = 144 over 4x4
        // pixels, too few to repay the weight packing) the general tiles.
        let cnn = try Self.firmware("digits_cnn", int8: true)
        let convs = { (isa: [String]) in try CostModel.kernels(for: cnn, isa: isa).filter { $0.contains("_conv2d_") } }
        let neon = "ek_qs8_conv2d_minmax_8x8__neon", dot = "ek_qs8_conv2d_minmax_8x8c4__neondot"
        XCTAssertEqual(try convs(["neon"]), [neon, neon, "ek_qs8_conv2d_minmax_2x4c16__neon"])
        XCTAssertEqual(try convs(["neon", "fp16", "dotprod"]),
                       [dot, dot, "ek_qs8_conv2d_minmax_4x4c16__neondot"])
        XCTAssertEqual(try convs(["neon", "fp16", "dotprod", "i8mm"]),
                       [dot, "ek_qs8_conv2d_minmax_4x8c16__neoni8mm",
                        "ek_qs8_conv2d_minmax_4x8c16__neoni8mm"])
        XCTAssertEqual(try convs(["avx2"]).first, "ek_qs8_conv2d_minmax_8x8c2__avx2")
        XCTAssertEqual(try convs([]).first, "ek_qs8_conv2d_minmax_1x1__ref")
        XCTAssertEqual(CostModel.macClass("ek_f32_dwconv2d_minmax_1x1__ref"), "f32_dwconv2d_ref")
    }

    func testEstimateFollowsTheCoefficients() throws {
        let model = try Self.firmware("digits_cnn", int8: false)
        let work = CostModel.work(of: model, kernels: try CostModel.kernels(for: model, isa: ["neon"]))
        let classes = Set(work.compactMap(\.macClass))
        XCTAssertEqual(classes, ["f32_conv2d_neon", "f32_dwconv2d_neon", "f32_fc_neon"])
        let coefficients = CostCoefficients(status: "derived", instructionsPerMAC: Dictionary(uniqueKeysWithValues: classes.map { ($0, 2.0) }),
                                            instructionsPerByte: 0.5, instructionsPerOp: 100, ipc: 2, source: "test")
        let timed = try CostModel.estimate(work, coefficients: coefficients, clockMHz: 1000, board: "test")
        for op in timed {
            let instructions = op.macs > 0 ? Double(op.macs) * 2 + 100 : Double(op.bytes) * 0.5 + 100
            XCTAssertEqual(op.instructions, instructions, accuracy: 1e-9)
            XCTAssertEqual(op.milliseconds, instructions / 2 / 1e6, accuracy: 1e-12, "1000 MHz, IPC 2")
        }
        var missing = coefficients
        missing.instructionsPerMAC["f32_fc_neon"] = nil
        XCTAssertThrowsError(try CostModel.estimate(work, coefficients: missing, clockMHz: 1000, board: "test")) { error in
            XCTAssertTrue("\(error)".contains("f32_fc_neon"), "\(error)")
        }
    }

    /// Every board has the coefficients every firmware model needs on its ISA, and an estimate.
    func testEveryBoardChecksEveryFirmwareModel() throws {
        let names = BoardProfile.available(in: Self.boards)
        XCTAssertGreaterThanOrEqual(names.count, 6)
        for (name, int8) in [("digits_mlp", false), ("digits_mlp", true), ("digits_cnn", false), ("digits_cnn", true)] {
            let model = try Self.firmware(name, int8: int8)
            for board in names {
                let profile = try BoardProfile.load(name: board, directory: Self.boards)
                let check = try BudgetCheck(model: model, path: name, board: profile)
                XCTAssertTrue(check.fits, "\(name) on \(board):\n\(check.text)")
                XCTAssertGreaterThan(check.latency.need, 0)
            }
        }
    }
}
