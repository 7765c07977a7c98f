import EdgeFormat
@testable import EdgeRuntime
import XCTest

/// The steps the packed-layout tests share: the first int8 Conv2D golden case packed in the
/// layout under test (`PackedConvCases.pack`), a model prepared with a kernel table, and a
/// preparation that must fail with a message fragment.
class PackedLayoutTestCase: XCTestCase {
    /// The tensor layout under test; subclasses override it.
    var layout: UInt8 { PackedWeights.conv2DLayout }

    struct NoCase: Error, CustomStringConvertible {
        let layout: UInt8
        var description: String { "no int8 Conv2D among the TFLite goldens packs into layout \(layout)" }
    }

    /// The first int8 Conv2D golden case (1x1 for layout 3) with its weights packed in `layout`.
    func packedCase() throws -> ModelDescription {
        for c in try GoldenCorpus.cases.get() where TFLiteOpMapping.kind(of: c.op) == .conv2D {
            var d = try TFLiteOpMapping.model(for: c).description
            if PackedConvCases.pack(&d, layout: layout) { return d }
        }
        throw NoCase(layout: layout)
    }

    func prepare(_ d: ModelDescription, kernels: KernelTable = .reference) throws -> Interpreter {
        try Interpreter(model: try EdgeModel(bytes: ModelWriter.serialize(d)), kernels: kernels)
    }

    func assertRejected(_ d: ModelDescription, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try prepare(d), line: line) { error in
            let e = error as! EdgeError
            XCTAssertEqual(e.kind, .unsupported, e.message, line: line)
            XCTAssertTrue(e.message.contains(fragment), "'\(fragment)' not in: \(e.message)", line: line)
        }
    }
}
