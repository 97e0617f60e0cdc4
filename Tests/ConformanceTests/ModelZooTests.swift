import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// Real architectures exported by scripts/reference/export_models.py (torch.onnx, seeded random
/// weights) must reproduce onnxruntime's outputs: max |diff| <= 1e-4 * max |reference|.
/// Small models are committed in fixtures/models; large ones are generated into fixtures/cache by
/// scripts/test.sh before the tests run.
final class ModelZooTests: XCTestCase {
    static let expectedModels = [
        "resnet18", "resnet50", "vgg16_bn", "densenet121", "mobilenet_v2", "mobilenet_v3_large",
        "efficientnet_b0", "squeezenet1_1", "shufflenet_v2_x1_0", "googlenet", "regnet_y_400mf", "convnext_tiny",
    ]

    /// (model file, expected io file) for every exported model, committed or cached.
    static func cases() -> [(onnx: URL, io: URL)] {
        var out: [(URL, URL)] = []
        for dir in ["models", "cache"] {
            let folder = fixturesURL(dir)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for f in files.sorted() where f.hasSuffix(".onnx") {
                // Batch 2 (`.io.npz`) and batch 1 (`.b1.io.npz`) references.
                for suffix in [".io.npz", ".b1.io.npz"] {
                    let io = folder.appendingPathComponent(String(f.dropLast(5)) + suffix)
                    if FileManager.default.fileExists(atPath: io.path) { out.append((folder.appendingPathComponent(f), io)) }
                }
            }
        }
        return out
    }

    func testEveryArchitectureIsPresentAtTwoOpsets() {
        let names = Self.cases().map { $0.onnx.lastPathComponent }
        for m in Self.expectedModels {
            let variants = names.filter { $0.hasPrefix(m + "_op") || $0.hasPrefix(m + ".op") || $0.hasPrefix(m + "-op") }
            XCTAssertGreaterThanOrEqual(variants.count, 2, "\(m): expected exports at two opsets (run scripts/test.sh to generate fixtures/cache); found \(variants)")
        }
    }

    func testOutputsMatchOnnxRuntime() throws {
        let registry = standardRegistry()
        let cases = Self.cases()
        XCTAssertFalse(cases.isEmpty, "no reference models found under fixtures/models or fixtures/cache")
        var compared = 0
        defer { print("model zoo: \(compared) model/batch pairs match onnxruntime") }
        for c in cases {
            let name = c.io.lastPathComponent
            do {
                let graph = try ModelLoader.load(c.onnx.path, registry: registry)
                let io = try NPZ.read(path: c.io.path)
                var feeds: [String: Tensor] = [:]
                for i in graph.feedInputs { feeds[i.name] = io[i.name] }
                XCTAssertEqual(feeds.count, graph.feedInputs.count, "\(name): io file lacks an input")
                let exec = try Executor(graph: graph, registry: registry)
                let out = try exec.run(feeds)
                for o in graph.outputs {
                    guard let want = io[o.name], let got = out[o.name] else {
                        XCTFail("\(name): output \(o.name) missing"); continue
                    }
                    assertClose(got, want, rtol: Tolerance.conformanceRelative, atol: 0, "\(name) output \(o.name)")
                    compared += 1
                }
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
    }
}
