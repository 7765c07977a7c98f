import EdgeFormat

/// Runs a validated model: one arena sized by the plan stored in the file, one prepared op per
/// op record, and no allocation after `init`.
///
/// ```
///   arena (one aligned block, offsets from model.bin's PLAN)
///   +--------+--------+-----------+--------+-----------------+
///   | input  | conv1  | (reused)  | logits | 64 B over-read  |
///   +--------+--------+-----------+--------+-----------------+
///   weights: used in place from the mapping, never copied
/// ```
public final class Interpreter {
    public let model: EdgeModel
    public let kernels: KernelTable
    public let arenaBytes: Int
    private let arena: UnsafeMutableRawPointer
    private var ops: [PreparedOp] = []
    private var allocations: [UnsafeMutableRawPointer] = []

    /// Prepares every op: checks arity, dtypes, shapes and quantization, computes requantization
    /// multipliers and picks kernels. Throws `.unsupported` naming the op on any mismatch.
    public init(model: EdgeModel, kernels: KernelTable = .forThisMachine()) throws(EdgeError) {
        self.model = model
        self.kernels = kernels
        let file = model.file
        arenaBytes = file.arenaBytes
        guard let arena = Memory.allocate(bytes: max(arenaBytes, FormatV1.overReadBytes)) else {
            throw EdgeError(.resource, object: "model arena", problem: "cannot allocate \(arenaBytes) bytes",
                            fix: "the board needs more free RAM, or pack a smaller model")
        }
        self.arena = arena
        ops.reserveCapacity(file.opCount)
        for i in 0..<file.opCount {
            var context = PrepareContext(file: file, opIndex: i, record: file.op(i), arena: arena, kernels: kernels)
            do {
                ops.append(try PreparedOp.prepare(&context))
            } catch {
                allocations.append(contentsOf: context.allocations)
                throw error
            }
            allocations.append(contentsOf: context.allocations)
        }
    }

    deinit {
        for a in allocations { Memory.free(a) }
        Memory.free(arena)
    }

    public var inputCount: Int { model.file.inputCount }
    public var outputCount: Int { model.file.outputCount }
    public func input(_ i: Int) -> TensorView { tensor(model.file.inputTensor(i)) }
    public func output(_ i: Int) -> TensorView { tensor(model.file.outputTensor(i)) }

    /// Any tensor by index (arena tensors are valid only during their lifetime in the plan).
    public func tensor(_ index: Int) -> TensorView {
        let file = model.file
        let record = file.tensor(index)
        let data: UnsafeMutableRawPointer = record.storage == .arena
            ? arena + record.dataOffset
            : UnsafeMutableRawPointer(mutating: file.constantData(record))
        return TensorView(index: index, name: file.string(record.name), dtype: record.dtype, shape: record.shape,
                          quantization: record.quantCount > 0 ? file.quant(record.quantIndex) : nil, data: data)
    }

    /// Runs all ops once on the current input tensors.
    public func invoke() {
        // An index loop, not `for op in ops`: unspecialized iterator code (debug builds) moves
        // each large enum through a heap buffer.
        ops.withUnsafeBufferPointer { ops in
            for i in 0..<ops.count { PreparedOp.execute(ops.baseAddress! + i) }
        }
    }

    /// Runs all ops, calling `observe(opIndex)` after each one; the packer uses this to read
    /// every intermediate tensor while it is alive (calibration, per-layer error).
    public func invoke(observing observe: (Int) -> Void) {
        ops.withUnsafeBufferPointer { ops in
            for i in 0..<ops.count {
                PreparedOp.execute(ops.baseAddress! + i)
                observe(i)
            }
        }
    }

    /// Name of the kernel op `i` runs, for `edgerun info`.
    public func kernelName(_ i: Int) -> StaticString { ops[i].kernelName }
}
