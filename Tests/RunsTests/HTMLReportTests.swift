import Foundation
import XCTest
@testable import Runs

final class HTMLReportTests: XCTestCase {
    func makeRun(_ s: Scratch) throws -> String {
        let out = s.path + "/out"
        let index = try RunIndex.open(outDir: out)
        for (img, m) in [("a.jpg", "gradcam"), ("a.jpg", "cfcam"), ("b<1>.jpg", "gradcam")] {
            _ = try s.file("out/\(img)/\(m).png", tinyPNG)
            try index.record(RunRecord(image: img, source: img, method: m, status: .done, predictedClass: 1, predictedLabel: "gold & fish",
                                       predictedScore: 0.9, target: "class 1", targetScore: 3, overlayPath: "\(img)/\(m).png", cfcamVersion: "t"))
        }
        try index.record(RunRecord(image: "b<1>.jpg", source: "b", method: "cfcam", status: .failed, error: "b<1>.jpg: truncated JPEG", cfcamVersion: "t"))
        return out
    }

    func testThePageEmbedsEveryOverlayAndListsFailuresEscaped() throws {
        let s = try Scratch()
        let out = try makeRun(s)
        let summary = try HTMLReport.write(outDir: out, html: out + "/report.html")
        XCTAssertEqual(summary, HTMLReport.Summary(inputs: 2, methods: 2, images: 3, failures: 1))
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssertEqual(page.components(separatedBy: "<img ").count - 1, 3)
        XCTAssertEqual(page.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 3)
        XCTAssertTrue(page.contains("b&lt;1&gt;.jpg: truncated JPEG"))
        XCTAssertTrue(page.contains("gold &amp; fish"))
        XCTAssertFalse(page.contains("src=\"/"), "no file references: the page is self-contained")
        XCTAssertThrowsError(try HTMLReport.write(outDir: s.path, html: s.path + "/r.html")) { e in
            XCTAssertTrue("\(e)".contains("not a cfcam output folder"), "\(e)")
        }
    }

    /// Opens the report in headless Chromium (Debian `chromium`, installed by
    /// `scripts/setup.sh --python`): every embedded image decodes, and a screenshot is taken.
    func testTheReportRendersInHeadlessChromium() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            let msg = "headless Chromium is not installed: run `bash scripts/setup.sh --python` (apt package chromium)"
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail(msg); return }
            throw XCTSkip(msg)
        }
        let s = try Scratch()
        let out = try makeRun(s)
        _ = try HTMLReport.write(outDir: out, html: out + "/report.html")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(s.path)/profile",
                      "--virtual-time-budget=5000"]
        let dom = try runProcess(chromium, common + ["--dump-dom", "file://\(out)/report.html"])
        XCTAssertTrue(dom.contains("data-loaded=\"3\""), String(dom.prefix(600)))
        XCTAssertTrue(dom.contains("data-broken=\"0\""), String(dom.prefix(600)))
        let shot = s.path + "/shot.png"
        _ = try runProcess(chromium, common + ["--screenshot=\(shot)", "--window-size=900,600", "file://\(out)/report.html"])
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: shot))
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG screenshot")
        XCTAssertGreaterThan(bytes.count, 1000)
    }

    func runProcess(_ exe: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
