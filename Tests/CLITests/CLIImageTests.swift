import Foundation
import Importers
import TestSupport
import XCTest

/// `explain` and `run` on photos with the bundled, trained EfficientNet-Lite0
/// (models/efficientnet-lite0: its preprocessing and labels come from the file's metadata).
final class CLIImageTests: XCTestCase {
    let model = CLI.packageRoot.appendingPathComponent("models/efficientnet-lite0/efficientnet_lite0.onnx").path
    func photo(_ name: String) -> String { fixturesURL("photos/\(name)").path }

    struct TopRef: Decodable { let entries: [[String: [Value]]] }
    enum Value: Decodable {
        case number(Double), text(String)
        init(from d: Decoder) throws {
            let c = try d.singleValueContainer()
            if let n = try? c.decode(Double.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
        }
        var number: Double? { if case .number(let n) = self { return n }; return nil }
    }

    /// onnxruntime's top-5 logits on torchvision's preprocessing (scripts/reference/bundle_model.py).
    func reference(_ photo: String) throws -> [(Int, Double)] {
        let data = try Data(contentsOf: fixturesURL("photos/efficientnet_lite0.top5.json"))
        let all = try JSONDecoder().decode([String: [[Value]]].self, from: data)
        return try XCTUnwrap(all[photo]).map { (Int($0[0].number ?? -1), $0[1].number ?? .nan) }
    }

