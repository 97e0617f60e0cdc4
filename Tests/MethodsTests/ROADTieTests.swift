import Graph
@testable import Methods
import XCTest

/// ROAD's kept pixels: pytorch-grad-cam's `map < percentile(map, p)` on maps without ties, and the
/// same count on maps with ties (a CAM that is 0 over most of the image must still keep pixels).
final class ROADTieTests: XCTestCase {
    func testWithoutTiesItIsTheThresholdRule() {
        var rng = SeededRandom(seed: 7)
        let v = (0..<997).map { _ in Float(rng.uniform()) }
        XCTAssertEqual(Set(v).count, v.count)
        let order = ROAD.ascending(v)
        for p in [0.0, 10, 25, 33.3, 50, 80, 90, 99.9, 100] {
            let t = ROAD.percentile(v, p)
            XCTAssertEqual(ROAD.kept(v, order: order, percentile: p), v.map { Double($0) < t }, "p = \(p)")
        }
    }

    func testTiesKeepTheSameCountInPixelOrder() {
        // 95% zeros: the threshold rule would keep nothing at p = 90.
        let v = (0..<100).map { $0 < 95 ? Float(0) : Float($0) }
        let keep = ROAD.kept(v, order: ROAD.ascending(v), percentile: 90)
        XCTAssertEqual(keep.filter { $0 }.count, 90)                  // pos = 89.1 -> 90 values below
        XCTAssertEqual(Array(keep.prefix(90)), [Bool](repeating: true, count: 90), "ties broken by pixel index")
        XCTAssertFalse(v.map { Double($0) < ROAD.percentile(v, 90) }.contains(true), "the threshold rule keeps none")
    }
}
