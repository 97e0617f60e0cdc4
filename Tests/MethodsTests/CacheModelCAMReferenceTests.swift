import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// Gradient CAMs against pytorch-grad-cam 1.5.7 on a MobileNet-style net (mobilenet_v2: depthwise
/// convolutions, ReLU6) and a VGG-style net (vgg16_bn) at `features`, batch 2. The references are
/// generated into fixtures/cache by scripts/test.sh (fixtures/cam/generate.py --only mobilenet_v2,vgg16_bn).
final class CacheModelCAMReferenceTests: XCTestCase {
    static let methods = ["gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "eigencam"]

    func check(_ name: String) throws {
        let path = fixturesURL("cache/\(name)_op17.onnx").path
        guard let ref = try CAMReference(fixturesURL("cache/\(name).cam.npz")) else {
            return XCTFail("\(name).cam.npz missing: run scripts/test.sh (fixtures/cam/generate.py --only \(name))")
        }
        let registry = standardRegistry()
        let model = try ExplainModel(graph: try ModelLoader.load(path, registry: registry), registry: registry)
        let io = try NPZ.read(path: fixturesURL("cache/\(name)_op17.io.npz").path)
        let x = try XCTUnwrap(io["input"])
        for method in Self.methods {
            try checkReference(method, key: method, model: model, input: x, ref: ref, label: name)
        }
    }

    func testMobileNetV2() throws { try check("mobilenet_v2") }
    func testVGG16BN() throws { try check("vgg16_bn") }
}
