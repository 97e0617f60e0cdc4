import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// The evaluation models (fixtures/eval/models, made by scripts/reference/eval_train.py and
/// eval_photos.py): each one's forward matches onnxruntime's committed output, and the shapes
/// models reproduce, through cfcam's own PNG decoding and metadata preprocessing, the held-out
/// accuracy recorded in accuracy.json (onnxruntime on the committed test split).
final class EvalModelsTests: XCTestCase {
    static let models = ["shapes_resnet", "shapes_vgg", "shapes_mobilenet", "shapes_embed", "efficientnet_lite0_embed"]
    static let folder = fixturesURL("eval/models")
    static let testSplit = fixturesURL("eval/synthetic")
    /// The shapes models' input side (eval_train.py `INPUT`).
    static let side = 56

    func testForwardMatchesOnnxRuntime() throws {
        let registry = standardRegistry()
        for name in Self.models {
            let graph = try ModelLoader.load(Self.folder.appendingPathComponent(name + ".onnx").path, registry: registry)
            let io = try NPZ.read(path: Self.folder.appendingPathComponent(name + ".io.npz").path)
            let input = try XCTUnwrap(io["input"], "\(name): io file lacks input")
            let out = try Executor(graph: graph, registry: registry).run(["input": input])
            let outName = try XCTUnwrap(graph.outputs.first?.name)
            let want = try XCTUnwrap(io[outName], "\(name): io file lacks \(outName)")
            let got = try XCTUnwrap(out[outName])
            assertClose(got, want, rtol: Tolerance.conformanceRelative, atol: 0, "\(name) \(outName)")
        }
    }

    /// cfcam's decoding + the model's `cfcam.preprocess` give the tensors the models were trained
    /// on (the first images of the test split, as written by eval_train.py from PIL).
    func testMetadataPreprocessingReproducesTrainingInput() throws {
        let io = try NPZ.read(path: Self.folder.appendingPathComponent("shapes_resnet.io.npz").path)
        let want = try XCTUnwrap(io["input"])
        let (batch, _) = try Self.testInputs(model: "shapes_resnet", count: want.shape[0])
        assertClose(batch, want, rtol: 0, atol: 1e-5, "preprocessed test images")
    }

    func testHeldOutAccuracyMatchesRecord() throws {
        let record = try Self.accuracyRecord()
        let registry = standardRegistry()
        let (inputs, classes) = try Self.testInputs(model: "shapes_resnet", count: nil)
        for name in ["shapes_resnet", "shapes_vgg", "shapes_mobilenet", "shapes_embed"] {
            let entry = try XCTUnwrap(record[name] as? [String: Any], "accuracy.json lacks \(name)")
            let graph = try ModelLoader.load(Self.folder.appendingPathComponent(name + ".onnx").path, registry: registry)
            let exec = try Executor(graph: graph, registry: registry)
            let outName = try XCTUnwrap(graph.outputs.first?.name)
            let rows = try Self.runInBatches(exec, output: outName, inputs: inputs, batch: 30)
            if name == "shapes_embed" {
                let (hits, count) = Self.recallAt1(rows, classes: classes)
                let want = try XCTUnwrap(entry["test_recall_at_1"] as? [Any])
                XCTAssertEqual(count, want[1] as? Int, "\(name): one-object images")
                XCTAssertEqual(hits, want[0] as? Int, "\(name): recall@1 hits (\(hits)/\(count))")
                XCTAssertGreaterThan(Double(hits) / Double(max(count, 1)), 0.8, "\(name) learned the shapes")
            } else {
                let (one, oneCount, two, twoCount) = Self.classifierHits(rows, classes: classes)
                let want1 = try XCTUnwrap(entry["test_top1_one_object"] as? [Any])
                let want2 = try XCTUnwrap(entry["test_top2_two_objects"] as? [Any])
                XCTAssertEqual(oneCount, want1[1] as? Int, "\(name): one-object images")
                XCTAssertEqual(one, want1[0] as? Int, "\(name): top-1 hits on one-object images (\(one)/\(oneCount))")
                XCTAssertEqual(twoCount, want2[1] as? Int, "\(name): two-object images")
                XCTAssertEqual(two, want2[0] as? Int, "\(name): top-2 hits on two-object images (\(two)/\(twoCount))")
                XCTAssertGreaterThan(Double(one) / Double(max(oneCount, 1)), 0.8, "\(name) learned the shapes")
            }
        }
    }

