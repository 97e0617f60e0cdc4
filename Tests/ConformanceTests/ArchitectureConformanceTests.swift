import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// torchvision state_dicts saved as .npz (scripts/reference/export_state_dicts.py) load into the
/// built-in architectures and reproduce the independent references: onnxruntime's outputs on the
/// ONNX export of the same seeded model, or PyTorch's own outputs for architectures not exported.
final class ArchitectureConformanceTests: XCTestCase {
    /// (architecture, reference io file name) — the first six share the ONNX path's references.
    static let cases: [(arch: String, io: String)] = [
        ("resnet18", "resnet18_op17.io.npz"), ("resnet50", "resnet50_op17.io.npz"),
        ("vgg16_bn", "vgg16_bn_op17.io.npz"), ("densenet121", "densenet121_op17.io.npz"),
        ("mobilenet_v2", "mobilenet_v2_op17.io.npz"), ("squeezenet1_1", "squeezenet1_1_op17.io.npz"),
        ("resnet34", "resnet34.torch.io.npz"), ("vgg11", "vgg11.torch.io.npz"),
        ("vgg11_bn", "vgg11_bn.torch.io.npz"), ("vgg16", "vgg16.torch.io.npz"), ("alexnet", "alexnet.torch.io.npz"),
    ]

    static func find(_ file: String) -> String? {
        for dir in ["cache", "models"] {
            let p = fixturesURL("\(dir)/\(file)").path
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    func testBuiltInArchitecturesMatchTheReferences() throws {
        let registry = standardRegistry()
        var compared = 0
        for c in Self.cases {
            guard let weights = Self.find("\(c.arch).state_dict.npz"), let ioPath = Self.find(c.io) else {
                XCTFail("\(c.arch): reference files missing; run scripts/test.sh (export_models.py, export_state_dicts.py)")
                continue
            }
            do {
                let graph = try ModelLoader.load("\(c.arch):\(weights)", registry: registry)
                let io = try NPZ.read(path: ioPath)
                let input = try XCTUnwrap(io["input"]), want = try XCTUnwrap(io["logits"])
                let out = try Executor(graph: graph, registry: registry).run(["input": input])
                let got = try XCTUnwrap(out["logits"], "\(c.arch): no logits output")
                assertClose(got, want, rtol: Tolerance.conformanceRelative, atol: 0, "\(c.arch) vs \(c.io)")
                compared += 1
            } catch {
                XCTFail("\(c.arch): \(error)")
            }
        }
        print("architectures: \(compared) of \(Self.cases.count) match their references")
    }
}
