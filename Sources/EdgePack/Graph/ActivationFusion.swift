import EdgeFormat

/// Fuses a Clamp (Relu, Relu6, Clip) into the op that produces its input when that op has
/// min/max params (Conv2D, DepthwiseConv2D, FullyConnected, Add, Mul, pools, Clamp) and
/// nothing else reads the unclamped value. The fused value takes the clamp output's name.
public enum ActivationFusion {
    public static func run(_ input: Graph) -> Graph {
        var g = input
        var removed = Set<Int>()
        let producers = g.producers()
        for i in g.nodes.indices {
            guard case .clamp(let clamp) = g.nodes[i].op, let x = g.nodes[i].inputs[0],
                  let p = producers[x], !removed.contains(p),
                  let act = g.nodes[p].op.activation,
                  let fused = g.nodes[p].op.with(activation: act.then(clamp)),
                  !g.isGraphOutput(x),
                  g.nodes.indices.filter({ !removed.contains($0) && g.nodes[$0].inputs.contains(x) }) == [i] else { continue }
            let y = g.nodes[i].outputs[0]
            g.nodes[p].op = fused
            g[x].name = g[y].name
            g[x].sourceRange = g[y].sourceRange ?? g[x].sourceRange
            g.replaceUses(of: y, with: x)
            removed.insert(i)
        }
        g.nodes = g.nodes.indices.filter { !removed.contains($0) }.map { g.nodes[$0] }
        return g
    }
}
