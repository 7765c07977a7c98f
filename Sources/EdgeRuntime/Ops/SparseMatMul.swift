import CEdgeKernels
import EdgeFormat

/// A prepared int8 FullyConnected or 1x1 Conv2D whose weights are block-sparse (tensor layout
/// 1, validated at load): the BSR arrays point into the mapping, used in place.
struct SparseCall {
    var shape: ek_fc_shape
    var input: UnsafePointer<Int8>
    var weights: ek_qs8_bsr
    var bias: UnsafePointer<Int32>?
    var output: UnsafeMutablePointer<Int8>
    var fcRequant = ek_qs8_fc_params()
    var convRequant = ek_qs8_requant_params()
    var fc: SparseKernels.QS8FC?
    /// Grouped 8x2 weights (block height 8) and their kernel.
    var grouped = ek_qs8_gbsr()
    var groupedFC: SparseKernels.QS8GroupedFC?
    var conv: SparseKernels.QS8Conv1x1?
    /// The pixel-panel conv and its arena scratch (the op's second output), when planned.
    var panel: SparseKernels.QS8Conv1x1Panel?
    var scratch: UnsafeMutableRawPointer?
    var kernelName: StaticString = ""

    func execute() {
        withUnsafePointer(to: shape) { shape in
            withUnsafePointer(to: weights) { weights in
                if let groupedFC {
                    withUnsafePointer(to: grouped) { g in
                        withUnsafePointer(to: fcRequant) { groupedFC(shape, $0, input, g, bias, output) }
                    }
                } else if let fc {
                    withUnsafePointer(to: fcRequant) { fc(shape, $0, input, weights, bias, output) }
                } else if let panel {
                    withUnsafePointer(to: convRequant) { panel(shape, $0, input, weights, bias, output, scratch) }
                } else if let conv {
                    withUnsafePointer(to: convRequant) { conv(shape, $0, input, weights, bias, output) }
                }
            }
        }
    }
}

/// Block-sparse weights of FullyConnected and Conv2D (the ops' own files decide when).
enum SparseMatMul {
    /// The grouped view of a validated layout-1 weight tensor with block height 8.
    static func grouped(_ weights: TensorInfo) -> ek_qs8_gbsr {
        let base = UnsafeRawPointer(weights.data)
        let w = SparseWeights(validatedAt: base)
        return ek_qs8_gbsr(block_h: Int32(w.blockHeight), block_w: Int32(w.blockWidth),
                           group_ptr: (base + w.rowPtrOffset).assumingMemoryBound(to: UInt32.self),
                           block_col: (base + w.blockColOffset).assumingMemoryBound(to: UInt16.self),
                           values: (base + w.valuesOffset).assumingMemoryBound(to: Int8.self))
    }

    /// The block height of a validated layout-1 weight tensor (1, or 8 for grouped blocks).
    static func blockHeight(_ weights: TensorInfo) -> Int {
        SparseWeights(validatedAt: UnsafeRawPointer(weights.data)).blockHeight
    }

    /// The BSR view of a validated layout-1 weight tensor of block height 1.
    static func bsr(_ weights: TensorInfo) -> (ek_qs8_bsr, blockWidth: Int) {
        let base = UnsafeRawPointer(weights.data)
        let w = SparseWeights(validatedAt: base)
        let bsr = ek_qs8_bsr(block_w: Int32(w.blockWidth),
                             row_ptr: (base + w.rowPtrOffset).assumingMemoryBound(to: UInt32.self),
                             block_col: (base + w.blockColOffset).assumingMemoryBound(to: UInt16.self),
                             values: (base + w.valuesOffset).assumingMemoryBound(to: Int8.self))
        return (bsr, w.blockWidth)
    }

