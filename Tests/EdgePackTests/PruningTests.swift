import EdgeFormat
import EdgeRuntime
import Foundation
import XCTest
@testable import EdgePack

/// Pruning + int8 on the firmware digits models, run through the runtime on the 450 held-out
/// digits; block-sparse storage must not change a single output byte.
final class PruningTests: XCTestCase {
    struct Digits {
        var onnx: [UInt8]
        var inputs: [[Float]]
        var labels: [Int]
        var calibration: NPYArray
    }

    func load(_ model: String) throws -> Digits {
        let onnx = Array(try Data(contentsOf: Harness.firmwareModel(model, "model.onnx")))
        let x = try Harness.npy(Harness.firmwareModel(model, "test_inputs.npy"))
        let y = try Harness.npy(Harness.firmwareModel(model, "test_labels.npy"))
        let n = x.shape[0], size = x.elementCount / n
        return Digits(onnx: onnx, inputs: (0..<n).map { r in (0..<size).map { x.float(at: r * size + $0) } },
                      labels: (0..<n).map { Int(y.float(at: $0)) },
                      calibration: try Harness.npy(Harness.firmwareModel(model, "calibration.npy")))
    }

    func pack(_ d: Digits, _ model: String, prune: PruneOptions?) throws -> PackResult {
        var options = PackOptions()
        options.sourceName = "\(model)/model.onnx"
        options.quantization = QuantizationOptions(calibration: d.calibration, calibrationName: "calibration.npy")
        options.pruning = prune
        return try Packer.pack(onnx: d.onnx, options: options)
    }

    /// Held-out accuracy and the raw output bytes of every sample.
    func evaluate(_ model: PackedModel, _ d: Digits) throws -> (accuracy: Double, outputs: [[Float]]) {
        let interpreter = try model.interpreter()
        var correct = 0, outputs: [[Float]] = []
        for (x, label) in zip(d.inputs, d.labels) {
            ModelIO.feed(interpreter, x)
            interpreter.invoke()
            let y = ModelIO.values(interpreter.output(0))
            if QuantizationReport.argmax(y) == label { correct += 1 }
            outputs.append(y)
        }
        return (Double(correct) / Double(d.inputs.count), outputs)
    }

    func testDigitsMLPAt75PercentKeepsAccuracyAndSparseStorageIsExact() throws {
        let d = try load("digits_mlp")
        let float = try evaluate(try pack(d, "digits_mlp", prune: nil).float, d).accuracy
        for pattern in [PrunePattern.block1x4, .unstructured] {
            let size = try pack(d, "digits_mlp", prune: PruneOptions(ratio: 0.75, pattern: pattern, storage: .size))
            // The same int8 weights, all stored dense.
            var denseGraph = size.final.graph
            for v in denseGraph.valueIDs { denseGraph[v].sparseBlockWidth = nil }
            let dense = try Packer.build(denseGraph, name: "digits_mlp")
            let report = try XCTUnwrap(size.pruning)
            print(report.text)
            let layers = report.layers
            let pruned = layers.reduce(0.0) { $0 + $1.sparsity * Double($1.outFeatures * $1.inFeatures) }
            let total = Double(layers.reduce(0) { $0 + $1.outFeatures * $1.inFeatures })
            XCTAssertGreaterThanOrEqual(pruned / total, 0.75, "\(pattern): model-wide sparsity")
            for l in layers where l.ratio > 0 {
                XCTAssertLessThan(l.errorAfter, l.errorBefore, "\(pattern) \(l.name): reconstruction must reduce the error")
            }
            if pattern == .block1x4 {
                XCTAssertTrue(layers.contains { $0.storage?.blockWidth != nil }, "\(pattern): size policy stores something sparse")
                XCTAssertLessThan(size.final.bytes.count, dense.bytes.count, "\(pattern): sparse storage shrinks the file")
            }
            let a = try evaluate(dense, d), b = try evaluate(size.final, d)
            XCTAssertEqual(a.outputs, b.outputs, "\(pattern): sparse and dense storage of the same int8 weights differ")
            print("digits_mlp \(pattern.rawValue) 75 % + int8: held-out accuracy \(b.accuracy) (float \(float)); "
                  + "model.bin \(size.final.bytes.count) B, \(dense.bytes.count) B all dense, \(size.float.bytes.count) B float32")
            // The issue's target (1 point of float) holds for unstructured masks (measured
            // 97.3 %, 438/450) and for 1x4 blocks, which the fast kernels need: measured 97.1 %
            // (437/450) with fc1's mask choice weighing each unit by what fc2 reads of it
            // (`Pruner.rowWeights`), 96.4 % (434/450) without. Masks scored once by the diagonal
            // of the full inverse Hessian with layer-wise re-fits gave 93.1 %, the greedy OBS
            // elimination without re-fitting fc1 to fc2's outputs 95.8 % (431/450).
            XCTAssertGreaterThanOrEqual(b.accuracy, float - 0.01, "\(pattern): accuracy within 1 point of float")
        }
    }

