import EdgeFormat
import EdgeTestSupport
import XCTest
@testable import EdgePack

/// The greedy OBS elimination and the two-layer re-fit on small synthetic layers whose best
/// answer is known.
final class ReconstructionTests: XCTestCase {
    /// Inputs 0 and 1 are the same signal, input 2 an independent one, all weights about 1.
    /// Either duplicate alone costs almost nothing (the other takes over its weight), but not both:
    /// asked to drop two of three, the elimination drops one duplicate and input 2. Scoring
    /// once with the full inverse Hessian (the rounds of mask + re-fit) rates both duplicates
    /// nearly free and drops them together.
    func testEliminationSeesWhatIsAlreadyRemoved() {
        var rng = SeededRandom(seed: 3)
        var x: [Float] = []
        for _ in 0..<200 {
            let s = rng.uniform(-1, 1), t = rng.uniform(-1, 1)
            x += [s, s, t]
        }
        let layer = PrunableLayer(node: 0, weights: ValueID(0), bias: nil, name: "fc", kind: "FullyConnected", outFeatures: 1, inFeatures: 3)
        let stats = LayerStatistics(original: x, pruned: x, features: 3, bias: false)
        let w: [Double] = [1, 1, 0.9]
        let plan = try! XCTUnwrap(ObsElimination(layer, .unstructured))
        var rows = [stats.reconstruct(w, keep: [0, 1, 2])]
        let (added, keep) = plan.run(&rows, stats, ratios: [1.0 / 3, 2.0 / 3])
        XCTAssertEqual(keep[2], false, "the independent input goes: \(keep)")
        XCTAssertEqual(keep[0] != keep[1], true, "exactly one duplicate stays: \(keep)")
        XCTAssertLessThan(added[0], 0.01 * added[1], "the first duplicate is free, the second removal is not")
        let kept = keep[0] ? 0 : 1
        XCTAssertEqual(rows[0][kept], 2, accuracy: 0.02, "the kept duplicate carries both weights")
        let result = Pruner.pruneLayer(w, nil, layer, stats, pattern: .unstructured, ratio: 2.0 / 3)
        XCTAssertEqual(result.weights[2], 0)
        XCTAssertEqual(result.weights[0] == 0, result.weights[1] != 0, "\(result.weights)")
    }

    /// groups8x2 drops the same number of pairs in every group of 8 rows, the pairs the
    /// group's rows can do without: here the pairs whose inputs are copies of other pairs.
    func testGroupEliminationDropsRedundantPairs() {
        var rng = SeededRandom(seed: 5)
        var x: [Float] = []
        for _ in 0..<300 {
            let a = rng.uniform(-1, 1), b = rng.uniform(-1, 1), c = rng.uniform(-1, 1), d = rng.uniform(-1, 1)
            x += [a, b, c, d, a, b, c, d]  // pairs 2 and 3 repeat pairs 0 and 1
        }
        let layer = PrunableLayer(node: 0, weights: ValueID(0), bias: nil, name: "fc", kind: "FullyConnected", outFeatures: 16, inFeatures: 8)
        let stats = LayerStatistics(original: x, pruned: x, features: 8, bias: false)
        let w = (0..<(16 * 8)).map { _ in Double(rng.uniform(0.5, 1.5)) }
        let result = Pruner.pruneLayer(w, nil, layer, stats, pattern: .groups8x2, ratio: 0.5)
        for g in [0, 8] {
            let keptPairs = (0..<4).filter { c in (g..<(g + 8)).contains { result.weights[$0 * 8 + 2 * c] != 0 } }
            XCTAssertEqual(keptPairs.count, 2, "group \(g): \(keptPairs)")
            XCTAssertEqual(Set(keptPairs.map { $0 % 2 }), [0, 1], "group \(g) keeps one copy of each pair: \(keptPairs)")
        }
        XCTAssertLessThan(result.after, 1e-4, "the kept copies take over the dropped ones' weights")
    }

