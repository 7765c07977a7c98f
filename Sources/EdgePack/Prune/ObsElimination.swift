/// Greedy Optimal Brain Surgeon elimination of whole pattern units (a 1x4 block, an input pair
/// shared by a group of 8 rows, ...), one unit at a time.
///
/// Each scope (one output row, or the 8 rows of a groups8x2 group, which share their kept
/// inputs) keeps the inverse Hessian of its kept inputs, H_S^-1 with H = Xp^T Xp + damp I, and
/// its rows' least-squares weights a on S (`LayerStatistics`). Removing the inputs F of a unit
/// from S raises the rows' error by exactly sum_r a_rF^T ([H_S^-1]_FF)^-1 a_rF; the cheapest
/// unit goes, the rows' other weights take the update -H_S^-1[:,F] ([H_S^-1]_FF)^-1 a_rF (the
/// OBS compensation) and H_S^-1 is downdated. Unlike scoring once with the full H^-1, every
/// choice sees the inputs already removed: a unit whose inputs others can stand in for is cheap
/// only while those others are kept.
///
/// Budgets: groups8x2 and rows1x16 drop the same number of units in every scope (what their
/// kernels need); the other patterns rank all scopes' units together.
struct ObsElimination {
    /// Output rows sharing one keep set.
    let scopes: [Range<Int>]
    /// Input features removed together, within a scope.
    let units: [[Int]]
    let balanced: Bool
    let inFeatures: Int
    /// Each output row's weight in the costs, from what the next layer reads of it
    /// (`Pruner.rowWeights`); used by the layer-wide ranking of blocks only. Measured on
    /// digits_mlp + int8 (relative squared output error against float on 1091 training digits
    /// outside the calibration rows): block1x4 at 70/75/80 % 8.8e-3/1.1e-2/3.5e-2 ->
    /// 6.3e-3/7.7e-3/3.1e-2; groups8x2 (per-group budgets) 2.8e-2/6.0e-2/9.4e-2 ->
    /// 5.6e-2/5.9e-2/1.1e-1 and unstructured at 75 % 4.3e-3 -> 4.6e-3, where they stay off.
    var rowWeights: [Double]? {
        get { weighted }
        set { weighted = balanced || (units.first?.count ?? 1) == 1 ? nil : newValue }
    }
    private var weighted: [Double]? = nil

    /// The plan for a pattern, or nil for the patterns it does not cover (block4x1 spans rows
    /// that keep different inputs; 2:4 is one fixed choice per group of 4).
    init?(_ layer: PrunableLayer, _ pattern: PrunePattern) {
        let n = layer.inFeatures, rows = layer.outFeatures
        var width = 1
        switch pattern {
        case .groups8x2:
            scopes = stride(from: 0, to: rows, by: 8).map { $0..<min($0 + 8, rows) }
            width = 2
        case .block1x4, .block1x16, .rows1x16, .unstructured:
            scopes = (0..<rows).map { $0..<($0 + 1) }
            width = pattern == .block1x4 ? 4 : pattern == .unstructured ? 1 : 16
        case .block4x1, .twoOfFour:
            return nil
        }
        units = stride(from: 0, to: pattern == .groups8x2 ? n - n % 2 : n, by: width).map { Array($0..<min($0 + width, n)) }
        balanced = pattern == .groups8x2 || pattern == .rows1x16
        inFeatures = n
    }

    /// Doubles of inverse Hessians held at once: one per scope when all scopes are ranked
    /// together, one otherwise.
    func memory(features: Int) -> Int { (balanced ? 1 : scopes.count) * features * features }

    /// Units removed at `ratio`: per scope when balanced (never all of them), else in total.
    func drops(_ ratio: Double) -> Int {
        balanced ? min(Int((ratio * Double(units.count)).rounded()), units.count - 1)
            : Int((ratio * Double(units.count * scopes.count)).rounded())
    }

