import CEdgeKernels
import EdgeFormat

/// Rewrites one-op int8 Conv2D models into the packed weight layout 2 (FORMAT.md, "Packed
/// int8 Conv2D weights") or, for 1x1 windows, layout 3 ("Packed int8 1x1 Conv2D weights"), as
/// edgepack writes them for AVX2 CPUs, or layout 4 ("Packed int8 Conv2D weights for NEON"), as
/// it writes them for NEON boards, or layout 5 ("... for the NEON dot product") for dot-product
/// boards: weights packed by `ek_qs8_pconv2d_pack` / `ek_qs8_pconv2d_c4_pack` /
/// `ek_qs8_pconv2d_o8_pack` / `ek_qs8_pconv2d_o8c4_pack` with the input's zero point, bias
/// folded in, input 2 dropped; or int8 FullyConnected models into layout 6 ("Packed int8
/// FullyConnected weights for NEON", `ek_qs8_pfc_pack`).
enum PackedConvCases {
    /// How many models `pack` rewrote (a test that packs nothing proves nothing).
    nonisolated(unsafe) static var packed = 0

    /// Packs every int8 Conv2D's weights (layout 3: every 1x1 one) in place; false when the
    /// model has none.
    static func pack(_ d: inout ModelDescription, layout: UInt8 = PackedWeights.conv2DLayout) -> Bool {
        let c4 = layout == PackedWeights.conv1x1Layout, fc = layout == PackedWeights.neonFCLayout
        var any = false
        for i in d.ops.indices where d.ops[i].kind == (fc ? .fullyConnected : .conv2D) {
            let op = d.ops[i]
            guard op.inputs.count >= 2, let x = op.inputs[0], let wi = op.inputs[1] else { continue }
            let w = d.tensors[wi]
            guard d.tensors[x].dtype == .int8, w.dtype == .int8, w.layout == 0, w.shape.count == (fc ? 2 : 4),
                  d.tensors[op.outputs[0]].dtype == .int8,
                  let zp = d.tensors[x].quantization.first?.zeroPoint, let bytes = w.constantData,
                  !c4 || (w.shape[1] == 1 && w.shape[2] == 1), !fc || !bytes.contains(0x80) else { continue }
            let outC = w.shape[0], k = w.shape.dropFirst().reduce(1, *)
            var bias: [Int32]? = nil
            if op.inputs.count > 2, let b = op.inputs[2], let data = d.tensors[b].constantData {
                bias = stride(from: 0, to: data.count, by: 4).map {
                    Int32(bitPattern: UInt32(data[$0]) | UInt32(data[$0 + 1]) << 8 | UInt32(data[$0 + 2]) << 16 | UInt32(data[$0 + 3]) << 24)
                }
            }
            let o8 = layout == PackedWeights.neonConvLayout, o8c4 = layout == PackedWeights.dotConvLayout
            let size = c4 ? ek_qs8_pconv2d_c4_packed_bytes(outC, k) : o8 ? ek_qs8_pconv2d_o8_packed_bytes(outC, k)
                : o8c4 ? ek_qs8_pconv2d_o8c4_packed_bytes(outC, k) : fc ? ek_qs8_pfc_packed_bytes(outC, k)
                : ek_qs8_pconv2d_packed_bytes(outC, k)
            var packedBytes = [UInt8](repeating: 0xEE, count: size)
            let packFunction = c4 ? ek_qs8_pconv2d_c4_pack : o8 ? ek_qs8_pconv2d_o8_pack
                : o8c4 ? ek_qs8_pconv2d_o8c4_pack : fc ? ek_qs8_pfc_pack : ek_qs8_pconv2d_pack
            packedBytes.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    let weights = src.bindMemory(to: Int8.self).baseAddress
                    if let bias {
                        bias.withUnsafeBufferPointer { packFunction(outC, k, weights, $0.baseAddress, zp, dst.baseAddress) }
                    } else {
                        packFunction(outC, k, weights, nil, zp, dst.baseAddress)
                    }
                }
            }
            var t = w
            t.constantData = packedBytes
            t.layout = layout
            d.tensors.append(t)
            d.ops[i].inputs = [x, d.tensors.count - 1]
            any = true
        }
        if any { packed += 1 }
        return any
    }
}
