import Graph
import XCTest

/// `OpMemo` keeps one value per key (the input shapes) and type: a hit returns the stored value
/// without calling `make`; another key, or another type asked under the same key, makes anew; a
/// `make` that throws stores nothing.
final class OpMemoTests: XCTestCase {
    struct Failure: Error {}

    func testKeepsTheLastValuePerKeyAndType() throws {
        let memo = OpMemo()
        var made = 0
        func geometry(_ key: [[Int]], _ value: Int) -> Int { memo.value(for: key) { made += 1; return value } }
        XCTAssertEqual(geometry([[1, 3, 8, 8], [4, 3, 3, 3], [4]], 10), 10)
        XCTAssertEqual(geometry([[1, 3, 8, 8], [4, 3, 3, 3], [4]], 11), 10, "a hit keeps the stored value")
        XCTAssertEqual(made, 1)
        XCTAssertEqual(geometry([[2, 3, 8, 8], [4, 3, 3, 3], [4]], 12), 12, "another batch is another key")
        XCTAssertEqual(geometry([[2, 3, 8, 8], [4, 3, 3, 3], [-1]], 13), 13, "no bias is another key")
        XCTAssertEqual(geometry([[2, 3, 8], [8, 4, 3, 3, 3], [-1]], 14), 14, "the same numbers split differently")
        XCTAssertEqual(made, 4)
        // Another type under the current key is made, not cast from the stored Int.
        let text: String = memo.value(for: [[2, 3, 8], [8, 4, 3, 3, 3], [-1]]) { "geometry" }
        XCTAssertEqual(text, "geometry")
        XCTAssertEqual(geometry([[2, 3, 8], [8, 4, 3, 3, 3], [-1]], 15), 15, "the String replaced the Int")
        XCTAssertEqual(made, 5)
        // A failing make leaves the last value in place.
        XCTAssertThrowsError(try memo.value(for: [[9]]) { () throws -> Int in throw Failure() })
        XCTAssertEqual(geometry([[2, 3, 8], [8, 4, 3, 3, 3], [-1]], 16), 15)
        XCTAssertEqual(made, 5)
    }
}
