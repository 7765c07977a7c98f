import EdgeFormat
import EdgeRuntime
import Foundation
import XCTest
@testable import EdgePack

/// `--prune-pattern groups8x2` on the digits MLP: every group of 8 output rows keeps the same
/// input pairs, both layers are stored as grouped 8x2 blocks, and that storage gives the same
/// output bytes as dense storage of the same weights.
extension PruningTests {
    func testDigitsMLPGroups8x2() throws {
        let d = try load("digits_mlp")
        let float = try evaluate(try pack(d, "digits_mlp", prune: nil).float, d).accuracy
        let int8 = try evaluate(try pack(d, "digits_mlp", prune: nil).final, d).accuracy
        print("digits_mlp int8 (not pruned): held-out accuracy \(int8) (float \(float))")
        for ratio in [0.75, 0.8] {
            let result = try pack(d, "digits_mlp", prune: PruneOptions(ratio: ratio, pattern: .groups8x2))
            let report = try XCTUnwrap(result.pruning)
            print(report.text)
            for name in ["fc1", "fc2"] {
                let layer = try XCTUnwrap(report.layers.first { $0.name == name })
                XCTAssertEqual(layer.storage?.blockHeight, 8, "groups8x2 \(ratio): \(name) stored as 8x2 blocks")
                XCTAssertEqual(layer.storage?.blockWidth, 2, "groups8x2 \(ratio): \(name) stored as 8x2 blocks")
            }
            for v in result.final.graph.valueIDs {
                let value = result.final.graph[v]
                guard value.sparseBlockHeight == 8, case let .int8(w)? = value.data else { continue }
                let rows = value.shape[0], columns = value.shape[1]
                // Pairs a group keeps: the same set for every row of the group (a kept weight
                // may round to 0, so a row's pairs are a subset of its group's).
                var counts = Set<Int>()
                for g in stride(from: 0, to: rows, by: 8) {
                    let kept = (0..<(columns / 2)).filter { c in
                        (g..<min(g + 8, rows)).contains { r in w[r * columns + 2 * c] != 0 || w[r * columns + 2 * c + 1] != 0 }
                    }
                    counts.insert(kept.count)
                }
                XCTAssertEqual(counts.count, 1, "groups8x2 \(ratio) \(value.name): kept pairs per group \(counts)")
            }
            var denseGraph = result.final.graph
            for v in denseGraph.valueIDs { denseGraph[v].sparseBlockWidth = nil }
            let dense = try Packer.build(denseGraph, name: "digits_mlp")
            let b = try evaluate(result.final, d)
            XCTAssertEqual(try evaluate(dense, d).outputs, b.outputs, "groups8x2 \(ratio): sparse and dense storage differ")
            print("digits_mlp groups8x2 \(ratio) + int8: held-out accuracy \(b.accuracy) (float \(float), int8 \(int8))")
            // Float 97.8 %, int8 97.3 %. Measured 94.4 % at 75 % (fc1 81 %, fc2 50 %) and 93.6 %
            // at 80 % (fc1 84 %, fc2 62 %); with masks scored once by the diagonal of the full
            // inverse Hessian and layer-wise re-fits only, 90.2 % and 86.0 %; with the greedy
            // OBS elimination but without re-fitting fc1 to fc2's outputs, 92.7 % and 89.8 %.
            // Pinned 2 samples below the measurement.
            let pinned = ratio == 0.75 ? 0.94 : 0.93
            XCTAssertGreaterThanOrEqual(b.accuracy, pinned, "groups8x2 \(ratio): held-out accuracy")
        }
    }

    /// The groups8x2 mask: whole pairs across a group of 8 rows, the same number per group,
    /// never all of a group's pairs; a short last group too.
    func testGroups8x2MaskDropsWholePairsPerGroup() {
        let rows = 10, columns = 8
        let layer = PrunableLayer(node: 0, weights: ValueID(0), bias: nil, name: "fc", kind: "FullyConnected",
                                  outFeatures: rows, inFeatures: columns)
        // Pair c of every row weighs c + 1: groups keep their highest pairs.
        let w = (0..<(rows * columns)).map { Double(($0 % columns) / 2 + 1) }
        let norms = [Double](repeating: 1, count: columns)
        func keptPairs(_ keep: [Bool]) -> [[Int]] {
            (0..<rows).map { r in (0..<(columns / 2)).filter { c in keep[r * columns + 2 * c] } }
        }
        let half = Pruner.mask(w, layer, norms: norms, pattern: .groups8x2, ratio: 0.5)
        XCTAssertEqual(keptPairs(half), [[Int]](repeating: [2, 3], count: rows))
        for r in 0..<rows { for c in 0..<(columns / 2) { XCTAssertEqual(half[r * columns + 2 * c], half[r * columns + 2 * c + 1]) } }
        let most = Pruner.mask(w, layer, norms: norms, pattern: .groups8x2, ratio: 1)
        XCTAssertEqual(keptPairs(most), [[Int]](repeating: [3], count: rows))
        XCTAssertEqual(Pruner.reachable(0.8, layer, .groups8x2), 0.75)
        XCTAssertNotNil(Pruner.unsuitable(PrunableLayer(node: 0, weights: ValueID(0), bias: nil, name: "pw", kind: "Conv2D 1x1",
                                                        outFeatures: 8, inFeatures: 8), .groups8x2))
    }
}
