import EdgeFormat

/// How one pruned layer's int8 weights are stored, and why.
public struct StorageChoice: Sendable {
    /// The block width of the block-sparse encoding, or nil for dense.
    public var blockWidth: Int?
    /// Fraction of all-zero 1 x `width` blocks, for the width considered.
    public var blockSparsity: Double
    /// The measured sparsity above which the sparse kernel beats the dense one for this
    /// layer's op, block width and input features.
    public var crossover: Double
    public var denseBytes: Int
    public var storedBytes: Int
    public var reason: String

    /// "bsr1x4" or "dense".
    public var name: String { blockWidth.map { "bsr1x\($0)" } ?? "dense" }
}

/// The dense-or-sparse decision per layer, from crossover sparsities measured by
/// `Tests/KernelTests/ek_sparse_bench.c` (`make bench`, AVX2, AMD EPYC host, alternating timing; input features 64, 256, 512, 1024):
/// the lowest of 50/70/80/90 % block sparsity at which the sparse kernel ran faster than the
/// dense kernel the runtime would use, per input-feature class. For FullyConnected the dense
/// kernel is the SIMD fc. For 1x1 Conv2D it is the level's SIMD dense conv
/// (ek_qs8_conv2d_minmax_2x4c16__avx2) against the pixel-panel sparse conv (ek_sparse_px.h,
/// the bench's pointwise table: 25x5 to 56x56 pixels, 32 to 256 input channels), which was
/// faster at every measured sparsity (1.3x at 50 % on 6x6 256->256, 2.1-2.6x at 50 % on the
/// others, 2.7-4.1x at 80 %).
public enum SparseStorage {
    /// (minimum input features, crossover) rows, ascending; 1.0 = never faster.
    static let fullyConnected4: [(Int, Double)] = [(0, 1.0), (256, 0.8), (512, 0.8), (1024, 0.7)]
    static let fullyConnected16: [(Int, Double)] = [(0, 0.8), (256, 0.7), (512, 0.7), (1024, 0.7)]
    static let conv1x1: [(Int, Double)] = [(0, 0.5)]

    static func crossover(conv: Bool, blockWidth: Int, inFeatures: Int) -> Double {
        let table = conv ? conv1x1 : (blockWidth == 16 ? fullyConnected16 : fullyConnected4)
        return table.last { $0.0 <= inFeatures }?.1 ?? 1.0
    }

    /// Chooses the storage of `[rows, columns]` int8 weights.
    public static func choose(_ weights: [Int8], rows: Int, columns: Int, conv: Bool,
                              policy: SparseStoragePolicy) -> StorageChoice {
        let dense = rows * columns
        var best = StorageChoice(blockWidth: nil, blockSparsity: 0, crossover: 1, denseBytes: dense, storedBytes: dense,
                                 reason: "no block width divides \(columns) input features")
        var bestMargin = -Double.infinity
        for bw in SparseWeights.blockWidths where columns % bw == 0 && columns / bw <= Int(UInt16.max) {
            var nonZero = 0
            for r in 0..<rows {
                for c in 0..<(columns / bw) where (0..<bw).contains(where: { weights[r * columns + c * bw + $0] != 0 }) {
                    nonZero += 1
                }
            }
            let blocks = rows * columns / bw
            let sparsity = 1 - Double(nonZero) / Double(blocks)
            let bytes = SparseWeights(blockWidth: bw, rows: rows, columns: columns, blockCount: nonZero).byteSize
            let cross = crossover(conv: conv, blockWidth: bw, inFeatures: columns)
            let margin = policy == .speed ? sparsity - cross : Double(dense - bytes)
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
            best.reason = "\(pct(best.blockSparsity)) of 1x\(best.blockWidth!) blocks empty, measured crossover \(pct(best.crossover)): "
                + (sparse ? "sparse kernel faster" : "dense kernel faster")
        case .size:
            sparse = best.storedBytes < dense
            best.reason = "--sparse-storage size: \(best.storedBytes) B sparse vs \(dense) B dense"
        }
        if !sparse {
            best.blockWidth = nil
            best.storedBytes = dense
        }
        return best
    }
}
