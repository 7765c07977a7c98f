import EdgeFormat
import EdgeTestSupport
import XCTest

/// Grouped 8x2 blocks (layout 1, block height 8): the sample fc.weights [3, 36] form one short
/// group of 8 rows (rows 3 ..< 8 padded with zeros) over 18 input pairs.
extension SparseWeightsTests {
    var groupedEncoding: [UInt8] { SparseWeights.encode(Self.dense, rows: 3, columns: 36, blockHeight: 8, blockWidth: 2) }

    func testGroupedEncodingLayoutAndRoundTrip() throws {
        let e = groupedEncoding
        // Pairs holding a non-zero weight in any row: 0, 1 (row 0: 1..4), 6 (row 2: 12..15),
        // 7, 16, 17 (row 0: 32..35).
        let g = SparseWeights(blockHeight: 8, blockWidth: 2, rows: 3, columns: 36, blockCount: 6)
        XCTAssertEqual(e.count, g.byteSize)
        XCTAssertEqual(g.blockColOffset, 32 + 2 * 4)
        XCTAssertEqual(g.valuesOffset % 16, 0)
        XCTAssertEqual((0..<2).map { e[g.rowPtrOffset + 4 * $0] }, [0, 6])
        XCTAssertEqual((0..<6).map { e[g.blockColOffset + 2 * $0] }, [0, 1, 6, 7, 16, 17])
        // Block 0 (pair 0): row 0 holds 1, 2; rows 1 ..< 8 zero. Block 2 (pair 6): row 2 holds 7, 7.
        let values = Array(e[g.valuesOffset...]).map { Int8(bitPattern: $0) }
        XCTAssertEqual(Array(values[0..<16]), [1, 2] + [Int8](repeating: 0, count: 14))
        XCTAssertEqual(Array(values[32..<48]), [0, 0, 0, 0, 7, 7] + [Int8](repeating: 0, count: 10))
        let file = try load(model(e))
        let decoded = SparseWeights(validatedAt: file.constantData(file.tensor(6)))
        XCTAssertEqual(decoded.blockHeight, 8)
        XCTAssertEqual(decoded.blockWidth, 2)
        XCTAssertEqual(decoded.blockCount, 6)
    }

    func testGroupedValueInAPaddingRowIsRejected() {
        var e = groupedEncoding
        let g = SparseWeights(blockHeight: 8, blockWidth: 2, rows: 3, columns: 36, blockCount: 6)
        e[g.valuesOffset + 16 + 2 * 5 + 1] = 3  // block 1, row 5 (past the 3 rows)
        assertRejected(e, "row 5, past the 3 rows")
    }

    func testGroupedBlockShapeMustBe8x2() {
        var e = groupedEncoding
        put32(&e, 4, 4)
        assertRejected(e, "block shape 8x4")
    }

    func testGroupedBlockColumnOutOfRangeIsRejected() {
        var e = groupedEncoding
        let g = SparseWeights(blockHeight: 8, blockWidth: 2, rows: 3, columns: 36, blockCount: 6)
        put16(&e, g.blockColOffset + 10, 18)  // 36 / 2 = 18 pairs: 18 is one past the end
        assertRejected(e, "column 18")
    }
}
