import Foundation
import TestSupport
import XCTest

/// `cfcam evaluate`: external maps reproduce the reference values end to end
/// (scripts/reference/metric_refs.py), boxes are carried through preprocessing, failures are
/// recorded, runs resume and shard, and the summaries are written.
final class CLIEvaluateTests: XCTestCase {
    let model = fixturesURL("metrics/tiny.onnx").path

    /// image -> metric -> value from a CSV with a header.
    func table(_ path: String, method: String? = nil) throws -> [String: [String: Double]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [String: [String: Double]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            if f.count == 4 {
                if let m = method, f[1] != m { continue }
                out[f[0], default: [:]][f[2]] = Double(f[3])
            } else if f.count == 3 {
                out[f[0], default: [:]][f[1]] = Double(f[2])
            }
        }
        return out
    }

    func testExternalMapsReproduceTheReferences() throws {
        let d = try TempDir()
        let out = d.path("out")
        let r = try CLI.run(["evaluate", model, fixturesURL("metrics/tensors").path, "--maps", fixturesURL("metrics/tensors-maps").path,
                             "--metrics", "average-drop,increase-in-confidence,insertion,deletion,road-morf,road-lerf,road-combined",
                             "--metric-param", "insertion:step=32", "--metric-param", "deletion:step=32",
                             "--metric-param", "road-morf:noise=0", "--metric-param", "road-lerf:noise=0",
                             "--metric-param", "road-combined:noise=0", "--batch-size", "5", "--out-dir", out])
        XCTAssertEqual(r.status, 0, r.transcript)
        let got = try table(out + "/scores.csv", method: "maps")
        let want = try table(fixturesURL("metrics/tensors-maps/expected.csv").path)
        XCTAssertEqual(Set(got.keys), ["x0.npy", "x1.npy", "x2.npy"])
        for (image, metrics) in want {
            for (metric, w) in metrics {
                let g = try XCTUnwrap(got[image]?[metric], "\(image) \(metric) missing")
                // AD is in percent of the clean probability; the others are probabilities or logit changes.
                XCTAssertEqual(g, w, accuracy: metric == "average-drop" ? 1e-3 : 1e-4, "\(image) \(metric)")
            }
        }
        let header = try String(contentsOfFile: out + "/scores.csv", encoding: .utf8).split(separator: "\n").first
        XCTAssertEqual(header, "image,method,metric,value")
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("method,metric,n,mean,ci_low,ci_high\nmaps,average-drop,3,"), summary)
        XCTAssertTrue(summary.contains("maps,seconds-evaluate,3,"), summary)
        let md = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        XCTAssertTrue(md.contains("| maps | "), md)
    }

    /// A .npy map [32, 32] (float32, little-endian) with the given values.
    func writeMap(_ values: [Float], to path: String) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (32, 32), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + Array(header.utf8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Boxes in original-image pixels are carried through resize and crop: with --resize 40x48 --crop 32
    /// the crop starts at (8, 4), so p0's box [6, 8, 20, 22) becomes [0, 4, 12, 18) in the input.
    func testBoxesFollowThePreprocessing() throws {
        let d = try TempDir()
        try FileManager.default.createDirectory(atPath: d.path("maps"), withIntermediateDirectories: true)
        func delta(_ x: Int, _ y: Int) -> [Float] { var m = [Float](repeating: 0, count: 1024); m[y * 32 + x] = 1; return m }
        try writeMap(delta(11, 17), to: d.path("maps/p0.npy"))  // inside [0, 4, 12, 18)
        try writeMap(delta(27, 17), to: d.path("maps/p1.npy"))  // p1's box [14, 12, 28, 26) -> [6, 8, 20, 22): 7 px right of it
        try writeMap(delta(30, 30), to: d.path("maps/p2.npy"))  // p2's class box [22, 16, 36, 30) -> [14, 12, 28, 26): dx 3, dy 5
        let out = d.path("out")
        let r = try CLI.run(["evaluate", model, fixturesURL("metrics/photos").path, "--maps", d.path("maps"), "--resize", "40x48", "--crop", "32",
                             "--metrics", "pointing-game,energy-pointing-game", "--metric-param", "pointing-game:tolerance=6", "--out-dir", out])
        XCTAssertNotEqual(r.status, 0, "broken.png fails the run after the others: \(r.transcript)")
        XCTAssertTrue(r.stderr.contains("broken.png"), r.stderr)
        let got = try table(out + "/scores.csv", method: "maps")
        XCTAssertEqual(got["p0.png"]?["pointing-game"], 1)
        XCTAssertEqual(got["p1.png"]?["pointing-game"], 0, "7 px >= tolerance 6")
        XCTAssertEqual(got["p2.png"]?["pointing-game"], 1, "sqrt(3² + 5²) = 5.8 < 6")
        XCTAssertEqual(got["p0.png"]?["energy-pointing-game"] ?? -1, 1, accuracy: 1e-6)
        XCTAssertEqual(got["p1.png"]?["energy-pointing-game"] ?? -1, 0, accuracy: 1e-6)
        XCTAssertNil(got["broken.png"])
    }

    func testMethodsRunResumeShardAndRandomBaseline() throws {
        let d = try TempDir()
        let out = d.path("out")
        let args = ["evaluate", model, fixturesURL("metrics/photos").path, "--methods", "gradcam,layercam", "--random-baseline",
                    "--metrics", "average-drop,deletion,pointing-game,localization-error", "--metric-param", "deletion:step=128",
                    "--save-maps", "--out-dir", out]
        let first = try CLI.run(args)
        XCTAssertNotEqual(first.status, 0, first.transcript)
        XCTAssertTrue(first.stderr.contains("1 failure"), first.stderr)
        let scores = try table(out + "/scores.csv")
        XCTAssertEqual(Set(scores.keys), ["p0.png", "p1.png", "p2.png"])
        for m in ["gradcam", "layercam", "random"] {
            let rows = try table(out + "/scores.csv", method: m)
            XCTAssertEqual(rows["p0.png"]?.keys.sorted(), ["average-drop", "deletion", "localization-error", "pointing-game"], m)
        }
        let md = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        XCTAssertTrue(md.contains("| gradcam |") && md.contains("| random |") && md.contains("Sanity check"), md)
        let saved = try Data(contentsOf: URL(fileURLWithPath: out + "/p0.png/gradcam.npy"))
        XCTAssertEqual(saved.count, 128 + 32 * 32 * 4, "--save-maps: the [32, 32] float32 map as scored")
        let again = try CLI.run(args)
        XCTAssertTrue(again.stderr.contains("3 already done, 1 to evaluate"), again.stderr)
        // Shards split the images; together they cover what one run did.
        var union = Set<String>()
        for i in 0..<2 {
            let s = try CLI.run(["evaluate", model, fixturesURL("metrics/photos").path, "--methods", "gradcam", "--metrics", "pointing-game",
                                 "--shard", "\(i)/2", "--out-dir", d.path("shard\(i)")])
            XCTAssertTrue(s.stderr.contains("in shard \(i)/2"), s.stderr)
            union.formUnion(try table(d.path("shard\(i)/scores.csv")).keys)
        }
        XCTAssertEqual(union, ["p0.png", "p1.png", "p2.png"])
        // Merged shards: evaluating the merged folder again only rewrites the summaries over all images.
        let merged = d.path("merged")
        let m = try CLI.run(["merge", d.path("shard0"), d.path("shard1"), "--into", merged])
        XCTAssertEqual(m.status, 0, m.transcript)
        let whole = try CLI.run(["evaluate", model, fixturesURL("metrics/photos").path, "--methods", "gradcam", "--metrics", "pointing-game",
                                 "--out-dir", merged])
        XCTAssertTrue(whole.stderr.contains("3 already done, 1 to evaluate"), whole.stderr)
        XCTAssertEqual(Set(try table(merged + "/scores.csv").keys), ["p0.png", "p1.png", "p2.png"])
        XCTAssertTrue(try String(contentsOfFile: merged + "/summary.csv", encoding: .utf8).contains("gradcam,pointing-game,3,"))
    }

    /// An embedding-style evaluation: the target is the cosine similarity to a reference image's
    /// embedding (the tiny model without its classifier: the global average pool), every metric
    /// scores that similarity (FAM needs it; Grad-CAM explains it).
    func testSimilarityTargets() throws {
        let d = try TempDir()
        let r = try CLI.run(["evaluate", model, fixturesURL("metrics/tensors").path, "--reference", fixturesURL("metrics/tensors/x1.npy").path,
                             "--output", "/ReduceMean_output_0", "--methods", "fam,gradcam", "--metrics", "average-drop,deletion,pointing-game",
                             "--metric-param", "average-drop:variant=pytorch-grad-cam", "--metric-param", "deletion:step=256",
                             "--out-dir", d.path("out")])
        XCTAssertEqual(r.status, 0, r.transcript)
        let fam = try table(d.path("out/scores.csv"), method: "fam")
        XCTAssertEqual(fam["x1.npy"]?["average-drop"] ?? -1, 0, accuracy: 1, "a similarity is at most 1, so is its drop")
        XCTAssertEqual(Set(fam.keys), ["x0.npy", "x1.npy", "x2.npy"])
        XCTAssertNotNil(fam["x0.npy"]?["pointing-game"], "a similarity target matches boxes of the manifest's label")
        XCTAssertEqual(Set(try table(d.path("out/scores.csv"), method: "gradcam").keys), ["x0.npy", "x1.npy", "x2.npy"])
    }

    func testBadArgumentsAreErrors() throws {
        let data = fixturesURL("metrics/tensors").path
        for (args, message) in [
            (["--metrics", "nosuch"], "unknown metric 'nosuch'"),
            (["--metric-param", "insertion:step=abc"], "step=abc"),
            (["--metric-param", "insertion-step=3"], "NAME:KEY=VALUE"),
            (["--metric-param", "deletion:step=3", "--metrics", "insertion"], "'deletion', which is not evaluated"),
            (["--maps", "/nonexistent", "--methods", "gradcam"], "drop --methods"),
        ] {
            let r = try CLI.run(["evaluate", model, data, "--out-dir", "/tmp/cfcam-never"] + args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let bad = try TempDir()
        try Data("{\"images\": [{\"file\": \"../x.png\"}]}".utf8).write(to: bad.url.appendingPathComponent("manifest.json"))
        let r = try CLI.run(["evaluate", model, bad.path(""), "--out-dir", bad.path("out")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("relative path inside the dataset folder"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/cfcam-never"))
    }
}
