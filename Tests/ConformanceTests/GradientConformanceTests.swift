import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// The reverse walk's gradients match PyTorch autograd on the exported architectures
/// (scripts/reference/export_gradients.py): d logit[b, argmax_b] / d input and / d the layer that
/// CAM methods use (resnet `layer4`, vgg / densenet / mobilenet `features`, ...).
final class GradientConformanceTests: XCTestCase {
    static func cases() -> [(model: String, grad: String)] {
        var out: [(String, String)] = []
        for dir in ["grad", "cache"] {
            let folder = fixturesURL(dir)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for f in files.sorted() where f.hasSuffix(".grad.npz") {
                let name = String(f.dropLast(".grad.npz".count))
                for modelDir in ["models", "cache"] {
                    let m = fixturesURL("\(modelDir)/\(name)_op17.onnx").path
                    if FileManager.default.fileExists(atPath: m) { out.append((m, folder.appendingPathComponent(f).path)); break }
                }
            }
        }
        return out
    }

    func testGradientsMatchPyTorchAutograd() throws {
        let registry = standardRegistry()
        let cases = Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 1, "no gradient references (run scripts/test.sh)")
        var compared = 0
        for c in cases {
            let name = URL(fileURLWithPath: c.grad).lastPathComponent
            do {
                let graph = try ModelLoader.load(c.model, registry: registry)
                let ref = try NPZ.read(path: c.grad)
                let input = try XCTUnwrap(ref["input"]), targets = try XCTUnwrap(ref["target"]).ints()
                let layer = String(decoding: try XCTUnwrap(ref["layer_value"]).intValues().map { UInt8($0) }, as: UTF8.self)
                let classes = try XCTUnwrap(graph.outputs.first).name
                // Seed: one-hot of each image's target class at the logits.
                let width = 1000
                var seed = [Float](repeating: 0, count: targets.count * width)
                for (b, t) in targets.enumerated() { seed[b * width + Int(t)] = 1 }
                let walker = BackwardWalker(graph: graph, registry: registry)
                let grads = try walker.gradients(feeds: ["input": input],
                                                 seeds: [classes: try Tensor(shape: [targets.count, width], floats: seed)],
                                                 read: ["input", layer])
                assertClose(try XCTUnwrap(grads["input"]), try XCTUnwrap(ref["grad_input"]), rtol: 1e-4, atol: 0, "\(name) d/dinput")
                assertClose(try XCTUnwrap(grads[layer]), try XCTUnwrap(ref["grad_layer"]), rtol: 1e-4, atol: 0, "\(name) d/d\(layer)")
                compared += 1
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
        print("gradients: \(compared) models match PyTorch autograd")
    }
}
