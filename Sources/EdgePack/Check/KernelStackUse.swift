import EdgeFormat

/// The C stack a model's kernels need on a board: the deepest of its ops' kernels
/// (`KernelStack`), since ops run one after another on one thread.
public struct KernelStackUse: Sendable {
    /// Worst-case bytes of the deepest kernel (0: the model runs no C kernel).
    public var bytes: Int
    /// Index of the op whose kernel needs them, and that kernel.
    public var op: Int?
    public var kernel: String?
    /// Stack bytes of every op's kernel, in op order.
    public var perOp: [Int]

    /// Stack of `kernels` (one per op, as `CostModel.kernels(for:isa:)` names them) on a CPU with
    /// `isa`. Kernels written in Swift (names without the `ek_` prefix) use no C stack. The
    /// block-sparse ops, which the cost model names by their `__ref` twin, count the deepest of
    /// their family at the level `auto` picks for `isa` (the block width chooses among them at
    /// prepare time).
    public init(kernels: [String], isa: [String]) {
        let arm = !isa.contains("avx2")
        let table = arm ? KernelStack.aarch64 : KernelStack.x86_64
        let sparseLevel = arm ? (isa.contains("dotprod") ? "neondot" : isa.contains("neon") ? "neon" : "ref")
                              : "avx2"
        let chosen: [(name: String, bytes: Int)] = kernels.map { name in
            guard name.hasPrefix("ek_") else { return (name, 0) }
            if let family = KernelStackUse.sparseFamily(name),
               let deepest = table.filter({ $0.key.hasPrefix(family) && $0.key.hasSuffix("__" + sparseLevel) })
                   .max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
                return (deepest.key, deepest.value)
            }
            return (name, table[name] ?? 0)
        }
        let perOp = chosen.map(\.bytes)
        let deepest = perOp.indices.max { perOp[$0] < perOp[$1] }
        self.perOp = perOp
        bytes = deepest.map { perOp[$0] } ?? 0
        op = bytes > 0 ? deepest : nil
        kernel = op.map { chosen[$0].name }
    }

    /// `ek_qs8_spfc_` of `ek_qs8_spfc_minmax_1x1__ref`; nil for kernels that are not block-sparse.
    static func sparseFamily(_ name: String) -> String? {
        for family in ["ek_qs8_spfc_", "ek_qs8_spconv1x1_"] where name.hasPrefix(family) { return family }
        return nil
    }
}
