import EdgeFormat

/// 3-D pooling ([N, C, D, H, W]) as two 2-D pools: a pool over (H, W) of [N, C*D, H, W], then a
/// pool over D of [N, C, D, H'*W'] with a (kD, 1) window. Both pools reduce over boxes, so the
/// split is exact: a max of maxes is the max, and an average of averages is the average because
/// every window's tap count (inside the input, or inside the padded input with
/// count_include_pad = 1) is the product of its per-axis counts.
extension ONNXContext {
    mutating func pool3D(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ x: ValueID, _ i: Int) throws(EdgeError) -> ValueID {
        let s = shape(x)
        let (hw, d) = try split3D(node)
        let out = node.output[0]
        let planes = try emit(.reshape(shape: [s[0], s[1] * s[2], s[3], s[4]]), [x], node, index: i, output: "\(out)/planes")
        let pooledHW = try pool2D(node, hw, planes, i, output: "\(out)/pooled_hw")
        let (h2, w2) = (shape(pooledHW)[2], shape(pooledHW)[3])
        let columns = try emit(.reshape(shape: [s[0], s[1], s[2], h2 * w2]), [pooledHW], node, index: i, output: "\(out)/columns")
        let pooledD = try pool2D(node, d, columns, i, output: "\(out)/pooled_d")
        attributes.adoptReads(of: hw)
        attributes.adoptReads(of: d)
        try hw.checkAllRead(opType: node.opType)
        try d.checkAllRead(opType: node.opType)
        return try emit(.reshape(shape: [s[0], s[1], shape(pooledD)[2], h2, w2]), [pooledD], node, index: i)
    }

    /// The node's attributes for the (H, W) pool and for the (D, 1) pool.
    private func split3D(_ node: Onnx_NodeProto) throws(EdgeError) -> (ONNXAttributes, ONNXAttributes) {
        var hw = node, d = node
        for k in node.attribute.indices {
            let v = node.attribute[k].ints
            switch node.attribute[k].name {
            case "kernel_shape", "strides", "dilations":
                guard v.count == 3 else { throw unsupported(node, "attribute \(node.attribute[k].name) = \(v), expected 3 values for 3-D pooling") }
                hw.attribute[k].ints = [v[1], v[2]]
                d.attribute[k].ints = [v[0], 1]
            case "pads":
                guard v.count == 6 else { throw unsupported(node, "attribute pads = \(v), expected 6 values for 3-D pooling") }
                hw.attribute[k].ints = [v[1], v[2], v[4], v[5]]
                d.attribute[k].ints = [v[0], 0, v[3], 0]
            default: break
            }
        }
        return (ONNXAttributes(hw, object: nodeObject(node)), ONNXAttributes(d, object: nodeObject(node)))
    }
}
