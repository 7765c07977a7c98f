/// Layer-wise least-squares reconstruction of pruned weights (in the spirit of OBS and
/// SparseGPT): with calibration inputs Xo to the original layer and Xp to the pruned model's
/// layer, each output row w becomes the w' supported on the kept weights S that minimizes
/// ||Xp w' - Xo w||^2, i.e. (Hp[S,S] + damp I) w'[S] = (G w)[S] with Hp = Xp^T Xp and
/// G = Xp^T Xo. The damping (0.1 % of the mean diagonal; SparseGPT uses 1 %) keeps the system
/// well-posed when inputs are collinear or constant.
struct LayerStatistics {
    let inFeatures: Int
    /// Calibration rows the sums run over.
    let samples: Int
    /// Xp^T Xp, Xp^T Xo and Xo^T Xo, row-major `inFeatures^2`, in double.
    var hp: [Double]
    var g: [Double]
    var ho: [Double]

    /// `original` and `pruned` hold the same number of rows of `features` inputs each. With
    /// `bias`, every row gets a constant 1 appended (feature `features`), so that the bias is
    /// re-fitted too and absorbs the mean shift the pruning causes.
    init(original: [Float], pruned: [Float], features: Int, bias: Bool) {
        let n = features + (bias ? 1 : 0)
        inFeatures = n
        hp = [Double](repeating: 0, count: n * n)
        g = hp
        ho = hp
        let rows = original.count / features
        samples = rows
        for r in 0..<rows {
            var xo = original[(r * features)..<(r * features + features)].map(Double.init)
            var xp = pruned[(r * features)..<(r * features + features)].map(Double.init)
            if bias {
                xo.append(1)
                xp.append(1)
            }
            for i in 0..<n where xp[i] != 0 || xo[i] != 0 {
                for j in 0..<n {
                    hp[i * n + j] += xp[i] * xp[j]
                    g[i * n + j] += xp[i] * xo[j]
                    ho[i * n + j] += xo[i] * xo[j]
                }
            }
        }
    }

    /// The damping added to Hp's diagonal: 0.1 % of its mean (SparseGPT uses 1 %).
    var damping: Double {
        var meanDiag = 0.0
        for i in 0..<inFeatures { meanDiag += hp[i * inFeatures + i] }
        return max(0.001 * meanDiag / Double(inFeatures), 1e-12)
    }

    /// OBS saliency weights 1 / [(Hp + damp I)^-1]_jj: removing weight w_j alone (the others
    /// re-fitted) raises the output error by w_j^2 times this. Falls back to diag(Hp).
    func saliencyWeights() -> [Double] {
        let n = inFeatures
        var a = hp
        for i in 0..<n { a[i * n + i] += damping }
        guard let l = Self.cholesky(a, n) else { return (0..<n).map { hp[$0 * n + $0] } }
        // [A^-1]_jj = ||L^-1 e_j||^2: one forward substitution per j.
        var result = [Double](repeating: 0, count: n)
        for j in 0..<n {
            var y = [Double](repeating: 0, count: n)
            y[j] = 1 / l[j * n + j]
            var norm = y[j] * y[j]
            for i in (j + 1)..<max(n, j + 1) {
                var s = 0.0
                for p in j..<i { s -= l[i * n + p] * y[p] }
                y[i] = s / l[i * n + i]
                norm += y[i] * y[i]
            }
            result[j] = 1 / norm
        }
        return result
    }

    /// (Hp + damp I)^-1, row-major, or nil when it is not positive definite.
    func dampedInverse() -> [Double]? {
        let n = inFeatures
        var a = hp
        for i in 0..<n { a[i * n + i] += damping }
        guard let l = Self.cholesky(a, n) else { return nil }
        // Columns of L^-1 by forward substitution, then A^-1 = L^-T L^-1.
        var li = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            li[j * n + j] = 1 / l[j * n + j]
            for i in (j + 1)..<max(n, j + 1) {
                var s = 0.0
                for p in j..<i { s -= l[i * n + p] * li[p * n + j] }
                li[i * n + j] = s / l[i * n + i]
            }
        }
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for p in j..<n { s += li[p * n + i] * li[p * n + j] }
                inv[i * n + j] = s
                inv[j * n + i] = s
            }
        }
        return inv
    }

    /// ||Xp a - Xo w||^2 for one row.
    func error(_ a: [Double], _ w: [Double]) -> Double {
        let n = inFeatures
        var e = 0.0
        for i in 0..<n {
            var hpa = 0.0, gw = 0.0, how = 0.0
            for j in 0..<n {
                hpa += hp[i * n + j] * a[j]
                gw += g[i * n + j] * w[j]
                how += ho[i * n + j] * w[j]
            }
            e += a[i] * hpa - 2 * a[i] * gw + w[i] * how
        }
        return max(e, 0)
    }

    /// ||Xo w||^2 for one row.
    func energy(_ w: [Double]) -> Double {
        let n = inFeatures
        var e = 0.0
        for i in 0..<n {
            var s = 0.0
            for j in 0..<n { s += ho[i * n + j] * w[j] }
            e += w[i] * s
        }
        return e
    }

    /// The least-squares row on the kept features `keep` (ascending); zero elsewhere.
    func reconstruct(_ w: [Double], keep: [Int]) -> [Double] {
        let n = inFeatures, k = keep.count
        var out = [Double](repeating: 0, count: n)
        if k == 0 { return out }
        let damp = damping
        var a = [Double](repeating: 0, count: k * k), b = [Double](repeating: 0, count: k)
        for (r, i) in keep.enumerated() {
            for (c, j) in keep.enumerated() { a[r * k + c] = hp[i * n + j] }
            a[r * k + r] += damp
            var s = 0.0
            for j in 0..<n { s += g[i * n + j] * w[j] }
            b[r] = s
        }
        guard let x = Self.choleskySolve(a, b, k) else {
            for i in keep { out[i] = w[i] }
            return out
        }
        for (r, i) in keep.enumerated() { out[i] = x[r] }
        return out
    }

    /// Solves the symmetric positive definite system a x = b (k x k), or nil if it is not.
    static func choleskySolve(_ a: [Double], _ b: [Double], _ k: Int) -> [Double]? {
        guard let l = cholesky(a, k) else { return nil }
        var y = b
        for i in 0..<k {
            for p in 0..<i { y[i] -= l[i * k + p] * y[p] }
            y[i] /= l[i * k + i]
        }
        for i in stride(from: k - 1, through: 0, by: -1) {
            for p in (i + 1)..<k { y[i] -= l[p * k + i] * y[p] }
            y[i] /= l[i * k + i]
        }
        return y
    }

    /// The lower Cholesky factor of a symmetric positive definite k x k matrix, or nil.
    static func cholesky(_ a: [Double], _ k: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0...i {
                var s = a[i * k + j]
                for p in 0..<j { s -= l[i * k + p] * l[j * k + p] }
                if i == j {
                    if !(s > 0) { return nil }
                    l[i * k + i] = s.squareRoot()
                } else {
                    l[i * k + j] = s / l[j * k + j]
                }
            }
        }
        return l
    }
}
