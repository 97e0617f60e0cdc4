@testable import Methods
import XCTest

/// Score-CAM's forward plan: constant channels (all-zero masks) share one zero-image forward in the
/// pytorch-grad-cam variant and are skipped in the official one; every other channel keeps its own.
/// The maps themselves are checked against pytorch-grad-cam in the reference tests.
final class ScoreCAMPlanTests: XCTestCase {
    func testConstantChannelsShareOneForward() throws {
        // 2 images x 4 channels of 2x2: image 0 has channels 1 (zeros) and 3 (all 5) constant.
        let v: [Float] = [1, 2, 3, 4, 0, 0, 0, 0, 0, 1, 0, 0, 5, 5, 5, 5,
                          1, 1, 1, 2, 3, 0, 0, 0, 9, 8, 7, 6, 0, 0, 0, -1]
        let a = try FeatureMap(n: 2, k: 4, h: 2, w: 2, values: v)
        let p0 = ScoreCAM.plan(a, image: 0, official: false)
        XCTAssertEqual(p0.items, [0, 2, nil])
        XCTAssertEqual(p0.constant, [1, 3])
        let p0o = ScoreCAM.plan(a, image: 0, official: true)
        XCTAssertEqual(p0o.items, [0, 2])
        let p1 = ScoreCAM.plan(a, image: 1, official: false)
        XCTAssertEqual(p1.items, [0, 1, 2, 3])
        XCTAssertEqual(p1.constant, [])
    }
}
