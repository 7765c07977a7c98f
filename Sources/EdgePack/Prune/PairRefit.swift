import EdgeFormat

/// Two-layer reconstruction: when a FullyConnected layer A feeds the next one B directly
/// through A's fused clamp (ReLU, ReLU6 or none), A's kept weights are re-fitted to B's output
/// rather than to A's own, so A spends its few weights on what B reads.
///
/// Layer-wise least squares asks each pruned layer to reproduce its own outputs; B's re-fit then
/// compensates A's error as well as it can. Here, with the clamp's active set held fixed (a
/// Gauss-Newton step), B's output is linear in each row j of A: a change d of row j moves B's
/// outputs on sample s by c_j * (x_s . d) where s is active in unit j and c_j = B[:, j]. Each
/// sweep solves, row by row (Gauss-Seidel), the damped least squares on the kept weights of row
/// j (and its bias) for the residual between the original model's B outputs and the pruned
/// model's, projected on c_j; then B is re-fitted by least squares on its kept weights to
/// the new A outputs. A sweep that raises the error is undone and ends the refit.
/// Masks never change: pruned weights stay zero.
struct PairRefit {
    /// Input rows of A in the pruned model (`rows` x `inFeatures`).
    let x: [Double]
    /// B's pre-clamp outputs in the original model (`rows` x B's outFeatures).
    let target: [Double]
    let rows: Int
    let clamp: Activation
    /// Sweeps at most; digits_mlp gained most in the first four.
    static let sweeps = 8
    /// Damping of each row's system, relative to its mean diagonal.
    static let damping = 0.01

    /// A's weights (out x in, row-major) and bias; B's likewise. A's `bias` may be nil.
    struct Layers {
        var a: [Double], aBias: [Double]?, aOut: Int, aIn: Int
        var b: [Double], bBias: [Double], bOut: Int
    }

    /// Relative squared error of B's outputs against `target`.
    func error(_ l: Layers) -> Double {
        let out = outputs(l, hidden(l))
        var e = 0.0, t = 0.0
        for i in target.indices {
            e += (out[i] - target[i]) * (out[i] - target[i])
            t += target[i] * target[i]
        }
        return e / max(t, 1e-30)
    }

    /// A's pre-clamp outputs, rows x aOut.
    func hidden(_ l: Layers) -> [Double] {
        var z = [Double](repeating: 0, count: rows * l.aOut)
        for s in 0..<rows {
            for j in 0..<l.aOut {
                var acc = l.aBias?[j] ?? 0
                for i in 0..<l.aIn { acc += x[s * l.aIn + i] * l.a[j * l.aIn + i] }
                z[s * l.aOut + j] = acc
            }
        }
        return z
    }

    func clamped(_ z: Double) -> Double { min(max(z, Double(clamp.min)), Double(clamp.max)) }