    /// Decoding, preprocessing (from the model's metadata) and the forward together against
    /// PIL + torchvision + onnxruntime: the top-5 classes and their logits.
    func testRunOnAPhotoMatchesTorchvisionAndOnnxRuntime() throws {
        for (name, tolerance) in [("chelsea.png", 1e-3), ("coffee.png", 1e-3), ("rocket.jpg", 0.05)] {
            let r = try CLI.run(["run", model, "--input", photo(name), "--print-top", "5"])
            XCTAssertEqual(r.status, 0, r.transcript)
            let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("logits[0] top-5:") })
            let want = try reference(name)
            for (c, logit) in want {
                let label = try XCTUnwrap(line.range(of: "\(c) '")).upperBound
                let rest = line[label...]
                let eq = try XCTUnwrap(rest.range(of: "'="))
                let value = Double(rest[eq.upperBound...].prefix { !$0.isWhitespace }) ?? .nan
                XCTAssertEqual(value, logit, accuracy: tolerance, "\(name) class \(c): \(line)")
            }
            let order = line.split(separator: " ").dropFirst(2).compactMap { Int($0.prefix { $0.isNumber }) }
            XCTAssertEqual(Array(order.prefix(2)), want.prefix(2).map(\.0), "\(name): \(line)")
        }
    }

    func testExplainAPhotoWritesOverlaysPanelAndReport() throws {
        let tmp = try TempDir()
        let r = try CLI.run(["explain", model, photo("chelsea.png"), "--method", "gradcam,layercam",
                             "--overlay", tmp.path("cat.png"), "--raw", tmp.path("cat.npy"), "--json", tmp.path("cat.json"),
                             "--dump-input", tmp.path("x.npy")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stdout.contains("top-5: 282 'tiger cat'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("gradcam explained class 282 'tiger cat'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("layercam explained class 282 'tiger cat'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("at layer '"), r.stdout)
        XCTAssertEqual(tmp.contents(), ["cat.gradcam.npy", "cat.gradcam.png", "cat.json", "cat.layercam.npy", "cat.layercam.png", "cat.png", "x.npy"])
        // Overlays at the photo's own resolution; the panel holds the photo and both overlays.
        for m in ["gradcam", "layercam"] {
            let o = try ImageDecoder.read(path: tmp.path("cat.\(m).png"))
            XCTAssertEqual([o.width, o.height, o.channels], [451, 300, 3], m)
            XCTAssertEqual(try NPY.read(path: tmp.path("cat.\(m).npy")).shape, [1, 224, 224], m)
        }
        let panel = try ImageDecoder.read(path: tmp.path("cat.png"))
        XCTAssertGreaterThan(panel.width, 3 * 451)
        XCTAssertEqual(try NPY.read(path: tmp.path("x.npy")).shape, [1, 3, 224, 224])
        // The report.
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: tmp.url.appendingPathComponent("cat.json"))) as? [String: Any])
        let preds = try XCTUnwrap(json["predictions"] as? [[String: Any]])
        XCTAssertEqual(preds.count, 5)
        XCTAssertEqual(preds[0]["class"] as? Int, 282)
        XCTAssertEqual(preds[0]["label"] as? String, "tiger cat")
        let target = try XCTUnwrap(json["target"] as? [String: Any])
        XCTAssertEqual(target["class"] as? Int, 282)
        XCTAssertEqual(try XCTUnwrap(target["score"] as? Double), try reference("chelsea.png")[0].1, accuracy: 1e-3)
        let methods = try XCTUnwrap(json["methods"] as? [[String: Any]])
        XCTAssertEqual(methods.map { $0["name"] as? String }, ["gradcam", "layercam"])
        for m in methods { XCTAssertFalse((m["layers"] as? [String] ?? []).isEmpty, "\(m)") }
        XCTAssertNotNil(json["timings"] as? [String: Any])
    }

    func testTheDumpedInputIsWhatTheModelIsFed() throws {
        let tmp = try TempDir()
        let e = try CLI.run(["explain", model, photo("coffee.png"), "--method", "gradcam", "--json", tmp.path("c.json"), "--dump-input", tmp.path("x.npy")])
        XCTAssertEqual(e.status, 0, e.transcript)
        let a = try CLI.run(["run", model, "--input", photo("coffee.png"), "--output", tmp.path("a.npz")])
        let b = try CLI.run(["run", model, "--input", tmp.path("x.npy"), "--output", tmp.path("b.npz")])
        XCTAssertEqual(a.status, 0, a.transcript); XCTAssertEqual(b.status, 0, b.transcript)
        let la = try XCTUnwrap(NPZ.read(path: tmp.path("a.npz"))["logits"]).floatValues()
        let lb = try XCTUnwrap(NPZ.read(path: tmp.path("b.npz"))["logits"]).floatValues()
        XCTAssertEqual(la, lb)
    }

    func testPreprocessingFlagsOverrideTheMetadata() throws {
        let tmp = try TempDir()
        let r = try CLI.run(["explain", model, photo("chelsea.png"), "--method", "gradcam", "--json", tmp.path("c.json"),
                             "--preprocess", "imagenet", "--interpolation", "nearest", "--dump-input", tmp.path("x.npy")])
        XCTAssertEqual(r.status, 0, r.transcript)
        let x = try NPY.read(path: tmp.path("x.npy")).floatValues()
        // ImageNet mean / std: values reach below -1.5 (the metadata's (p - 127) / 128 stays within [-1, 1]).
        XCTAssertLessThan(x.min() ?? 0, -1.5)
        let bad = try CLI.run(["explain", model, photo("chelsea.png"), "--json", tmp.path("d.json"), "--preprocess", "fancy"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("imagenet") && bad.stderr.contains("caffe"), bad.stderr)
    }

    func testBadImagesAndUnwritableOutputsAreClearErrorsWithNothingWritten() throws {
        let tmp = try TempDir()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: photo("rocket.jpg")))
        try bytes.prefix(2000).write(to: tmp.url.appendingPathComponent("cut.jpg"))
        try Data("not an image".utf8).write(to: tmp.url.appendingPathComponent("notes.png"))
        let out = try TempDir()
        let cases: [([String], String)] = [
            ([tmp.path("cut.jpg"), "--overlay", out.path("o.png")], "cut.jpg"),
            ([tmp.path("notes.png"), "--overlay", out.path("o.png")], "png, jpg"),
            ([photo("chelsea.png"), "--overlay", "/nonexistent-dir/o.png"], "/nonexistent-dir"),
            ([photo("chelsea.png"), "--overlay", out.path("o.tiff")], "o.tiff"),
        ]
        for (args, fragment) in cases {
            let r = try CLI.run(["explain", model] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(fragment), "\(args): \(r.stderr)")
            XCTAssertEqual(out.contents(), [], "\(args): nothing written")
        }
        // A model whose input is not an image says what it expects.
        let r = try CLI.run(["run", fixturesURL("onnx-node/test_tanh_example/model.onnx").path, "--input", photo("chelsea.png"), "--print-top", "1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("not an image"), r.stderr)
    }
}