    /// FullyConnected with block-sparse weights: int8 only.
    static func fullyConnected(_ c: inout PrepareContext, input: TensorInfo, weights: TensorInfo, bias: TensorInfo?,
                               output: TensorInfo, shape: ek_fc_shape, min: Float, max: Float) throws(EdgeError) -> PreparedOp {
        try requireInt8(c, input: input, output: output, bias: bias)
        let (bsr, blockWidth) = blockHeight(weights) == 1 ? bsr(weights) : (ek_qs8_bsr(), 0)
        var call = SparseCall(shape: shape, input: UnsafePointer(input.i8()), weights: bsr,
                              bias: bias.map { UnsafePointer($0.i32()) }, output: output.i8())
        call.fcRequant = try c.fullyConnectedRequantization(input: input, weights: weights, output: output,
                                                            outFeatures: Int(shape.out_features), min: min, max: max)
        if blockWidth == 0 {
            call.grouped = grouped(weights)
            call.groupedFC = c.kernels.sparse.groupedFC.function
            call.kernelName = c.kernels.sparse.groupedFC.name
            return .sparse(call)
        }
        let entry = c.kernels.sparse.fullyConnected(blockWidth: blockWidth)
        call.fc = entry.function
        call.kernelName = entry.name
        return .sparse(call)
    }

    /// A prepared dense 1x1 Conv2D call turned sparse: stride 1 and no padding, so the conv is
    /// a matrix product over the pixels.
    static func conv1x1(_ c: inout PrepareContext, dense: ConvCall, input: TensorInfo, weights: TensorInfo,
                        bias: TensorInfo?, output: TensorInfo) throws(EdgeError) -> PreparedOp {
        try requireInt8(c, input: input, output: output, bias: bias)
        let s = dense.shape
        if s.kernel_h != 1 || s.kernel_w != 1 || s.stride_h != 1 || s.stride_w != 1 || s.pad_top != 0 || s.pad_left != 0
            || s.out_h != s.in_h || s.out_w != s.in_w {
            throw c.unsupported("block-sparse weights need a 1x1 kernel with stride 1 and no padding, found %x% stride %x%", Int(s.kernel_h), Int(s.kernel_w), Int(s.stride_h), Int(s.stride_w))
        }
        if blockHeight(weights) != 1 {
            throw c.unsupported("grouped 8x2 block-sparse weights run in FullyConnected only; re-pack with a 1x4 or 1x16 pattern for this Conv2D")
        }
        let (bsr, blockWidth) = bsr(weights)
        let shape = ek_fc_shape(batch: s.batch * s.out_h * s.out_w, in_features: s.in_c, out_features: s.out_c)
        var call = SparseCall(shape: shape, input: UnsafePointer(input.i8()), weights: bsr,
                              bias: bias.map { UnsafePointer($0.i32()) }, output: output.i8())
        call.convRequant = dense.requant
        if c.record.outputCount == 2 {
            // The packer planned arena scratch for the pixel-panel kernel (FORMAT.md, Conv2D).
            let scratch = c.output(1)
            let need = SparseKernels.panelScratchBytes(inFeatures: Int(s.in_c), outFeatures: Int(s.out_c),
                                                       valueCount: Int(bsr.row_ptr[Int(s.out_c)]) * blockWidth)
            if scratch.dtype != .int8 || scratch.record.byteSize < need {
                throw c.unsupported("scratch output '\(c.file.string(scratch.record.name))' holds \(scratch.record.byteSize) bytes of \(scratch.dtype.name), the sparse 1x1 kernel needs \(need) int8 bytes")
            }
            let entry = c.kernels.sparse.conv1x1Panel
            call.panel = entry.function
            call.scratch = UnsafeMutableRawPointer(scratch.data)
            call.kernelName = entry.name
            return .sparse(call)
        }
        let entry = c.kernels.sparse.conv1x1(blockWidth: blockWidth)
        call.conv = entry.function
        call.kernelName = entry.name
        return .sparse(call)
    }

    /// Conv2D's output count: 2 when the weights are block-sparse and the packer gave the op
    /// an arena scratch tensor as its second output, else 1.
    static func conv2DOutputs(_ c: PrepareContext) -> Int {
        guard c.record.outputCount == 2, c.record.inputCount >= 2, let w = c.file.input(c.record, 1) else { return 1 }
        return c.file.tensor(w).layout == SparseWeights.layout ? 2 : 1
    }

    private static func requireInt8(_ c: PrepareContext, input: TensorInfo, output: TensorInfo, bias: TensorInfo?) throws(EdgeError) {
        if input.dtype != .int8 || output.dtype != .int8 || (bias.map { $0.dtype != .int32 } ?? false) {
            throw c.unsupported("block-sparse weights run int8 only: input @, output @", text: input.dtype.name, text2: output.dtype.name)
        }
    }
}
