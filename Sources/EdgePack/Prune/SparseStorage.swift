import EdgeFormat

/// How one pruned layer's int8 weights are stored, and why.
public struct StorageChoice: Sendable {
    /// The block width of the block-sparse encoding, or nil for dense.
    public var blockWidth: Int?
    /// Rows per block: 1, or 8 for grouped 8x2 blocks.
    public var blockHeight = 1
    /// Fraction of all-zero 1 x `width` blocks, for the width considered.
    public var blockSparsity: Double
    /// The measured sparsity above which the sparse kernel beats the dense one for this
    /// layer's op, block width and input features.
    public var crossover: Double
    public var denseBytes: Int
    public var storedBytes: Int
    public var reason: String

    /// "bsr1x4", "bsr8x2" or "dense".
    public var name: String { blockWidth.map { "bsr\(blockHeight)x\($0)" } ?? "dense" }
}

/// The dense-or-sparse decision per layer, from crossover sparsities measured by
/// `Tests/KernelTests/ek_sparse_bench.c` on AVX2 (AMD EPYC host, shared, thread CPU time,
/// medians of 15 alternating dense/sparse batches): the lowest of 50/70/80/90 % block sparsity
/// at which the sparse kernel was at least 1.1x faster than the dense kernel the runtime would
/// use in each of three runs, taking the highest over the shapes of an input-feature class.
/// FullyConnected: `out/bench/ek_sparse_bench --fc` (batch 1; 64->32, 128->640, 256->256,
/// 512->512, 640->128, 1024->1024) against ek_qs8_fc_minmax_1x8c16__avx2 (which requantizes its
/// outputs in one pass after the dot products), the sparse kernels requantizing a chunk of sums
/// in one pass too. Crossovers from three sets of three runs while the sparse kernels got
/// faster (a sparsity counts when all nine pass); the numbers below are the last set's. At
/// 80 % with 1x16 blocks it ran 1.11-1.17x (64 inputs), 1.33-1.34x (128), 1.59-1.61x (256),
/// 1.56-1.89x (512, 640) and 2.45-2.51x (1024) faster; at 70 % at least 1.13x from 128 inputs
/// (an earlier run 1.02x for 128, hence 80 % there). With balanced rows (every row keeps the same number of 1x16
/// blocks, as `--prune-pattern rows1x16` prunes; the kernel runs eight rows in lockstep,
/// unrolled up to 8 blocks a row) 2.00-2.07x (128), 2.6-3.1x (256, 512, 640), 3.5-3.9x (1024)
/// and 1.5-1.6x for 64 inputs (whose rows keep 2 of 8 and 1 of 4 blocks at 80 %: 75 %); at
/// 50 % 1.14-1.39x (earlier runs 1.09-1.10x for 128 -> 640 and 1.09x for 640 -> 128, which
/// are at least 1.57x at 70 %). 1x4 blocks pay from 90 % (1.28-2.23x), never with fewer than
/// 256 inputs (128 -> 640: 1.08-1.11x at 90 %); at 80 % 1024 inputs ran 1.00-1.22x.
/// Grouped 8x2 blocks (`--prune-pattern groups8x2`, every group of 8 rows keeping the same
/// input pairs; ek_sparse_grouped.h; rows "8x2g" of `ek_sparse_bench --fc`), measured after the
/// AVX2 kernel's fixed cost per call was cut (no pass over group_ptr, a jump into unrolled
/// blocks per group, no masked loads, batch 1 without the row loop; a 32 -> 10 call at 80 % went
/// from 315 to 208 instructions, the dense kernel's being 529), three runs of the table (two
/// for 128 -> 640) and three more of the small shapes, alternating with the previous kernel:
/// at 50 % 1.31-1.61x for 64 -> 32, 1.96-2.03x for 32 -> 10, 1.66-1.75x for 128 -> 8,
/// 1.40-1.48x for 128 -> 128, 1.38-1.47x for 640 -> 128, 1.27-1.54x for 256 -> 256 and
/// 1.33-1.43x for 128 -> 640 (the previous kernel: 1.02-1.13x for 640 -> 128, hence 70 % from
/// 256 inputs then), so 50 % for every input count now; at 80 % 2.01-2.45x for 64 -> 32,
/// 2.31-2.47x (32 -> 10), 2.39-2.65x (128 -> 8), 2.37-2.85x (128 -> 128) and 3.18-3.26x
/// (640 -> 128), where the previous kernel ran 1.71-1.88x, 1.52-1.74x, 1.72-1.91x and
/// 2.21-2.59x on the first four.
/// 1x1 Conv2D: `out/bench/ek_sparse_bench --pointwise`, the pixel-panel sparse conv
/// (ek_sparse_px.h; 25x5 to 56x56 pixels, 32 to 256 input channels) against the dense 1x1
/// conv a model packed with `--board host` runs (layout 3, ek_qs8_pconv2d_minmax_4x16c4__avx2,
/// 5-20 % faster than the canonical ek_qs8_conv2d_minmax_4x16c2__avx2 the table was first
/// measured against), four runs after the AVX2 kernel sorted its rows by block count: at 50 %
/// 1.32-1.77x for up to 128 input channels, 1.11-1.17x (1x4) and 1.23-1.41x (1x16) with 256
/// (6x6 pixels; the previous kernel 0.80-0.92x, hence 70 % there before); at 80 % 2.08-3.48x
/// for every shape and block width.
public enum SparseStorage {
    /// (minimum input features, crossover) rows, ascending; 1.0 = never faster.
    static let fullyConnected4: [(Int, Double)] = [(0, 1.0), (256, 0.9)]
    static let fullyConnected16: [(Int, Double)] = [(0, 0.8), (256, 0.7)]
    /// 1x16 blocks, the same number in every row.
    static let fullyConnected16Rows: [(Int, Double)] = [(0, 0.5), (128, 0.7), (256, 0.5), (512, 0.7), (1024, 0.5)]
    static let conv1x1: [(Int, Double)] = [(0, 0.5)]
    /// Grouped 8x2 blocks, fully connected only.
    static let fullyConnectedGrouped: [(Int, Double)] = [(0, 0.5)]

