import Foundation
import Runs
import TestSupport
import XCTest

/// The dataset manifest's checks and the score table's CSV round trip.
final class EvaluationFilesTests: XCTestCase {
    func manifest(_ json: String) throws -> EvaluationManifest {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfcam-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(json.utf8).write(to: dir.appendingPathComponent("manifest.json"))
        return try EvaluationManifest.load(dir.path)
    }

    func testManifestIsReadAndChecked() throws {
        let m = try manifest("""
            {"name": "n", "classes": ["a", "b"], "images": [{"file": "x/a.png", "label": 1,
             "boxes": [{"label": 1, "xyxy": [1, 2, 3.5, 4]}, {"xyxy": [0, 0, 1, 1]}], "note": "hand"}, {"file": "b.png"}]}
            """)
        XCTAssertEqual(m.images.count, 2)
        XCTAssertEqual(m.images[0].boxes?[0].label, 1)
        XCTAssertEqual(m.images[0].boxes?[0].xyxy, [1, 2, 3.5, 4])
        XCTAssertNil(m.images[0].boxes?[1].label)
        XCTAssertNil(m.images[1].label)
        XCTAssertTrue(m.path(of: m.images[0]).hasSuffix("/x/a.png"))
        for (bad, message) in [
            (#"{"images": [{"file": "/etc/passwd"}]}"#, "relative path"),
            (#"{"images": [{"file": "a.png"}, {"file": "a.png"}]}"#, "listed twice"),
            (#"{"images": [{"file": "a.png", "boxes": [{"xyxy": [3, 0, 1, 1]}]}]}"#, "x1 > x0"),
            (#"{"images": [{"file": "a.png", "boxes": [{"xyxy": [0, 0, 1]}]}]}"#, "[x0, y0, x1, y1]"),
            (#"{"images": [{"file": "a.png", "label": -2}]}"#, "negative"),
            (#"{"pictures": []}"#, "not a dataset manifest"),
        ] {
            XCTAssertThrowsError(try manifest(bad), bad) { e in XCTAssertTrue("\(e)".contains(message), "\(bad): \(e)") }
        }
        XCTAssertThrowsError(try EvaluationManifest.load("/nonexistent/dataset"))
    }

    func testScoreTableRoundTripsWithQuoting() throws {
        let rows = [ScoreTable.Row(image: "a,b \"c\".png", method: "gradcam", metric: "insertion", value: 0.123456789),
                    ScoreTable.Row(image: "plain.png", method: "maps", metric: "deletion", value: -2.5e-7)]
        let text = ScoreTable.format(rows)
        XCTAssertTrue(text.hasPrefix("image,method,metric,value\n\"a,b \"\"c\"\".png\",gradcam,insertion,0.123456789\n"), text)
        XCTAssertEqual(try ScoreTable.parse(text, file: "t"), rows)
        XCTAssertThrowsError(try ScoreTable.parse("a,b\n", file: "t"))
        XCTAssertThrowsError(try ScoreTable.parse("image,method,metric,value\nx,y,z\n", file: "t"))
    }
}
