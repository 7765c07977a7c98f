import EdgeFormat
import Foundation

/// Weight-only ("dynamic-range") int8 quantization of a runtime-ready float graph
/// (`edgepack pack --dynamic`): Conv2D (dilation 1) and FullyConnected weights become
/// per-output-channel symmetric int8 (scale max|w| / 127, zero point 0); activations and
/// biases stay float32. The runtime runs such layers with the dynamic-range kernels
/// (ek_hybrid.h), which quantize each input per batch at run time. DepthwiseConv2D and dilated
/// convolutions keep float weights: the hybrid kernels do not cover them. Layers whose weights
/// are int8 already (a TFLite dynamic-range model) are kept as they are.
public enum DynamicQuantizer {
    /// One converted layer: its weights' SQNR and cosine (int8 dequantized against float).
    public struct Layer {
        public var name: String
        public var op: String
        public var weightSQNR: Double
        public var weightCosine: Double
    }

    /// Values keep their IDs, so the float graph's values are their own counterparts.
    public static func quantize(_ float: Graph, keepFloat: Set<String> = []) -> (graph: Graph, layers: [Layer]) {
        var q = float
        var layers: [Layer] = []
        for (i, node) in float.nodes.enumerated() where !keepFloat.contains(node.name) {
            switch node.op {
            case .conv2D(let a) where a.dilationH == 1 && a.dilationW == 1: break
            case .fullyConnected: break
            default: continue
            }
            guard let wID = node.input(1), let w = float.floats(wID), float[wID].isConstant,
                  let x = node.inputs[0], float[x].dtype == .float32 else { continue }
            let shape = float[wID].shape
            let (data, wq) = QuantizationRules.weights(w, shape: shape, axis: 0)
            let newW = q.addConstant(float[wID].name, shape: shape, data: .int8(data))
            q[newW].quantization = wq
            q.nodes[i].inputs[1] = newW
            layers.append(weightError(node, w, data, wq.scales, inner: w.count / shape[0]))
        }
        q.removeDeadNodes()
        return (q, layers)
    }

    static func weightError(_ node: Node, _ w: [Float], _ data: [Int8], _ scales: [Float], inner: Int) -> Layer {
        var signal = 0.0, noise = 0.0, dot = 0.0, power = 0.0
        for i in w.indices {
            let f = Double(w[i]), d = Double(data[i]) * Double(scales[i / inner])
            signal += f * f
            noise += (f - d) * (f - d)
            dot += f * d
            power += d * d
        }
        let sqnr = noise == 0 ? Double.infinity : 10 * log10(max(signal, 1e-30) / noise)
        let norms = (signal * power).squareRoot()
        return Layer(name: node.name, op: node.op.name, weightSQNR: sqnr, weightCosine: norms == 0 ? 1 : dot / norms)
    }
}