    /// Eliminates up to the last of `ratios` (ascending). `rows` holds the layer's re-fitted
    /// rows (each `stats.inFeatures` long, the bias last) on entry and the pruned ones on exit.
    /// Returns the summed error increase at each ratio and the keep-mask (rows x inFeatures)
    /// at the last one.
    func run(_ rows: inout [[Double]], _ stats: LayerStatistics, ratios: [Double]) -> (added: [Double], keep: [Bool]) {
        let stops = ratios.map(drops)
        var keep = [Bool](repeating: true, count: rows.count * inFeatures)
        guard let last = stops.last, last > 0, let inverse = stats.dampedInverse() else {
            return (ratios.map { _ in 0 }, keep)
        }
        func removed(_ scope: Scope) {
            for (u, f) in units.enumerated() where !scope.alive[u] {
                for r in scope.rows { for i in f { keep[r * inFeatures + i] = false } }
            }
        }
        var added = [Double](repeating: 0, count: stops.count)
        if balanced {
            for s in scopes {
                var scope = Scope(rows: s, inverse: inverse, n: stats.inFeatures, units: units, weights: rows, rowWeights: weighted)
                var total = 0.0
                for step in 1...last {
                    total += scope.removeCheapest(&rows)
                    for (k, d) in stops.enumerated() where d == step { added[k] += total }
                }
                removed(scope)
            }
            return (added, keep)
        }
        var all = scopes.map { Scope(rows: $0, inverse: inverse, n: stats.inFeatures, units: units, weights: rows, rowWeights: weighted) }
        var total = 0.0
        for step in 1...min(last, units.count * scopes.count) {
            var best = 0
            for s in all.indices where all[s].cheapest.cost < all[best].cheapest.cost { best = s }
            if all[best].cheapest.cost == .infinity { break }
            total += all[best].removeCheapest(&rows)
            for (k, d) in stops.enumerated() where d == step { added[k] = total }
        }
        all.forEach(removed)
        return (added, keep)
    }

    /// One scope's state: H_S^-1 (row-major, `n` x `n`, zero on removed inputs) and the cost of
    /// removing each unit still kept.
    struct Scope {
        let rows: Range<Int>
        var inverse: [Double]
        let n: Int
        let units: [[Int]]
        var alive: [Bool]
        var costs: [Double]
        var cheapest: (unit: Int, cost: Double) = (0, .infinity)
        let rowWeights: [Double]?

        init(rows: Range<Int>, inverse: [Double], n: Int, units: [[Int]], weights: [[Double]], rowWeights: [Double]? = nil) {
            self.rows = rows
            self.rowWeights = rowWeights
            self.inverse = inverse
            self.n = n
            self.units = units
            alive = [Bool](repeating: true, count: units.count)
            costs = [Double](repeating: .infinity, count: units.count)
            refresh(weights)
        }

        /// The lower Cholesky factor of [H_S^-1]_FF, or nil when it is not positive definite.
        func factor(_ f: [Int]) -> [Double]? {
            let k = f.count
            var a = [Double](repeating: 0, count: k * k)
            for (r, i) in f.enumerated() { for (c, j) in f.enumerated() { a[r * k + c] = inverse[i * n + j] } }
            return LayerStatistics.cholesky(a, k)
        }

        /// L^-1 a_F by forward substitution.
        static func forward(_ l: [Double], _ v: [Double]) -> [Double] {
            let k = v.count
            var y = v
            for i in 0..<k {
                for p in 0..<i { y[i] -= l[i * k + p] * y[p] }
                y[i] /= l[i * k + i]
            }
            return y
        }

        mutating func refresh(_ weights: [[Double]]) {
            cheapest = (0, .infinity)
            for (u, f) in units.enumerated() where alive[u] {
                var cost = Double.infinity
                if let l = factor(f) {
                    cost = 0
                    for r in rows {
                        let y = Self.forward(l, f.map { weights[r][$0] })
                        let weight = rowWeights?[r] ?? 1
                        for v in y { cost += weight * v * v }
                    }
                }
                costs[u] = cost
                if cost < cheapest.cost { cheapest = (u, cost) }
            }
        }

        /// Removes the cheapest unit, updates the rows and H_S^-1; returns the error increase.
        mutating func removeCheapest(_ weights: inout [[Double]]) -> Double {
            let (u, cost) = cheapest
            let f = units[u], k = f.count
            alive[u] = false
            guard let l = factor(f) else { return 0 }
            // U = H_S^-1[:,F] L^-T (n x k): then H_S^-1 -= U U^T and a -= U (L^-1 a_F).
            var uMat = [Double](repeating: 0, count: n * k)
            for i in 0..<n {
                let row = Self.forward(l, f.map { inverse[i * n + $0] })
                for c in 0..<k { uMat[i * k + c] = row[c] }
            }
            for r in rows {
                let y = Self.forward(l, f.map { weights[r][$0] })
                for i in 0..<n {
                    var s = 0.0
                    for c in 0..<k { s += uMat[i * k + c] * y[c] }
                    weights[r][i] -= s
                }
                for j in f { weights[r][j] = 0 }
            }
            inverse.withUnsafeMutableBufferPointer { h in
                uMat.withUnsafeBufferPointer { um in
                    for i in 0..<n {
                        for j in 0..<n {
                            var s = 0.0
                            for c in 0..<k { s += um[i * k + c] * um[j * k + c] }
                            h[i * n + j] -= s
                        }
                    }
                }
            }
            for j in f {
                for i in 0..<n {
                    inverse[i * n + j] = 0
                    inverse[j * n + i] = 0
                }
            }
            refresh(weights)
            return cost
        }
    }
}