    /// Pruned layers (by name) whose int8 weights have an output row of zeros only.
    func emptyRows(_ result: PackResult) throws -> [String] {
        let g = result.final.graph
        return try XCTUnwrap(result.pruning).layers.compactMap { l in
            guard let node = g.nodes.first(where: { $0.name == l.name }), let v = node.input(1),
                  case let .int8(w)? = g[v].data else { return "\(l.name) (no int8 weights)" }
            let n = l.inFeatures
            return (0..<l.outFeatures).contains { r in !w[(r * n)..<(r * n + n)].contains { $0 != 0 } } ? l.name : nil
        }
    }

    /// Balanced rows (every output row keeps the same number of 1x16 blocks, the AVX2 fc
    /// kernel's lockstep path) on the digits MLP: fc1 (64 inputs, 4 blocks a row) and fc2 (32 inputs,
    /// 2 blocks) keep 1 block a row even at 95 %, and the report says that target is not reached. Sparse storage byte-exact with dense.
    func testDigitsMLPRows1x16() throws {
        let d = try load("digits_mlp")
        let float = try evaluate(try pack(d, "digits_mlp", prune: nil).float, d).accuracy
        for ratio in [0.75, 0.95] {
            let result = try pack(d, "digits_mlp", prune: PruneOptions(ratio: ratio, pattern: .rows1x16))
            let report = try XCTUnwrap(result.pruning)
            print(report.text)
            let fc1 = try XCTUnwrap(report.layers.first { $0.name == "fc1" })
            let fc2 = try XCTUnwrap(report.layers.first { $0.name == "fc2" })
            XCTAssertEqual(fc1.ratio, 0.75, "rows1x16 \(ratio): fc1 keeps 1 of its 4 blocks a row")
            XCTAssertEqual(fc1.storage?.blockWidth, 16, "rows1x16 \(ratio): fc1 stored as 1x16 blocks")
            XCTAssertEqual(fc2.ratio, 0.5, "rows1x16 \(ratio): fc2 keeps 1 of its 2 blocks a row")
            if ratio == 0.95 {
                XCTAssertFalse(report.reachedTarget, "rows1x16 \(ratio): short of the target")
                XCTAssertTrue(report.text.contains("below the 95.0 % target"), report.text)
            }
            XCTAssertEqual(try emptyRows(result), [], "rows1x16 \(ratio): empty rows")
            for v in result.final.graph.valueIDs {
                let value = result.final.graph[v]
                guard value.sparseBlockWidth == 16, case let .int8(w)? = value.data, value.shape.count == 2 else { continue }
                let rows = value.shape[0], columns = value.shape[1]
                let counts = Set((0..<rows).map { r in
                    (0..<(columns / 16)).filter { c in (0..<16).contains { w[r * columns + c * 16 + $0] != 0 } }.count
                })
                XCTAssertEqual(counts.count, 1, "rows1x16 \(ratio) \(value.name): kept blocks per row \(counts)")
            }
            var denseGraph = result.final.graph
            for v in denseGraph.valueIDs { denseGraph[v].sparseBlockWidth = nil }
            let dense = try Packer.build(denseGraph, name: "digits_mlp")
            let b = try evaluate(result.final, d)
            XCTAssertEqual(try evaluate(dense, d).outputs, b.outputs, "rows1x16 \(ratio): sparse and dense storage differ")
            print("digits_mlp rows1x16 \(ratio) + int8: held-out accuracy \(b.accuracy) (float \(float))")
            XCTAssertGreaterThanOrEqual(b.accuracy, float - 0.1, "rows1x16 \(ratio): accuracy within 10 points of float")
        }
    }

    /// The digits CNN's prunable layers are too narrow for rows1x16 (pw1: 8 inputs, fc: 16,
    /// one block a row): both stay dense, with the reason, instead of losing whole rows
    /// (which left the model at chance, 9.6 %), and the report shows the missed target.
    func testDigitsCNNRows1x16LeavesNarrowLayersDense() throws {
        let d = try load("digits_cnn")
        let float = try evaluate(try pack(d, "digits_cnn", prune: nil).float, d).accuracy
        let result = try pack(d, "digits_cnn", prune: PruneOptions(ratio: 0.75, pattern: .rows1x16))
        let report = try XCTUnwrap(result.pruning)
        print(report.text)
        XCTAssertEqual(try emptyRows(result), [], "rows1x16: empty rows")
        for l in report.layers {
            XCTAssertTrue(l.note?.hasPrefix("left dense: rows1x16 needs") == true, "\(l.name): \(l.note ?? "no note")")
        }
        XCTAssertEqual(report.sparsity, 0)
        XCTAssertTrue(report.shortfall?.contains("below the 75.0 % target") == true, report.text)
        let accuracy = try evaluate(result.final, d).accuracy
        print("digits_cnn rows1x16 0.75 + int8: held-out accuracy \(accuracy) (float \(float))")
        XCTAssertGreaterThanOrEqual(accuracy, float - 0.05, "rows1x16: accuracy near float")
    }

