import CEdgeKernels
import CEdgePlatform
import EdgeFormat

/// What an op's `prepare` sees: its record, parameters, tensors, and where to keep derived
/// constants (per-channel multipliers). Every check an op needs happens here, once.
struct PrepareContext {
    let file: ModelFile
    let opIndex: Int
    let record: OpRecord
    let arena: UnsafeMutableRawPointer
    let kernels: KernelTable
    /// Buffers allocated for this model's prepared constants, freed with the interpreter.
    var allocations: [UnsafeMutableRawPointer] = []

    var params: ParamsReader { file.params(record) }

    /// "op 3 'conv1' (Conv2D)".
    var object: String {
        let name = file.string(record.name)
        return name.isEmpty ? "op \(opIndex) (\(record.kind.name))" : "op \(opIndex) '\(name)' (\(record.kind.name))"
    }

    func tensor(_ index: Int) -> TensorInfo {
        let record = file.tensor(index)
        let base: UnsafeMutableRawPointer = record.storage == .arena
            ? arena + record.dataOffset
            : UnsafeMutableRawPointer(mutating: file.constantData(record))
        var quant: [QuantParams] = []
        for i in 0..<record.quantCount { quant.append(file.quant(record.quantIndex + i)) }
        return TensorInfo(index: index, record: record, data: base, quant: quant)
    }

    /// Required input `i`.
    func input(_ i: Int) throws(EdgeError) -> TensorInfo {
        guard i < record.inputCount, let t = file.input(record, i) else {
            throw unsupported("input % is missing", i)
        }
        return tensor(t)
    }

    /// Optional input `i` (absent or beyond the input count gives nil).
    func optionalInput(_ i: Int) -> TensorInfo? {
        guard i < record.inputCount, let t = file.input(record, i) else { return nil }
        return tensor(t)
    }

    func output(_ i: Int) -> TensorInfo { tensor(file.output(record, i)) }

    func unsupported(_ problem: String) -> EdgeError {
        EdgeError(.unsupported, object: "model.bin " + object, problem: problem,
                  fix: "re-pack the model with edgepack; if it persists, report the model")
    }

    /// `unsupported` from a template (`EdgeFormat/ErrorTemplate.swift`): `%` takes the next
    /// integer in decimal, the first `@` `text`, the second `text2`; the text is built only here,
    /// when the error is thrown, so a check site is one call.
    @inline(never)
    func unsupported(_ template: StaticString, _ a: Int = 0, _ b: Int = 0, _ c: Int = 0, _ d: Int = 0,
                     text: String = "", text2: String = "") -> EdgeError {
        unsupported(EdgeError.filled(template, a, b, c, d, text: text, text2: text2))
    }

    func expectArity(inputs: ClosedRange<Int>, outputs: Int) throws(EdgeError) {
        if !inputs.contains(record.inputCount) || record.outputCount != outputs {
            throw unsupported("has \(record.inputCount) inputs and \(record.outputCount) outputs, expected \(inputs.lowerBound)...\(inputs.upperBound) and \(outputs)")
        }
    }

    /// Allocates prepared constants that live as long as the interpreter.
    mutating func allocate<T>(_ type: T.Type, count: Int) throws(EdgeError) -> UnsafeMutablePointer<T> {
        guard let raw = Memory.allocate(bytes: max(count, 1) * MemoryLayout<T>.stride) else {
            throw EdgeError(.resource, object: object, problem: "cannot allocate prepared constants", fix: "free memory")
        }
        allocations.append(raw)
        return raw.bindMemory(to: type, capacity: count)
    }
}

/// A tensor as an op's prepare sees it.
struct TensorInfo {
    let index: Int
    let record: TensorRecord
    let data: UnsafeMutableRawPointer
    let quant: [QuantParams]

    var dtype: DType { record.dtype }
    var shape: Shape { record.shape }
    var rank: Int { record.shape.rank }
    // Out of line (prepare only): each inlined use carried the Int32 conversion's trap.
    @inline(never) func dim(_ i: Int) -> Int32 { Int32(record.shape[i]) }
    var isQuantized: Bool { !quant.isEmpty }
    /// The per-tensor parameters (the first channel's for per-channel tensors).
    var scale: Float { @inline(never) get { quant.first?.scale ?? 1 } }
    var zeroPoint: Int32 { @inline(never) get { quant.first?.zeroPoint ?? 0 } }

    func f32() -> UnsafeMutablePointer<Float> { data.assumingMemoryBound(to: Float.self) }
    func i8() -> UnsafeMutablePointer<Int8> { data.assumingMemoryBound(to: Int8.self) }
    func i32() -> UnsafeMutablePointer<Int32> { data.assumingMemoryBound(to: Int32.self) }
}

/// Aligned allocations through the platform seam (never traps on failure).
enum Memory {
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer? { ep_alloc_aligned(bytes) }
    static func free(_ pointer: UnsafeMutableRawPointer) { ep_free(pointer) }
}

extension PrepareContext {
    /// Packed weights (layouts 2 to 6) need an int8 op (`int8`) and no bias input: the folded
    /// bias lives in the weights.
    func requirePackedWeights(int8: Bool, bias: TensorInfo?, layout: UInt8, text: String) throws(EdgeError) {
        if !int8 { throw unsupported("packed @ weights (layout %) need int8 input and output", Int(layout), text: text) }
        if bias != nil { throw unsupported("packed @ weights carry the bias; input 2 must be absent", text: text) }
    }

    /// Block-sparse tensors (layout 1) may only be the weights (input 1) of FullyConnected and
    /// Conv2D; every other op reads tensors as dense, so it must never see one.
    func checkSparseOperands() throws(EdgeError) {
        for i in 0..<record.inputCount {
            guard let t = file.input(record, i), file.tensor(t).layout != 0 else { continue }
            let layout = file.tensor(t).layout
            if layout != SparseWeights.layout {
                // Packed layouts (2 to 5 Conv2D, 6 FullyConnected) belong to their op's weights.
                let fc = layout == PackedWeights.neonFCLayout
                if i != 1 || record.kind != (fc ? .fullyConnected : .conv2D) {
                    throw unsupported("input % has the packed @ layout %; only @ weights (input 1) may", i, Int(layout),
                                      text: fc ? "fully connected" : "conv", text2: fc ? "FullyConnected" : "Conv2D")
                }
                continue
            }
            if i != 1 || (record.kind != .fullyConnected && record.kind != .conv2D) {
                throw unsupported("input % has block-sparse layout; only FullyConnected and Conv2D weights (input 1) may", i)
            }
        }
    }
}
