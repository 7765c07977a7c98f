import EdgeFormat
import EdgeTestSupport
import XCTest

/// Block-sparse int8 weights (tensor layout 1): encoding, and rejection of every kind of
/// corrupt index at load, with the tensor and the bad value named.
final class SparseWeightsTests: XCTestCase {
    /// fc.weights [3, 36] of the sample model as int8: row 0 keeps blocks 0 and 8, row 1 none,
    /// row 2 block 3 (1x4 blocks).
    static let dense: [Int8] = {
        var w = [Int8](repeating: 0, count: 3 * 36)
        for i in 0..<4 { w[i] = Int8(i + 1); w[32 + i] = Int8(-i - 1); w[2 * 36 + 12 + i] = 7 }
        return w
    }()

    /// The sample model with its fc weights replaced by `encoding` (layout 1).
    func model(_ encoding: [UInt8], dtype: DType = .int8) -> [UInt8] {
        var d = SampleModel.description()
        d.tensors[6] = ModelDescription.Tensor(name: "fc.weights", dtype: dtype, shape: [3, 36], constantData: encoding)
        d.tensors[6].layout = SparseWeights.layout
        return ModelWriter.serialize(d)
    }

    func load(_ bytes: [UInt8]) throws -> ModelFile {
        try bytes.withUnsafeBytes { raw in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: raw.count, alignment: 64)
            buffer.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            return try ModelFile(validating: UnsafeRawBufferPointer(start: buffer, count: raw.count))
        }
    }

    func assertRejected(_ encoding: [UInt8], dtype: DType = .int8, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try load(model(encoding, dtype: dtype)), line: line) { error in
            let e = error as! EdgeError
            XCTAssertTrue(e.message.contains("fc.weights"), "names the tensor: \(e.message)", line: line)
            XCTAssertTrue(e.message.contains(fragment), "'\(fragment)' not in: \(e.message)", line: line)
        }
    }

    var encoding: [UInt8] { SparseWeights.encode(Self.dense, rows: 3, columns: 36, blockWidth: 4) }
    let w = SparseWeights(blockWidth: 4, rows: 3, columns: 36, blockCount: 3)

    func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) { b[at] = UInt8(v & 0xFF); b[at + 1] = UInt8(v >> 8) }
    func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }

    func testEncodingLayoutAndRoundTrip() throws {
        let e = encoding
        XCTAssertEqual(e.count, w.byteSize)
        XCTAssertEqual(w.valuesOffset % 16, 0)
        XCTAssertEqual((0..<4).map { e[w.rowPtrOffset + 4 * $0] }, [0, 2, 2, 3])
        XCTAssertEqual((0..<3).map { e[w.blockColOffset + 2 * $0] }, [0, 8, 3])
        XCTAssertEqual(Array(e[w.valuesOffset...]).map { Int8(bitPattern: $0) }, [1, 2, 3, 4, -1, -2, -3, -4, 7, 7, 7, 7])
        let file = try load(model(e))
        let record = file.tensor(6)
        XCTAssertEqual(record.layout, SparseWeights.layout)
        XCTAssertEqual(record.byteSize, w.byteSize)
        let decoded = SparseWeights(validatedAt: file.constantData(record))
        XCTAssertEqual(decoded.blockCount, 3)
        XCTAssertEqual(decoded.blockWidth, 4)
    }

    func testBlockColumnOutOfRangeIsRejected() {
        var e = encoding
        put16(&e, w.blockColOffset + 2, 9)  // 36 / 4 = 9 block columns: 9 is one past the end
        assertRejected(e, "column 9")
    }

    func testRepeatedBlockColumnIsRejected() {
        var e = encoding
        put16(&e, w.blockColOffset + 2, 0)
        assertRejected(e, "columns must increase")
    }

    func testRowPointerGoingBackwardsIsRejected() {
        var e = encoding
        put32(&e, w.rowPtrOffset + 8, 1)  // row 1 would start at block 1, before row 0 ends
        assertRejected(e, "row pointer 1")
    }

    func testBlockCountBeyondTheBytesIsRejected() {
        var e = encoding
        put32(&e, 16, 4)
        assertRejected(e, "byte size")
    }

    func testUnknownBlockShapeIsRejected() {
        var e = encoding
        put32(&e, 4, 8)
        assertRejected(e, "block shape 1x8")
    }

    func testHeaderShapeMismatchIsRejected() {
        var e = encoding
        put32(&e, 8, 4)
        assertRejected(e, "4 rows")
    }

    func testSparseLayoutOnFloatTensorIsRejected() {
        assertRejected(encoding, dtype: .float32, "constant int8")
    }
}