    /// The CNN's 1x1 conv pruned hard enough to be stored sparse runs the pixel-panel sparse
    /// conv kernel on scratch planned in the arena (the op's second output, alive during that
    /// op only) and gives the same bytes as the dense conv on the same int8 weights.
    func testDigitsCNNSparsePointwiseConvIsExact() throws {
        let d = try load("digits_cnn")
        let result = try pack(d, "digits_cnn", prune: PruneOptions(ratio: 0, pattern: .block1x4, layerRatios: ["pw1": 0.9],
                                                                  storage: .size))
        let pw1 = try XCTUnwrap(result.pruning?.layers.first { $0.name == "pw1" })
        XCTAssertEqual(pw1.storage?.blockWidth, 4, "pw1 stored as 1x4 blocks")
        let interpreter = try result.final.interpreter()
        let kernels = (0..<result.final.opCount).map { "\(interpreter.kernelName($0))" }
        XCTAssertTrue(kernels.contains { $0.hasPrefix("ek_qs8_spconv1x1_minmax_px32__") }, "kernels: \(kernels)")
        try result.final.bytes.withUnsafeBytes { raw in
            let file = try ModelFile(validating: raw)
            let pw1 = try XCTUnwrap((0..<file.opCount).first { file.string(file.op($0).name) == "pw1" })
            let op = file.op(pw1)
            XCTAssertEqual(op.outputCount, 2, "pw1 has its scratch output")
            XCTAssertEqual(file.tensor(file.output(op, 1)).storage, .arena)
            let entry = try XCTUnwrap((0..<file.planEntryCount).map { file.planEntry($0) }.first { $0.tensor == file.output(op, 1) })
            XCTAssertEqual([entry.firstOp, entry.lastOp], [pw1, pw1], "scratch lives during its op only")
        }
        var denseGraph = result.final.graph
        for v in denseGraph.valueIDs { denseGraph[v].sparseBlockWidth = nil }
        let dense = try Packer.build(denseGraph, name: "digits_cnn")
        XCTAssertEqual(try evaluate(dense, d).outputs, try evaluate(result.final, d).outputs)
    }

    /// A layer pruned to exactly the crossover sparsity is stored sparse, although the whole
    /// blocks it keeps (at a 70 % crossover, 30 % of 16352 blocks rounds to 4906) put its block
    /// sparsity a hair below it; one more kept block makes it dense.
    func testSpeedPolicyCountsBlocksAtTheCrossover() {
        let rows = 511, columns = 512, blocks = rows * columns / 16
        let cross = SparseStorage.crossover(conv: false, blockWidth: 16, inFeatures: columns)
        let allowed = Int(((1 - cross) * Double(blocks)).rounded())
        func weights(keeping kept: Int) -> [Int8] {
            var w = [Int8](repeating: 0, count: rows * columns)
            for b in 0..<kept {
                let block = b * blocks / kept  // spread over the matrix
                for i in 0..<16 { w[block * 16 + i] = 1 }
            }
            return w
        }
        let atCrossover = SparseStorage.choose(weights(keeping: allowed), rows: rows, columns: columns, conv: false,
                                               policy: .speed)
        XCTAssertEqual(atCrossover.blockWidth, 16, atCrossover.reason)
        XCTAssertLessThan(atCrossover.blockSparsity, cross)
        let past = SparseStorage.choose(weights(keeping: allowed + 1), rows: rows, columns: columns, conv: false,
                                        policy: .speed)
        XCTAssertNil(past.blockWidth, past.reason)
        XCTAssertTrue(past.reason.contains("measured crossover"), past.reason)
    }

