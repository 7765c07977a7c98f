import EdgeFormat

/// Which weights a pruning mask removes together.
public enum PrunePattern: String, CaseIterable, Sendable {
    /// 1 output x 4 consecutive input features: the unit of the 1x4 block-sparse kernels.
    case block1x4
    /// 4 consecutive outputs x 1 input feature (stored as 1x4 blocks wherever any weight stays).
    case block4x1
    /// 1 output x 16 consecutive input features: the unit of the 1x16 kernels.
    case block1x16
    /// 1x16 blocks, the same number removed from every output row (balanced rows): the AVX2
    /// fully connected kernel runs eight such rows in lockstep, faster than `block1x16` at the
    /// same sparsity (SparseStorage), at some accuracy cost (less freedom where to prune).
    case rows1x16
    /// 8 consecutive outputs x 2 consecutive input features, every group of 8 outputs keeping
    /// the same number of input pairs (FullyConnected only): stored as grouped 8x2 blocks, whose
    /// kernel keeps the group's 8 sums in one register and needs no horizontal sums, the
    /// pattern that pays off for layers with few inputs (SparseStorage). Less freedom where to
    /// prune than 1x4 blocks: digits_mlp at 75 % + int8 keeps 94.4 % held-out accuracy (1x4
    /// blocks 97.1 %, rows1x16 95.8 %, unstructured 97.3 %, float 97.8 %).
    case groups8x2
    /// Single weights (stored as 1x4 blocks wherever any weight of a block stays).
    case unstructured
    /// In every group of 4 consecutive input features of a row, the 2 smallest go: 50 %.
    case twoOfFour = "2:4"

    /// The sparse storage block width this pattern's masks line up with, if any.
    var alignedBlockWidth: Int? {
        switch self {
        case .block1x4: return 4
        case .block1x16, .rows1x16: return 16
        case .block4x1, .unstructured, .twoOfFour, .groups8x2: return nil
        }
    }
}

/// How edgepack stores a pruned layer's int8 weights.
public enum SparseStoragePolicy: String, CaseIterable, Sendable {
    /// Block-sparse only where the measured crossover data says the sparse kernel is faster.
    case speed
    /// Block-sparse wherever the encoding is smaller than the dense int8 weights (the sparse
    /// kernels are bit-exact with the dense ones, only speed differs).
    case size
}

/// `edgepack pack --prune ...` settings.
public struct PruneOptions: Sendable {
    /// Target fraction of prunable weights removed over the whole model, in [0, 0.95]; split
    /// among layers by their measured sensitivity unless `layerRatios` fixes a layer.
    public var ratio: Double
    public var pattern: PrunePattern
    /// Per-layer ratios by layer (node) name; these layers are left out of the allocation.
    public var layerRatios: [String: Double]
    public var storage: SparseStoragePolicy
    /// Whether a layer feeding the next FullyConnected one through its clamp weighs each output
    /// row's error by what that layer reads of it when ranking its 1x4 or 1x16 blocks
    /// (`Pruner.rowWeights`, `ObsElimination.rowWeights`).
    public var rowWeighting = true

    public init(ratio: Double, pattern: PrunePattern = .block1x4, layerRatios: [String: Double] = [:],
                storage: SparseStoragePolicy = .speed, rowWeighting: Bool = true) {
        self.ratio = ratio
        self.pattern = pattern
        self.layerRatios = layerRatios
        self.storage = storage
        self.rowWeighting = rowWeighting
    }

    public static let maxRatio = 0.95

    /// Checks the ratios; errors name the option and the bad value.
    public func validate() throws(EdgeError) {
        if !(ratio >= 0 && ratio <= Self.maxRatio) {
            throw EdgeError(.usage, object: "--prune", problem: "ratio \(ratio) is outside 0...\(Self.maxRatio)",
                            fix: "give the fraction of weights to remove, e.g. --prune 0.75")
        }
        for (name, r) in layerRatios where !(r >= 0 && r <= Self.maxRatio) {
            throw EdgeError(.usage, object: "--prune-layer \(name)", problem: "ratio \(r) is outside 0...\(Self.maxRatio)",
                            fix: "write NAME=RATIO with RATIO in 0...\(Self.maxRatio), e.g. fc1=0.8")
        }
    }
}