    /// B's outputs from A's pre-clamp outputs `z`.
    func outputs(_ l: Layers, _ z: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: rows * l.bOut)
        for s in 0..<rows {
            for k in 0..<l.bOut {
                var acc = l.bBias[k]
                for j in 0..<l.aOut { acc += clamped(z[s * l.aOut + j]) * l.b[k * l.aOut + j] }
                y[s * l.bOut + k] = acc
            }
        }
        return y
    }

    /// Up to `sweeps` sweeps; returns the re-fitted layers and B's relative output error
    /// before and after.
    func run(_ start: Layers) -> (layers: Layers, before: Double, after: Double) {
        var best = start, bestError = error(start)
        let initial = bestError
        for _ in 0..<Self.sweeps {
            var l = best
            sweepA(&l)
            refitB(&l)
            let e = error(l)
            if !(e < bestError * (1 - 1e-4)) {
                if e < bestError { (best, bestError) = (l, e) }
                break
            }
            (best, bestError) = (l, e)
        }
        return (best, initial, bestError)
    }

    /// One Gauss-Seidel pass over A's rows.
    func sweepA(_ l: inout Layers) {
        let n = l.aIn, hasBias = l.aBias != nil
        var z = hidden(l)
        var y = outputs(l, z)
        for j in 0..<l.aOut {
            let c = (0..<l.bOut).map { l.b[$0 * l.aOut + j] }
            let cc = c.reduce(0) { $0 + $1 * $1 }
            let kept = (0..<n).filter { l.a[j * n + $0] != 0 }
            if cc == 0 || (kept.isEmpty && !hasBias) { continue }
            let k = kept.count + (hasBias ? 1 : 0)
            var h = [Double](repeating: 0, count: k * k), g = [Double](repeating: 0, count: k)
            var features = [Double](repeating: 1, count: k)
            for s in 0..<rows {
                let zj = z[s * l.aOut + j]
                guard zj > Double(clamp.min) && zj < Double(clamp.max) else { continue }
                var t = 0.0
                for q in 0..<l.bOut { t += (target[s * l.bOut + q] - y[s * l.bOut + q]) * c[q] }
                t /= cc
                for (p, i) in kept.enumerated() { features[p] = x[s * n + i] }
                for p in 0..<k {
                    g[p] += features[p] * t
                    for q in 0..<k { h[p * k + q] += features[p] * features[q] }
                }
            }
            var trace = 0.0
            for p in 0..<k { trace += h[p * k + p] }
            if trace == 0 { continue }
            for p in 0..<k { h[p * k + p] += Self.damping * trace / Double(k) }
            guard let d = LayerStatistics.choleskySolve(h, g, k) else { continue }
            for (p, i) in kept.enumerated() { l.a[j * n + i] += d[p] }
            if hasBias { l.aBias![j] += d[k - 1] }
            for s in 0..<rows {
                var dz = hasBias ? d[k - 1] : 0
                for (p, i) in kept.enumerated() { dz += x[s * n + i] * d[p] }
                let old = z[s * l.aOut + j]
                z[s * l.aOut + j] = old + dz
                let dh = clamped(old + dz) - clamped(old)
                if dh != 0 { for q in 0..<l.bOut { y[s * l.bOut + q] += dh * c[q] } }
            }
        }
    }

    /// B re-fitted by least squares on its kept weights and bias to `target` from A's new
    /// outputs, damped like `LayerStatistics`.
    func refitB(_ l: inout Layers) {
        let z = hidden(l), n = l.aOut + 1
        var hh = [Double](repeating: 0, count: n * n), ht = [Double](repeating: 0, count: n * l.bOut)
        var f = [Double](repeating: 1, count: n)
        for s in 0..<rows {
            for j in 0..<l.aOut { f[j] = clamped(z[s * l.aOut + j]) }
            for p in 0..<n where f[p] != 0 {
                for q in 0..<n { hh[p * n + q] += f[p] * f[q] }
                for k in 0..<l.bOut { ht[p * l.bOut + k] += f[p] * target[s * l.bOut + k] }
            }
        }
        var trace = 0.0
        for p in 0..<n { trace += hh[p * n + p] }
        let damp = max(0.001 * trace / Double(n), 1e-12)
        for k in 0..<l.bOut {
            let kept = (0..<l.aOut).filter { l.b[k * l.aOut + $0] != 0 } + [l.aOut]
            let m = kept.count
            var a = [Double](repeating: 0, count: m * m), g = [Double](repeating: 0, count: m)
            for (r, i) in kept.enumerated() {
                for (c, j) in kept.enumerated() { a[r * m + c] = hh[i * n + j] }
                a[r * m + r] += damp
                g[r] = ht[i * l.bOut + k]
            }
            guard let w = LayerStatistics.choleskySolve(a, g, m) else { continue }
            for (r, i) in kept.enumerated() {
                if i == l.aOut { l.bBias[k] = w[r] } else { l.b[k * l.aOut + i] = w[r] }
            }
        }
    }
}

extension Pruner {
    /// The index in `layers` of the FullyConnected layer with a float bias that alone reads
    /// FullyConnected layer `k`'s output, as its input, or nil.
    static func successor(_ g: Graph, _ layers: [PrunableLayer], of k: Int) -> Int? {
        let a = g.nodes[layers[k].node]
        guard case .fullyConnected = a.op, let out = a.outputs.first, !g.isGraphOutput(out),
              let users = g.consumers()[out], users.count == 1 else { return nil }
        return layers.firstIndex {
            $0.node == users[0] && $0.kind == "FullyConnected" && $0.bias != nil && $0.inFeatures == layers[k].outFeatures
                && g.nodes[$0.node].input(0) == out
        }
    }

