import EdgeFormat

/// One-op int8 models over every non-dense weight layout, for the damaged-file tests: block-sparse
/// FullyConnected with 1x4, 1x16 and grouped 8x2 blocks (10 rows: a short last group), a
/// block-sparse 1x1 Conv2D with pixel-panel scratch, and packed Conv2D weights in layouts 2
/// and 3 (a 1x1 conv whose K = 32 gives both layouts the same byte size).
extension FuzzSeeds {
    public static var sparseAndPacked: [Seed] {
        [sparseFC(blockHeight: 1, blockWidth: 4), sparseFC(blockHeight: 1, blockWidth: 16), sparseFC(blockHeight: 8, blockWidth: 2),
         sparseConv1x1, packedConv, packedConv1x1]
    }

    static func q(_ scale: Float, _ zp: Int32) -> [QuantParams] { [QuantParams(scale: scale, zeroPoint: zp)] }

    /// `[rows, columns]` int8 weights with about half of the blocks of `blockHeight` x 2 zero.
    static func prunedWeights(rows: Int, columns: Int, blockHeight: Int) -> [Int8] {
        (0..<(rows * columns)).map { i in
            let r = i / columns, c = i % columns
            return (r / blockHeight + c / 2) % 2 == 0 ? Int8(truncatingIfNeeded: (i * 37) % 255 - 127) : 0
        }
    }

    static func int32Bias(_ count: Int) -> [UInt8] { int32s((0..<count).map { Int32($0 * 97 - 300) }) }

    public static func sparseFC(blockHeight: Int, blockWidth: Int) -> Seed {
        typealias T = ModelDescription.Tensor
        let rows = 10, columns = 32
        var w = T(name: "w", dtype: .int8, shape: [rows, columns],
                  constantData: SparseWeights.encode(prunedWeights(rows: rows, columns: columns, blockHeight: blockHeight), rows: rows,
                                                     columns: columns, blockHeight: blockHeight, blockWidth: blockWidth),
                  quantization: q(0.02, 0))
        w.layout = SparseWeights.layout
        let m = oneOp("spfc", [T(name: "x", dtype: .int8, shape: [1, columns], quantization: q(0.05, 3)), w,
                               T(name: "b", dtype: .int32, shape: [rows], constantData: int32Bias(rows)),
                               T(name: "y", dtype: .int8, shape: [1, rows], quantization: q(0.1, -2))],
                      .fullyConnected, inputs: [0, 1, 2], outputs: [3], params: SampleModel.params([], [-.infinity, .infinity]))
        return Seed(name: "sparse-fc-\(blockHeight)x\(blockWidth)", model: m, input: ramp(columns, 1), tensorRecords: [1])
    }

    /// 1x1 Conv2D, 32 -> 16 channels over 4x4 pixels, 1x4 blocks, with a scratch output (the
    /// pixel-panel kernel; 16 KB is more than it needs).
    public static var sparseConv1x1: Seed {
        typealias T = ModelDescription.Tensor
        let out = 16, k = 32
        var w = T(name: "w", dtype: .int8, shape: [out, 1, 1, k],
                  constantData: SparseWeights.encode(prunedWeights(rows: out, columns: k, blockHeight: 1), rows: out, columns: k, blockWidth: 4),
                  quantization: q(0.02, 0))
        w.layout = SparseWeights.layout
        let m = oneOp("spconv", [T(name: "x", dtype: .int8, shape: [1, 4, 4, k], quantization: q(0.05, 3)), w,
                                 T(name: "b", dtype: .int32, shape: [out], constantData: int32Bias(out)),
                                 T(name: "y", dtype: .int8, shape: [1, 4, 4, out], quantization: q(0.1, -2)),
                                 T(name: "spconv/scratch", dtype: .int8, shape: [16384])],
                      .conv2D, inputs: [0, 1, 2], outputs: [3, 4],
                      params: SampleModel.params([1, 1, 1, 1, 0, 0, 0, 0], [-.infinity, .infinity]))
        return Seed(name: "sparse-conv1x1", model: m, input: ramp(16 * k, 1), tensorRecords: [1])
    }

    /// int8 1x1 Conv2D over layout-3 weights: |w| <= 127 with sign bytes 0 or 0xFF, any folded bias.
    public static var packedConv1x1: Seed {
        typealias T = ModelDescription.Tensor
        let out = 16, k = 32, end = PackedWeights.c4BiasOffset(outChannels: out, k: k)
        var w = T(name: "w", dtype: .int8, shape: [out, 1, 1, k],
                  constantData: (0..<PackedWeights.c4ByteSize(outChannels: out, k: k)).map { i in
                      i >= end ? UInt8(truncatingIfNeeded: i * 13) : i % 128 < 64 ? UInt8(1 + (i * 7) % 120) : (i % 3 == 0 ? 0xFF : 0)
                  },
                  quantization: q(0.02, 0))
        w.layout = PackedWeights.conv1x1Layout
        let m = oneOp("pconv1x1", [T(name: "x", dtype: .int8, shape: [1, 4, 4, k], quantization: q(0.05, 3)), w,
                                   T(name: "y", dtype: .int8, shape: [1, 4, 4, out], quantization: q(0.1, -2))],
                      .conv2D, inputs: [0, 1, nil], outputs: [2], params: SampleModel.params([1, 1, 1, 1, 0, 0, 0, 0], [-.infinity, .infinity]))
        return Seed(name: "packed-conv1x1", model: m, input: ramp(16 * k, 1), tensorRecords: [1])
    }
}
