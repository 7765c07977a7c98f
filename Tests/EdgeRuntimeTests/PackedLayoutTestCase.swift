import EdgeFormat
@testable import EdgeRuntime
import XCTest

/// The steps the packed-layout tests share: the first int8 Conv2D golden case packed in the
/// layout under test (`PackedConvCases.pack`), a model prepared with a kernel table, and a
/// preparation that must fail with a message fragment.
class PackedLayoutTestCase: XCTestCase {
    /// The tensor layout under test; subclasses override it.
    var layout: UInt8 { PackedWeights.conv2DLayout }
    /// What the messages call the layout's weights ("conv", "fully connected").
    var weightsName: String { layout == PackedWeights.neonFCLayout ? "fully connected" : "conv" }

    struct NoCase: Error, CustomStringConvertible {
        let layout: UInt8
        var description: String { "no int8 Conv2D among the TFLite goldens packs into layout \(layout)" }
    }

    /// The first int8 Conv2D golden case (1x1 for layout 3) with its weights packed in `layout`.
    func packedCase() throws -> ModelDescription {
        let kind: OpKind = layout == PackedWeights.neonFCLayout ? .fullyConnected : .conv2D
        for c in try GoldenCorpus.cases.get() where TFLiteOpMapping.kind(of: c.op) == kind {
            var d = try TFLiteOpMapping.model(for: c).description
            if PackedConvCases.pack(&d, layout: layout) { return d }
        }
        throw NoCase(layout: layout)
    }

    func prepare(_ d: ModelDescription, kernels: KernelTable = .reference) throws -> Interpreter {
        try Interpreter(model: try EdgeModel(bytes: ModelWriter.serialize(d)), kernels: kernels)
    }

    /// Any int32 [out] tensor as input 2 beside packed weights is rejected: the folded bias
    /// already lives in the weights.
    func assertBiasInputBesidePackedWeightsIsRejected(line: UInt = #line) throws {
        var d = try packedCase()
        let weights = try XCTUnwrap(d.ops[0].inputs[1])
        var bias = ModelDescription.Tensor(name: "bias", dtype: .int32, shape: [d.tensors[weights].shape[0]])
        bias.constantData = [UInt8](repeating: 0, count: 4 * d.tensors[weights].shape[0])
        d.tensors.append(bias)
        d.ops[0].inputs.append(d.tensors.count - 1)
        assertRejected(d, "packed \(weightsName) weights carry the bias; input 2 must be absent", line: line)
    }

    /// The packed weights used as the Conv2D's input 0 are rejected.
    func assertPackedWeightsAsAnotherInputAreRejected(line: UInt = #line) throws {
        var d = try packedCase()
        let weights = try XCTUnwrap(d.ops[0].inputs[1])
        d.ops[0].inputs[0] = weights
        let op = layout == PackedWeights.neonFCLayout ? "FullyConnected" : "Conv2D"
        assertRejected(d, "input 0 has the packed \(weightsName) layout \(layout); only \(op) weights (input 1) may", line: line)
    }

    func assertRejected(_ d: ModelDescription, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try prepare(d), line: line) { error in
            let e = error as! EdgeError
            XCTAssertEqual(e.kind, .unsupported, e.message, line: line)
            XCTAssertTrue(e.message.contains(fragment), "'\(fragment)' not in: \(e.message)", line: line)
        }
    }
}
