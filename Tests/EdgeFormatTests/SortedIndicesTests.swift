import EdgeFormat
import EdgeTestSupport
import XCTest

final class SortedIndicesTests: XCTestCase {
    /// Random keys with many ties: the order must be the standard library's stable sort's.
    func testMatchesStableSortOnRandomKeysWithTies() {
        let seed = UInt64.random(in: 1...UInt64.max)
        var rng = SeededRandom(seed: seed)
        for _ in 0..<200 {
            let count = rng.int(0...70)
            let keys = (0..<count).map { _ in rng.int(0...9) }
            let expected = Array(0..<count).sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
            XCTAssertEqual(sortedIndices(count) { keys[$0] < keys[$1] }, expected, "keys \(keys), seed \(seed)")
        }
    }

    func testDescendingInputAndEmpty() {
        XCTAssertEqual(sortedIndices(5) { (4 - $0) < (4 - $1) }, [4, 3, 2, 1, 0])
        XCTAssertEqual(sortedIndices(0) { $0 < $1 }, [])
        XCTAssertEqual(sortedIndices(3) { _, _ in false }, [0, 1, 2], "all equal keys keep their positions")
    }
}
