import EdgeFormat
import Foundation

/// What `edgepack pack --prune` prints: per layer the allocated ratio, the sparsity reached,
/// the relative output error with the mask alone and after reconstruction, the storage
/// choice and its bytes; then the file sizes.
public struct PruneReport: Sendable {
    public var layers: [PrunedLayer]
    /// The unpruned float32 model.bin and the written (pruned, int8) one.
    public var floatFileBytes: Int
    public var finalFileBytes: Int
    /// The model-wide target (`--prune`), to show when the layers fall short of it.
    public var target: Double? = nil

    /// Fraction of all prunable weights that are zero.
    public var sparsity: Double {
        let total = layers.reduce(0) { $0 + $1.outFeatures * $1.inFeatures }
        let zeros = layers.reduce(0.0) { $0 + $1.sparsity * Double($1.outFeatures * $1.inFeatures) }
        return zeros / Double(max(total, 1))
    }

    /// A shortfall of more than half a weight in a thousand counts (the layers' counts round).
    public var reachedTarget: Bool { target.map { sparsity >= $0 - 0.0005 } ?? true }

    /// The warning when the layers fall short of the target, or nil.
    public var shortfall: String? {
        guard let target, !reachedTarget else { return nil }
        return String(format: "pruning reached %.1f %% of the prunable weights, below the %.1f %% target: ", 100 * sparsity, 100 * target)
            + "the pattern removes no more in these layers (see the layer notes)"
    }

    /// Picks dense or block-sparse storage for each pruned layer's int8 weights in the
    /// quantized graph (marks `Value.sparseBlockWidth`) and records the choice in `layers`.
    static func chooseStorage(_ g: inout Graph, _ layers: inout [PrunedLayer], policy: SparseStoragePolicy,
                              pattern: PrunePattern = .block1x4) {
        for i in layers.indices {
            guard let node = g.nodes.first(where: { $0.name == layers[i].name && ($0.op.kind == .fullyConnected || $0.op.kind == .conv2D) }),
                  let w = node.input(1), case .int8(let q)? = g[w].data else { continue }
            let choice = SparseStorage.choose(q, rows: layers[i].outFeatures, columns: layers[i].inFeatures,
                                              conv: node.op.kind == .conv2D, policy: policy,
                                              grouped: pattern == .groups8x2 && node.op.kind == .fullyConnected)
            g[w].sparseBlockWidth = choice.blockWidth
            g[w].sparseBlockHeight = choice.blockHeight
            layers[i].storage = choice
        }
    }

    /// METADATA pairs recording the pruning and each layer's storage choice.
    static func metadata(_ layers: [PrunedLayer], options: PruneOptions) -> [(String, String)] {
        var pairs = [("pruning", "\(options.pattern.rawValue), target \(options.ratio), storage policy \(options.storage.rawValue), least-squares reconstruction")]
        for l in layers {
            pairs.append(("sparse.\(l.name)", "\(l.storage?.name ?? "dense") (\(l.storage?.reason ?? "not quantized"))"))
        }
        return pairs
    }

    public var text: String {
        func pct(_ x: Double) -> String { String(format: "%5.1f %%", 100 * x) }
        func err(_ x: Double) -> String { String(format: "%9.2e", x) }
        var lines = ["pruning (relative output error on the calibration set: mask only -> after least-squares reconstruction)"]
        lines.append("  layer            op               shape        target  sparsity    err mask   err recon  storage  bytes (dense int8)")
        for l in layers {
            let shape = "\(l.outFeatures)x\(l.inFeatures)"
            let storage = l.storage?.name ?? "dense"
            let bytes = l.storage.map { "\($0.storedBytes) (\($0.denseBytes))" } ?? "-"
            lines.append("  " + [l.name.padding(16), l.kind.padding(16), shape.padding(12), pct(l.ratio), pct(l.sparsity),
                                 err(l.errorBefore), err(l.errorAfter), storage.padding(8), bytes].joined(separator: " "))
            if let note = l.note { lines.append("      \(note)") }
            if let reason = l.storage?.reason { lines.append("      \(reason)") }
        }
        let total = layers.reduce(0) { $0 + $1.outFeatures * $1.inFeatures }
        if let shortfall {
            lines.append("  warning: \(shortfall)")
        } else {
            lines.append(String(format: "  prunable weights: %.1f %% of %d are zero", 100 * sparsity, total)
                         + (target.map { String(format: ", target %.1f %%", 100 * $0) } ?? ""))
        }
        let ratio = Double(floatFileBytes) / Double(max(finalFileBytes, 1))
        lines.append("  model.bin: \(formatBytes(floatFileBytes)) float32 -> \(formatBytes(finalFileBytes)) pruned int8 (\(String(format: "%.1f", ratio))x smaller)")
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
