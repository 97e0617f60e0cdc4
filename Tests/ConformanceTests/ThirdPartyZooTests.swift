import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// Third-party models through cfcam's importer and executor, against onnxruntime: timm
/// architectures with seeded weights (fixtures/timm/manifest.json: squeeze-excite + SiLU + TF same
/// padding, ConvNeXt LayerNorm, a plain ResNet, a DeiT-style ViT, both also exported with a fixed
/// batch of 1) and
/// a trained EfficientNet-Lite0 exported with a fixed batch of 1 (fixtures/real/manifest.json).
/// Every graph output within max |diff| <= 1e-4 x max |reference|, at batch 2 and batch 1
/// (fixed-batch models at 1 only).
final class ThirdPartyZooTests: XCTestCase {
    static let timmModels = ["tf_efficientnet_b0", "convnext_atto", "resnet10t", "resnet10t_fixed", "vit_p16_96", "vit_p16_96_fixed"]

    /// Runs `io`'s inputs through the model and compares every graph output; returns the worst
    /// max |diff| / max |reference| over the outputs, and the outputs.
    @discardableResult
    func check(_ graph: Graph, _ exec: Executor, io path: URL, label: String) throws -> (ratio: Float, outputs: [String: Tensor]) {
        let io = try NPZ.read(path: path.path)
        var feeds: [String: Tensor] = [:]
        for i in graph.feedInputs { feeds[i.name] = io[i.name] }
        XCTAssertEqual(feeds.count, graph.feedInputs.count, "\(label): \(path.lastPathComponent) lacks an input")
        let out = try exec.run(feeds)
        var worst: Float = 0
        for o in graph.outputs {
            guard let want = io[o.name], let got = out[o.name] else { XCTFail("\(label): output \(o.name) missing"); continue }
            assertClose(got, want, rtol: Tolerance.conformanceRelative, atol: 0, "\(label) output \(o.name)")
            if got.shape == want.shape {
                let g = got.floatValues(), w = want.floatValues()
                let scale = w.map(abs).max() ?? 0
                let diff = zip(g, w).map { abs($0 - $1) }.max() ?? 0
                worst = max(worst, scale > 0 ? diff / scale : diff)
            }
        }
        print(String(format: "third-party zoo %@: max|diff|/max|ref| %.2e", label, Double(worst)))
        return (worst, out)
    }

    func checkTimm(_ name: String) throws {
        let model = try ThirdPartyModels.model("timm", name)
        try ThirdPartyModels.requireGenerated(model)
        let registry = standardRegistry()
        let graph = try ModelLoader.load(model.onnx.path, registry: registry)
        let exec = try Executor(graph: graph, registry: registry)
        if model.fixedBatch {
            XCTAssertNil(model.io, "\(name): a fixed-batch model has batch-1 references only")
        } else {
            try check(graph, exec, io: try XCTUnwrap(model.io), label: "\(name) batch 2")
        }
        try check(graph, exec, io: try XCTUnwrap(model.ioB1), label: "\(name) batch 1")
    }

    func testManifestListsTheModels() throws {
        XCTAssertEqual(try ThirdPartyModels.load("timm").map(\.name), Self.timmModels)
        XCTAssertEqual(try ThirdPartyModels.load("real").map(\.name), ["efficientnet_lite0"])
    }

    /// Every CAM layer a manifest names is a value of its graph with the declared layout at batch 1:
    /// NCHW [1, C, h, w] smaller than the input, NHWC [1, h, w, C], a token map [1, 1 + h x w, C]
    /// for the token grid [h, w].
    func testCAMLayersHaveTheDeclaredLayouts() throws {
        let registry = standardRegistry()
        let models = try ThirdPartyModels.load("timm") + ThirdPartyModels.load("real")
        for m in models {
            guard m.files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) else {
                try ThirdPartyModels.requireGenerated(m); continue
            }
            let graph: Graph
            do { graph = try ModelLoader.load(m.onnx.path, registry: registry) } catch {
                XCTFail("\(m.name): \(error)"); continue
            }
            let io = try NPZ.read(path: try XCTUnwrap(m.ioB1).path)
            let x = try XCTUnwrap(io[m.input])
            let out = try Executor(graph: graph, registry: registry).run([m.input: x], fetch: m.cams.map(\.layer))
            for c in m.cams {
                let shape = try XCTUnwrap(out[c.layer], "\(m.name): no value \(c.layer)").shape
                print("third-party zoo \(m.name) \(c.key): \(c.layer) \(shape) (\(c.layout))")
                switch c.layout {
                case "NCHW":
                    XCTAssertTrue(shape.count == 4 && shape[0] == 1 && shape[2] < x.shape[2] && shape[1] > shape[2], "\(m.name) \(c.key): \(shape)")
                case "NHWC":
                    XCTAssertTrue(shape.count == 4 && shape[0] == 1 && shape[1] < x.shape[2] && shape[3] > shape[1], "\(m.name) \(c.key): \(shape)")
                case "token":
                    let grid = try XCTUnwrap(m.tokenGrid)
                    XCTAssertEqual(shape.count, 3, "\(m.name) \(c.key): \(shape)")
                    XCTAssertEqual(shape.first, 1)
                    XCTAssertEqual(shape.dropFirst().first, 1 + grid[0] * grid[1], "\(m.name): class token + \(grid) patches")
                default:
                    XCTFail("\(m.name) \(c.key): unknown layout \(c.layout)")
                }
            }
        }
    }

    func testTfEfficientNetB0() throws { try checkTimm("tf_efficientnet_b0") }
    func testConvNeXtAtto() throws { try checkTimm("convnext_atto") }
    func testResNet10t() throws { try checkTimm("resnet10t") }
    func testResNet10tFixedBatch() throws { try checkTimm("resnet10t_fixed") }
    func testViT() throws { try checkTimm("vit_p16_96") }
    func testViTFixedBatch() throws { try checkTimm("vit_p16_96_fixed") }

    /// The trained model: outputs match onnxruntime on both photos and the top-5 classes are
    /// onnxruntime's (a tabby / tiger cat, an espresso).
    func testRealEfficientNetLite0() throws {
        let model = try ThirdPartyModels.model("real", "efficientnet_lite0")
        try ThirdPartyModels.requireGenerated(model)
        XCTAssertTrue(model.fixedBatch)
        let registry = standardRegistry()
        let graph = try ModelLoader.load(model.onnx.path, registry: registry)
        XCTAssertEqual(graph.feedInputs.first?.shape, [.fixed(1), .fixed(3), .fixed(224), .fixed(224)], "a fixed batch of 1")
        let exec = try Executor(graph: graph, registry: registry)
        XCTAssertEqual(model.photos.count, 2)
        for photo in model.photos {
            let out = try check(graph, exec, io: photo.io, label: "efficientnet_lite0 \(photo.name)").outputs
            let logits = try XCTUnwrap(out["logits"]).floatValues()
            let top5 = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
            print("efficientnet_lite0 \(photo.name): top-5 \(Array(top5))")
            XCTAssertEqual(Array(top5), photo.top5, "\(photo.name): top-5 differs from onnxruntime's")
        }
    }
}