    /// How much the next layer reads of each output row r of layer `k`, when `k` feeds a
    /// FullyConnected layer B through its clamp: ||B[:, r]||^2 times the fraction of calibration
    /// rows on which r is inside the clamp (`inputs[l]` holds B's original inputs), scaled to
    /// mean 1; nil otherwise. A change d of row r moves B's outputs by B[:, r] (x . d) where r is
    /// active: weighing row r's least-squares error by this, the mask spends the layer's weights
    /// on the rows B depends on (a unit that is mostly off, or that B hardly reads, costs little).
    static func rowWeights(_ g: Graph, _ layers: [PrunableLayer], _ k: Int, inputs: [[Float]]) -> [Double]? {
        guard let l = successor(g, layers, of: k), case .fullyConnected(let clamp) = g.nodes[layers[k].node].op,
              let b = g.floats(layers[l].weights) else { return nil }
        let n = layers[l].inFeatures, x = inputs[l], rows = x.count / n
        guard rows > 0 else { return nil }
        let w = (0..<n).map { r -> Double in
            var c = 0.0
            for o in 0..<layers[l].outFeatures { c += Double(b[o * n + r]) * Double(b[o * n + r]) }
            var active = 0
            for s in 0..<rows where x[s * n + r] > clamp.min && x[s * n + r] < clamp.max { active += 1 }
            return c * Double(active) / Double(rows)
        }
        let mean = w.reduce(0, +) / Double(n)
        return mean > 0 ? w.map { $0 / mean } : nil
    }

    /// Re-fits layers `k` and `l = successor(k)` of `g` to `l`'s outputs in `original`
    /// (`PairRefit`) and updates both report entries: their errors as defined there, and a note.
    static func refitPair(_ g: inout Graph, original: Graph, _ layers: [PrunableLayer], _ k: Int, _ l: Int,
                          originalInputs: [[Float]], samples: [[Float]], step: Int,
                          report: inout [PrunedLayer]) throws(EdgeError) {
        let a = layers[k], b = layers[l]
        guard case .fullyConnected(let clamp) = g.nodes[a.node].op, let bBias = g.floats(b.bias) else { return }
        let x = try layerInputs(g, [a], samples, step: step)[0]
        let rows = x.count / a.inFeatures
        // As for the elimination: fewer rows than twice A's inputs over-fit the calibration set.
        guard rows >= 2 * (a.inFeatures + 1) else { return }
        let w0 = original.floats(b.weights)!.map(Double.init), b0 = original.floats(b.bias)!.map(Double.init)
        var target = [Double](repeating: 0, count: rows * b.outFeatures)
        for s in 0..<rows {
            for o in 0..<b.outFeatures {
                var acc = b0[o]
                for i in 0..<b.inFeatures { acc += Double(originalInputs[l][s * b.inFeatures + i]) * w0[o * b.inFeatures + i] }
                target[s * b.outFeatures + o] = acc
            }
        }
        let refit = PairRefit(x: x.map(Double.init), target: target, rows: rows, clamp: clamp)
        let start = PairRefit.Layers(a: g.floats(a.weights)!.map(Double.init), aBias: g.floats(a.bias)?.map(Double.init),
                                     aOut: a.outFeatures, aIn: a.inFeatures,
                                     b: g.floats(b.weights)!.map(Double.init), bBias: bBias.map(Double.init), bOut: b.outFeatures)
        let (done, before, after) = refit.run(start)
        guard after < before else { return }
        g[a.weights].data = .float32(done.a.map(Float.init))
        if let v = a.bias, let bias = done.aBias { g[v].data = .float32(bias.map(Float.init)) }
        g[b.weights].data = .float32(done.b.map(Float.init))
        g[b.bias!].data = .float32(done.bBias.map(Float.init))
        report[k].errorAfter = try layerError(g, original: original, a, inputs: originalInputs[k], pruned: x)
        let bInputs = try layerInputs(g, [b], samples, step: step)[0]
        report[l].errorAfter = try layerError(g, original: original, b, inputs: originalInputs[l], pruned: bInputs)
        let note = String(format: "re-fitted with %@ to %@'s outputs: their relative error %.2e -> %.2e", b.name, b.name, before, after)
        report[k].note = report[k].note.map { $0 + "; " + note } ?? note
    }

    /// ||Xp w' - Xo w||^2 / ||Xo w||^2 of `layer` in `g` against `original`.
    static func layerError(_ g: Graph, original: Graph, _ layer: PrunableLayer, inputs: [Float], pruned: [Float]) throws(EdgeError) -> Double {
        let stats = LayerStatistics(original: inputs, pruned: pruned, features: layer.inFeatures, bias: layer.bias != nil)
        let new = rows(g.floats(layer.weights)!.map(Double.init), g.floats(layer.bias)?.map(Double.init), layer)
        let old = rows(original.floats(layer.weights)!.map(Double.init), original.floats(layer.bias)?.map(Double.init), layer)
        var e = 0.0, energy = 0.0
        for (n, o) in zip(new, old) {
            e += stats.error(n, o)
            energy += stats.energy(o)
        }
        return e / max(energy, 1e-30)
    }
}
