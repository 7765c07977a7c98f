import ArgumentParser
import EdgePack

extension PrunePattern: ExpressibleByArgument {}
extension SparseStoragePolicy: ExpressibleByArgument {}

/// `edgepack pack --prune RATIO [--prune-pattern P] [--prune-layer NAME=RATIO ...]
/// [--sparse-storage speed|size]`.
struct PruneArguments: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Prune this fraction (0-0.95) of the FullyConnected and 1x1 Conv2D weights, split among \
        layers by measured sensitivity, then rebuild the kept weights by least squares on the \
        calibration data (needs --quantize int8).
        """, valueName: "ratio"))
    var prune: Double?

    @Option(name: .customLong("prune-pattern"),
            help: ArgumentHelp("Weights removed together: block1x4, block4x1, block1x16, rows1x16 (1x16, the same count per row), groups8x2 (8 outputs share each kept input pair; FullyConnected), unstructured, or 2:4 (always 50 %).",
                               valueName: "pattern"))
    var prunePattern: PrunePattern = .block1x4

    @Option(name: .customLong("prune-layer"),
            help: ArgumentHelp("Fix one layer's ratio, e.g. fc1=0.8 (repeat for several layers).", valueName: "name=ratio"))
    var pruneLayers: [String] = []

    @Option(name: .customLong("sparse-storage"),
            help: ArgumentHelp("Store pruned layers block-sparse where measured faster (speed) or wherever smaller (size).",
                               valueName: "speed|size"))
    var sparseStorage: SparseStoragePolicy = .speed

    func validate(quantized: Bool) throws {
        guard let prune else {
            if !pruneLayers.isEmpty { throw ValidationError("--prune-layer needs --prune RATIO (the model-wide target; 0 prunes only the named layers)") }
            return
        }
        if !quantized {
            throw ValidationError("--prune \(prune) needs --quantize int8 --calibration data.npy: pruning reconstructs from the calibration data and sparse storage is int8")
        }
        _ = try options()
    }

    /// The parsed settings, or nil without --prune.
    func options() throws -> PruneOptions? {
        guard let prune else { return nil }
        var layers: [String: Double] = [:]
        for spec in pruneLayers {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let ratio = Double(parts[1]) else {
                throw ValidationError("--prune-layer '\(spec)' is not NAME=RATIO: write it like fc1=0.8")
            }
            if layers[parts[0]] != nil { throw ValidationError("--prune-layer gives layer '\(parts[0])' twice: keep one") }
            layers[parts[0]] = ratio
        }
        let options = PruneOptions(ratio: prune, pattern: prunePattern, layerRatios: layers, storage: sparseStorage)
        try options.validate()
        return options
    }
}
