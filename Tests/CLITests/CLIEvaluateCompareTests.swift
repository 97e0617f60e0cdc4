import Foundation
import TestSupport
import XCTest

/// `cfcam compare`: the table, the JSON (figures equal to the torch reference of
/// scripts/reference/metric_refs.py for the two tiny models) and the picture.
final class CLIEvaluateCompareTests: XCTestCase {
    func testCompareWritesTableJSONAndPicture() throws {
        let d = try TempDir()
        let r = try CLI.run(["compare", fixturesURL("metrics/tiny.onnx").path, fixturesURL("metrics/tiny_b.onnx").path,
                             fixturesURL("metrics/tensors/x0.npy").path, fixturesURL("metrics/photos/p0.png").path,
                             "--grid", "2", "--json", d.path("c.json"), "--picture", d.path("c.png")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stdout.contains("x0.npy: activation-energy, overall Pearson r = 0.3590"), r.stdout)
        XCTAssertTrue(r.stdout.contains("0.3052  0.3192"), "per-block figures of the reference (compare.blocks2): \(r.stdout)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: d.url.appendingPathComponent("c.json"))) as? [[String: Any]]
        let first = try XCTUnwrap(json?.first)
        XCTAssertEqual(first["grid"] as? Int, 2)
        XCTAssertEqual(try XCTUnwrap(first["overall"] as? Double), 0.3590183, accuracy: 1e-5)
        XCTAssertEqual((first["blocks"] as? [[Double]])?.count, 2)
        XCTAssertEqual(json?.count, 2)
        for f in ["c.0.png", "c.1.png"] { XCTAssertTrue(FileManager.default.fileExists(atPath: d.path(f)), f) }
        let bad = try CLI.run(["compare", fixturesURL("metrics/tiny.onnx").path, fixturesURL("metrics/tiny_b.onnx").path,
                               fixturesURL("metrics/tensors/x0.npy").path, "--grid", "5"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--grid must be 2, 3 or 4"), bad.stderr)
        let method = try CLI.run(["compare", fixturesURL("metrics/tiny.onnx").path, fixturesURL("metrics/tiny_b.onnx").path,
                                  fixturesURL("metrics/tensors/x0.npy").path, "--method", "gradcam", "--grid", "3"])
        XCTAssertEqual(method.status, 0, method.transcript)
        XCTAssertTrue(method.stdout.contains("gradcam, overall Pearson r = "), method.stdout)
    }

    /// `cfcam metrics` lists the registry; docs/metrics.md carries exactly its Markdown table.
    func testMetricsListingAndDocsTable() throws {
        let r = try CLI.run(["metrics"])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stdout.contains("--metric-param insertion:step=integer  (default 224)"), r.stdout)
        let md = try CLI.run(["metrics", "--markdown"])
        let doc = try String(contentsOf: fixturesURL("../docs/metrics.md"), encoding: .utf8)
        XCTAssertTrue(doc.contains(md.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
                      "docs/metrics.md does not hold the current `cfcam metrics --markdown` table; paste it in")
    }
}
