import Runs
import XCTest

/// The redrawn progress line of a folder run on a terminal: bar, count, rate and ETA, failures,
/// and the input last finished with its outcome.
final class ProgressBarTests: XCTestCase {
    func testTheTerminalLineIsRedrawnWithRateETAAndOutcome() {
        var lines: [String] = []
        var p = ProgressReporter(total: 4, interactive: true) { lines.append($0) }
        p.step("a.jpg", failed: false)
        p.step("b.jpg", failed: true)
        p.finish()
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("\r[######..................] 1/4 "), lines[0])
        XCTAssertTrue(lines[0].contains(" img/s, ETA ") && lines[0].hasSuffix("; a.jpg ok\u{1B}[K"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("\r[############............] 2/4 "), lines[1])
        XCTAssertTrue(lines[1].hasSuffix(", 1 failed; b.jpg FAILED\u{1B}[K"), lines[1])
        XCTAssertEqual(lines[2], "\n")
    }
}