    /// Row weights steer a layer-wide ranking: two rows with the same weights and inputs, the
    /// second weighted 100 times the first, asked to drop half of all 1x4 blocks: unweighted,
    /// both rows lose the same blocks; weighted, the light row loses all of its blocks but one
    /// before the heavy row loses any.
    func testRowWeightsSpendTheBudgetOnTheRowsThatCount() {
        var rng = SeededRandom(seed: 9)
        let n = 16
        let x = (0..<(200 * n)).map { _ in rng.uniform(-1, 1) }
        let layer = PrunableLayer(node: 0, weights: ValueID(0), bias: nil, name: "fc", kind: "FullyConnected", outFeatures: 2, inFeatures: n)
        let stats = LayerStatistics(original: x, pruned: x, features: n, bias: false)
        let row: [Double] = (0..<n).map { i in
            let block = Double(i / 4 + 1), sign: Double = (i / 4) % 2 == 0 ? 1 : -1
            return Double(i % 4 + 1) * sign * block
        }
        let w = row + row
        let unweighted = Pruner.pruneLayer(w, nil, layer, stats, pattern: .block1x4, ratio: 0.5)
        func kept(_ weights: [Double], _ r: Int) -> Int { (0..<(n / 4)).filter { b in (0..<4).contains { weights[r * n + 4 * b + $0] != 0 } }.count }
        XCTAssertEqual([kept(unweighted.weights, 0), kept(unweighted.weights, 1)], [2, 2])
        let weighted = Pruner.pruneLayer(w, nil, layer, stats, pattern: .block1x4, ratio: 0.5, rowWeights: [0.02, 1.98])
        XCTAssertEqual([kept(weighted.weights, 0), kept(weighted.weights, 1)], [0, 4])
    }

    /// A unit B never reads, or one that is off on every calibration row, weighs nothing; the
    /// others by ||B[:, r]||^2 times the fraction of rows they are on, scaled to mean 1.
    func testRowWeightsFollowWhatTheNextLayerReads() throws {
        var b = ONNXBuilder()
        b.input("x", [1, 2])
        b.constant("w1", [3, 2], [1, 0, 0, 1, -1, -1])
        b.constant("b1", [3], [0, 0, 0])
        b.constant("w2", [2, 3], [1, 0, 2, 1, 0, 2])
        b.constant("b2", [2], [0, 0])
        b.node("Gemm", ["x", "w1", "b1"], ["h"], name: "fc1", [Attr.int("transB", 1)])
        b.node("Relu", ["h"], ["r"], name: "relu")
        b.node("Gemm", ["r", "w2", "b2"], ["y"], name: "fc2", [Attr.int("transB", 1)])
        b.output("y")
        let g = try Optimizer.prepareForRuntime(try Harness.imported(b))
        let layers = Pruner.prunableLayers(g)
        XCTAssertEqual(layers.map(\.name), ["fc1", "fc2"])
        // Inputs in (0, 1): units 0 and 1 always on, unit 2 (-x0 - x1) always off.
        var rng = SeededRandom(seed: 4)
        let samples = (0..<20).map { _ in [rng.uniform(0.1, 1), rng.uniform(0.1, 1)] }
        let inputs = try Pruner.layerInputs(g, layers, samples, step: 1)
        let weights = try XCTUnwrap(Pruner.rowWeights(g, layers, 0, inputs: inputs))
        // ||B[:, r]||^2 = 2, 0, 8; unit 2 off: 2, 0, 0, mean 2/3.
        XCTAssertEqual(weights[0], 3, accuracy: 1e-9)
        XCTAssertEqual(weights[1], 0)
        XCTAssertEqual(weights[2], 0)
        XCTAssertNil(Pruner.rowWeights(g, layers, 1, inputs: inputs), "fc2 feeds no layer")
    }

    /// A -> ReLU -> B with A pruned: the re-fit lowers B's output error against the original
    /// and leaves every pruned weight at zero.
    func testPairRefitLowersTheNextLayersError() {
        var rng = SeededRandom(seed: 9)
        let rows = 300, n = 6, hidden = 8, out = 3
        let x = (0..<(rows * n)).map { _ in Double(rng.uniform(-1, 1)) }
        let a0 = (0..<(hidden * n)).map { _ in Double(rng.uniform(-1, 1)) }
        let ab = (0..<hidden).map { _ in Double(rng.uniform(-0.2, 0.2)) }
        let b0 = (0..<(out * hidden)).map { _ in Double(rng.uniform(-1, 1)) }
        let bb = (0..<out).map { _ in Double(rng.uniform(-0.2, 0.2)) }
        let original = PairRefit.Layers(a: a0, aBias: ab, aOut: hidden, aIn: n, b: b0, bBias: bb, bOut: out)
        let probe = PairRefit(x: x, target: [], rows: rows, clamp: .relu)
        let target = probe.outputs(original, probe.hidden(original))
        // A keeps half its weights, as they were.
        var pruned = original
        for i in pruned.a.indices where i % 2 == 1 { pruned.a[i] = 0 }
        let refit = PairRefit(x: x, target: target, rows: rows, clamp: .relu)
        let (done, before, after) = refit.run(pruned)
        XCTAssertEqual(before, refit.error(pruned), accuracy: 1e-12)
        XCTAssertLessThan(after, 0.9 * before, "before \(before), after \(after)")
        XCTAssertEqual(after, refit.error(done), accuracy: 1e-12)
        for i in done.a.indices where i % 2 == 1 { XCTAssertEqual(done.a[i], 0, "pruned weight \(i) stays zero") }
        XCTAssertNotEqual(done.a, pruned.a, "A's kept weights moved")
    }
}