    // MARK: - helpers

    static func accuracyRecord() throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("accuracy.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The test split's images (all, or the first `count`) through the model's metadata
    /// preprocessing (112-px PNGs halved to the models' 56 x 56 input) as one [N, 3, 56, 56] tensor,
    /// and each image's classes (the boxes' labels, the explained one first).
    static func testInputs(model: String, count: Int?) throws -> (Tensor, [[Int]]) {
        let data = try Data(contentsOf: testSplit.appendingPathComponent("manifest.json"))
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var images = try XCTUnwrap(manifest["images"] as? [[String: Any]])
        if let count { images = Array(images.prefix(count)) }
        let meta = try ModelMetadata.load(modelPath: folder.appendingPathComponent(model + ".onnx").path)
        let spec = try XCTUnwrap(meta.preprocess, "\(model) carries cfcam.preprocess")
        var floats: [Float] = [], classes: [[Int]] = []
        for e in images {
            let file = try XCTUnwrap(e["file"] as? String)
            let image = try ImageDecoder.read(path: testSplit.appendingPathComponent(file).path)
            let (t, _) = try Preprocessor.apply(image, spec: spec, channels: 3, height: side, width: side)
            floats += t.floatValues()
            let boxes = try XCTUnwrap(e["boxes"] as? [[String: Any]])
            classes.append(boxes.compactMap { $0["label"] as? Int })
        }
        return (Tensor(unchecked: [images.count, 3, side, side], floats: floats), classes)
    }

    static func runInBatches(_ exec: Executor, output: String, inputs: Tensor, batch: Int) throws -> [[Float]] {
        let n = inputs.shape[0], per = inputs.shape.dropFirst().reduce(1, *)
        let all = inputs.floatValues()
        var rows: [[Float]] = []
        for start in stride(from: 0, to: n, by: batch) {
            let m = min(batch, n - start)
            let x = Tensor(unchecked: [m] + Array(inputs.shape.dropFirst()), floats: Array(all[start * per..<(start + m) * per]))
            let y = try XCTUnwrap(try exec.run(["input": x])[output])
            let width = y.shape.dropFirst().reduce(1, *), v = y.floatValues()
            for r in 0..<m { rows.append(Array(v[r * width..<(r + 1) * width])) }
        }
        return rows
    }

    /// Top-1 hits on one-object images, and hits where the two largest logits are the two classes
    /// present, on two-object images (eval_train.py's definitions; ties go to the lower index).
    static func classifierHits(_ rows: [[Float]], classes: [[Int]]) -> (Int, Int, Int, Int) {
        var one = 0, oneCount = 0, two = 0, twoCount = 0
        for (row, cls) in zip(rows, classes) {
            let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
            if cls.count == 1 {
                oneCount += 1
                if order[0] == cls[0] { one += 1 }
            } else {
                twoCount += 1
                if Set(order.prefix(2)) == Set(cls) { two += 1 }
            }
        }
        return (one, oneCount, two, twoCount)
    }

    /// Recall@1 over the one-object images: the most cosine-similar other one has the same class.
    static func recallAt1(_ rows: [[Float]], classes: [[Int]]) -> (Int, Int) {
        let single = classes.indices.filter { classes[$0].count == 1 }
        let unit = single.map { i -> [Double] in
            let v = rows[i].map(Double.init)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        var hits = 0
        for a in unit.indices {
            var best = -Double.infinity, at = -1
            for b in unit.indices where b != a {
                let s = zip(unit[a], unit[b]).reduce(0) { $0 + $1.0 * $1.1 }
                if s > best { best = s; at = b }
            }
            if classes[single[at]][0] == classes[single[a]][0] { hits += 1 }
        }
        return (hits, single.count)
    }
}