    /// A 1x1 convolution with 256 input channels at 60 % of its 1x4 blocks empty is stored
    /// sparse (the pixel-panel kernel measured faster from 50 % for every input count), and
    /// dense at 40 %.
    func testConv1x1With256InputsIsSparseFromHalfItsBlocks() {
        let rows = 64, columns = 256, perRow = columns / 4
        XCTAssertEqual(SparseStorage.crossover(conv: true, blockWidth: 4, inFeatures: columns), 0.5)
        func weights(keptPerRow kept: Int) -> [Int8] {
            var w = [Int8](repeating: 0, count: rows * columns)
            for r in 0..<rows {
                for b in 0..<kept {
                    for i in 0..<4 { w[r * columns + ((b + r) % perRow) * 4 + i] = 2 }
                }
            }
            return w
        }
        let sparse = SparseStorage.choose(weights(keptPerRow: perRow * 4 / 10), rows: rows, columns: columns, conv: true,
                                          policy: .speed)
        XCTAssertEqual(sparse.blockWidth, 4, sparse.reason)
        let dense = SparseStorage.choose(weights(keptPerRow: perRow * 6 / 10), rows: rows, columns: columns, conv: true,
                                         policy: .speed)
        XCTAssertNil(dense.blockWidth, dense.reason)
    }

    /// A layer with no empty block is dense without a crossover to quote (full rows are
    /// trivially balanced, and the balanced crossover would read as if the layer were pruned).
    func testUnprunedLayerReasonNamesNoCrossover() {
        let choice = SparseStorage.choose([Int8](repeating: 3, count: 64 * 256), rows: 64, columns: 256, conv: false,
                                          policy: .speed)
        XCTAssertNil(choice.blockWidth)
        XCTAssertEqual(choice.reason, "no empty 1x16 blocks: dense")
    }

    /// rows1x16 drops the same number of 1x16 blocks from every row, the lowest-scoring ones,
    /// whereas block1x16 ranks blocks over the whole layer.
    func testRows1x16KeepsTheSameBlockCountInEveryRow() {
        let rows = 8, columns = 64
        let layer = PrunableLayer(node: 0, weights: ValueID(0), bias: nil, name: "fc", kind: "FullyConnected",
                                  outFeatures: rows, inFeatures: columns)
        // Row r's block c has magnitude (r + 1) * (c + 1) scaled: rows differ by a factor.
        var w = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows { for i in 0..<columns { w[r * columns + i] = Double((r + 1) * (r + 1)) * Double(i / 16 + 1) } }
        let norms = [Double](repeating: 1, count: columns)
        func keptBlocks(_ keep: [Bool]) -> [[Int]] {
            (0..<rows).map { r in (0..<(columns / 16)).filter { c in keep[r * columns + c * 16] } }
        }
        let balanced = keptBlocks(Pruner.mask(w, layer, norms: norms, pattern: .rows1x16, ratio: 0.5))
        XCTAssertEqual(balanced, [[Int]](repeating: [2, 3], count: rows))
        // Asked for every block, each row still keeps its best one.
        let most = keptBlocks(Pruner.mask(w, layer, norms: norms, pattern: .rows1x16, ratio: 1))
        XCTAssertEqual(most, [[Int]](repeating: [3], count: rows))
        let global = keptBlocks(Pruner.mask(w, layer, norms: norms, pattern: .block1x16, ratio: 0.5))
        XCTAssertEqual(global.map(\.count).reduce(0, +), rows * 2)
        XCTAssertNotEqual(Set(global.map(\.count)).count, 1, "layer-wide ranking empties the small rows")
    }

    /// Balanced rows use their own (lower) crossover: at 62.5 % of 1x16 blocks empty, a
    /// 256 x 256 layer is stored sparse when every row keeps 6 of 16 blocks, dense when the rows
    /// keep 3 or 9.
    func testBalancedRowsUseTheirCrossover() {
        let rows = 256, columns = 256
        XCTAssertLessThan(SparseStorage.crossover(conv: false, blockWidth: 16, inFeatures: columns, balancedRows: true),
                          SparseStorage.crossover(conv: false, blockWidth: 16, inFeatures: columns))
        func weights(_ kept: (Int) -> [Int]) -> [Int8] {
            var w = [Int8](repeating: 0, count: rows * columns)
            for r in 0..<rows { for c in kept(r) { for i in 0..<16 { w[r * columns + c * 16 + i] = 3 } } }
            return w
        }
        // 6 of 16 blocks in every row: 62.5 %, past the balanced crossover only.
        let balanced = SparseStorage.choose(weights { r in (0..<6).map { (r + 2 * $0) % 16 } }, rows: rows,
                                            columns: columns, conv: false, policy: .speed)
        XCTAssertEqual(balanced.blockWidth, 16, balanced.reason)
        // Same block count overall (6 per row on average), rows of 3 and 9 blocks.
        let uneven = SparseStorage.choose(weights { r in Array(0..<(r % 2 == 0 ? 3 : 9)) }, rows: rows,
                                          columns: columns, conv: false, policy: .speed)
        XCTAssertNil(uneven.blockWidth, uneven.reason)
    }
}
