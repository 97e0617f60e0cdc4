import XCTest
@testable import Runs

final class RunIndexTests: XCTestCase {
    func row(_ image: String, _ method: String, _ status: RunRecord.Status, overlay: String? = nil) -> RunRecord {
        RunRecord(image: image, source: "/photos/" + image, method: method, status: status, error: status == .failed ? "bad" : nil,
                  predictedClass: 282, predictedLabel: "tiger cat", predictedScore: 0.5, target: "class 282", targetScore: 9.5,
                  layer: "/features/x", methodSeconds: 0.25, overlayPath: overlay, shard: "0/1", cfcamVersion: "test")
    }

    func testRecordsReplaceAndResumeNeedsTheFiles() throws {
        let s = try Scratch()
        let index = try RunIndex.open(outDir: s.path + "/out")
        try index.record(row("a.jpg", "gradcam", .failed))
        XCTAssertFalse(try index.isDone(image: "a.jpg", method: "gradcam"))
        try index.record(row("a.jpg", "gradcam", .done, overlay: "a.jpg/gradcam.png"))
        XCTAssertFalse(try index.isDone(image: "a.jpg", method: "gradcam"), "the overlay file is missing")
        _ = try s.file("out/a.jpg/gradcam.png")
        XCTAssertTrue(try index.isDone(image: "a.jpg", method: "gradcam"))
        XCTAssertFalse(try index.isDone(image: "a.jpg", method: "cfcam"))
        let all = try index.records()
        XCTAssertEqual(all.count, 1)
        XCTAssertEqual(all[0].predictedLabel, "tiger cat")
        XCTAssertEqual(all[0].targetScore, 9.5)
        XCTAssertEqual(all[0].status, .done)
        // Re-opened, the rows are still there (a resumed run reads them).
        XCTAssertEqual(try RunIndex.open(outDir: s.path + "/out").records().count, 1)
    }

    func testMergeCopiesFilesAndPrefersDoneRows() throws {
        let s = try Scratch()
        let a = try RunIndex.open(outDir: s.path + "/a"), b = try RunIndex.open(outDir: s.path + "/b")
        _ = try s.file("a/x.jpg/gradcam.png", [7])
        try a.record(row("x.jpg", "gradcam", .done, overlay: "x.jpg/gradcam.png"))
        try a.record(row("y.jpg", "gradcam", .failed))
        _ = try s.file("b/y.jpg/gradcam.png", [8])
        try b.record(row("y.jpg", "gradcam", .done, overlay: "y.jpg/gradcam.png"))
        try b.record(row("x.jpg", "gradcam", .failed))
        let summary = try RunIndex.merge(shardDirs: [s.path + "/a", s.path + "/b"], into: s.path + "/all")
        XCTAssertTrue(summary.hasPrefix("2 files"), summary)
        let merged = try RunIndex.open(outDir: s.path + "/all")
        XCTAssertEqual(try merged.records().map { "\($0.image) \($0.status)" }, ["x.jpg done", "y.jpg done"])
        XCTAssertTrue(try merged.isDone(image: "x.jpg", method: "gradcam"))
        XCTAssertTrue(try merged.isDone(image: "y.jpg", method: "gradcam"))
        XCTAssertThrowsError(try RunIndex.merge(shardDirs: [s.path + "/nothing"], into: s.path + "/all")) { e in
            XCTAssertTrue("\(e)".contains("not a cfcam output folder"), "\(e)")
        }
    }

    func testAnUnwritableFolderIsAClearError() throws {
        XCTAssertThrowsError(try RunIndex.open(outDir: "/proc/cfcam-cannot-be-here")) { e in
            XCTAssertTrue("\(e)".contains("/proc/cfcam-cannot-be-here"), "\(e)")
        }
    }

    func testProgressLinesCarryCountRateAndFailures() {
        var lines: [String] = []
        var p = ProgressReporter(total: 3, interactive: false) { lines.append($0) }
        p.step("a.jpg", failed: false)
        p.step("b.jpg", failed: true)
        p.finish()
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("[1/3] a.jpg ok ("), lines[0])
        XCTAssertTrue(lines[1].contains("[2/3] b.jpg FAILED") && lines[1].contains("1 failed"), lines[1])
        XCTAssertEqual(ProgressReporter.rateAndETA(done: 10, total: 70, elapsed: 5), "2.00 img/s, ETA 30s")
        XCTAssertEqual(ProgressReporter.duration(3725), "1h02m")
    }
}