    static func crossover(conv: Bool, blockWidth: Int, inFeatures: Int, balancedRows: Bool = false) -> Double {
        let table = conv ? conv1x1
            : blockWidth == 16 ? (balancedRows ? fullyConnected16Rows : fullyConnected16) : fullyConnected4
        return table.last { $0.0 <= inFeatures }?.1 ?? 1.0
    }

    /// Chooses the storage of `[rows, columns]` int8 weights.
    /// `grouped` (a FullyConnected pruned with groups8x2) stores grouped 8x2 blocks instead of
    /// 1 x W blocks.
    public static func choose(_ weights: [Int8], rows: Int, columns: Int, conv: Bool,
                              policy: SparseStoragePolicy, grouped: Bool = false) -> StorageChoice {
        let dense = rows * columns
        var best = StorageChoice(blockWidth: nil, blockSparsity: 0, crossover: 1, denseBytes: dense, storedBytes: dense,
                                 reason: "no block width divides \(columns) input features")
        var bestMargin = -Double.infinity
        if grouped && !conv && columns % SparseWeights.groupWidth == 0 && columns / SparseWeights.groupWidth <= Int(UInt16.max) {
            let gh = SparseWeights.groupHeight, gw = SparseWeights.groupWidth
            let groups = (rows + gh - 1) / gh, pairs = columns / gw
            var nonZero = 0
            for g in 0..<groups {
                for c in 0..<pairs where (g * gh..<min(g * gh + gh, rows)).contains(where: { r in
                    weights[r * columns + c * gw] != 0 || weights[r * columns + c * gw + 1] != 0 }) {
                    nonZero += 1
                }
            }
            let blocks = groups * pairs
            let cross = fullyConnectedGrouped.last { $0.0 <= columns }?.1 ?? 1.0
            let bytes = SparseWeights(blockHeight: gh, blockWidth: gw, rows: rows, columns: columns, blockCount: nonZero).byteSize
            let allowed = ((1 - cross) * Double(blocks)).rounded()
            bestMargin = policy == .speed ? (allowed - Double(nonZero)) / Double(blocks) : Double(dense - bytes)
            best = StorageChoice(blockWidth: gw, blockHeight: gh, blockSparsity: 1 - Double(nonZero) / Double(blocks),
                                 crossover: cross, denseBytes: dense, storedBytes: bytes, reason: "")
        }
        for bw in SparseWeights.blockWidths where !grouped && columns % bw == 0 && columns / bw <= Int(UInt16.max) {
            var nonZero = 0
            var rowCounts = Set<Int>()
            for r in 0..<rows {
                var count = 0
                for c in 0..<(columns / bw) where (0..<bw).contains(where: { weights[r * columns + c * bw + $0] != 0 }) {
                    count += 1
                }
                nonZero += count
                rowCounts.insert(count)
            }
            let blocks = rows * columns / bw
            let sparsity = 1 - Double(nonZero) / Double(blocks)
            let bytes = SparseWeights(blockWidth: bw, rows: rows, columns: columns, blockCount: nonZero).byteSize
            // Balanced rows (one block count for all rows, at least eight rows) run the AVX2 fc
            // kernel's lockstep path.
            let cross = crossover(conv: conv, blockWidth: bw, inFeatures: columns,
                                  balancedRows: rowCounts.count == 1 && rows >= 8)
            // At or past the crossover when no more blocks are left than a pruning target at
            // the crossover leaves (70 % of 16352 blocks keeps 4906, a sparsity of 69.997 %).
            let allowed = ((1 - cross) * Double(blocks)).rounded()
            let margin = policy == .speed ? (allowed - Double(nonZero)) / Double(blocks) : Double(dense - bytes)
            if margin > bestMargin {
                bestMargin = margin
                best = StorageChoice(blockWidth: bw, blockSparsity: sparsity, crossover: cross, denseBytes: dense,
                                     storedBytes: bytes, reason: "")
            }
        }
        guard best.blockWidth != nil else { return best }
        let pct = { (x: Double) in "\(Int((100 * x).rounded())) %" }
        let sparse: Bool
        switch policy {
        case .speed:
            sparse = bestMargin >= 0
            best.reason = best.blockSparsity == 0
                ? "no empty \(best.blockHeight)x\(best.blockWidth!) blocks: dense"
                : "\(pct(best.blockSparsity)) of \(best.blockHeight)x\(best.blockWidth!) blocks empty, measured crossover \(pct(best.crossover)): "
                    + (sparse ? "sparse kernel faster" : "dense kernel faster")
        case .size:
            sparse = best.storedBytes < dense
            best.reason = "--sparse-storage size: \(best.storedBytes) B sparse vs \(dense) B dense"
        }
        if !sparse {
            best.blockWidth = nil
            best.blockHeight = 1
            best.storedBytes = dense
        }
        return best
    }
}
