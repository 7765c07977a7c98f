import EdgeFormat

extension Packer {
    /// `--dynamic`: the float model with int8 weights on its Conv2D and FullyConnected layers
    /// (`DynamicQuantizer`), compared with the float model on the calibration inputs when
    /// there are some, else layer by layer on the weights.
    static func packDynamic(_ float: PackedModel, name: String, labels: [String], keyValues: [(String, String)],
                            options: DynamicOptions) throws(EdgeError) -> PackResult {
        let known = Set(float.graph.nodes.map(\.name))
        for n in options.keepFloat.sorted() where !known.contains(n) {
            throw EdgeError(.usage, object: "--keep-float \(n)", problem: "names no layer of the model",
                            fix: "use a layer name from the report (\(float.graph.nodes.prefix(6).map(\.name).joined(separator: ", "))...)")
        }
        let (graph, converted) = DynamicQuantizer.quantize(float.graph, keepFloat: options.keepFloat)
        if converted.isEmpty {
            throw EdgeError(.usage, object: "--dynamic", problem: "found no Conv2D or FullyConnected layer with float32 weights to quantize",
                            fix: "pack the model without --dynamic (it has no weights dynamic-range int8 applies to)")
        }
        var kv = keyValues + [("precision", "dynamic-range int8"),
                              ("quantization", "weight-only: per-channel symmetric int8 weights, float32 activations")]
        if !options.keepFloat.isEmpty { kv.append(("float layers", options.keepFloat.sorted().joined(separator: ", "))) }
        let int8 = try build(graph, name: name, labels: labels, keyValues: kv)
        let hybrid = Set(converted.map(\.name))
        var report: QuantizationReport
        if options.calibration.isEmpty {
            report = try QuantizationReport.evaluate(float: float, int8: int8, counterpart: [:], samples: [])
            report.layers = converted.map {
                QuantizationReport.Layer(name: $0.name, op: $0.op, sqnr: $0.weightSQNR, cosine: $0.weightCosine, isFloat: false)
            }
        } else {
            let samples = try CalibrationSet.samples(options.calibration, for: float.graph)
            var identity: [ValueID: ValueID] = [:]
            for v in graph.valueIDs { identity[v] = v }
            report = try QuantizationReport.evaluate(float: float, int8: int8, counterpart: identity, samples: samples)
            for i in report.layers.indices { report.layers[i].isFloat = !hybrid.contains(report.layers[i].name) }
        }
        report.dynamicRange = true
        report.floatLayers = options.keepFloat.sorted()
        return PackResult(float: float, quantized: int8, report: report)
    }
}
