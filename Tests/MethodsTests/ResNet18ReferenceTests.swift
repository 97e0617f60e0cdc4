import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// cfcam's CAMs against pytorch-grad-cam 1.5.7 on resnet18 (residual adds, batch norm) at `layer4`,
/// batch 2. Needs fixtures/cache/resnet18_op17.onnx (scripts/reference/export_models.py) and
/// fixtures/cache/resnet18.cam.npz + resnet18_embedding_op17.onnx (fixtures/cam/generate.py);
/// skipped when they are absent. Score-CAM (1024 forwards) runs only with CFCAM_SLOW_TESTS=1: scripts/test.sh runs it in a release build.
final class ResNet18ReferenceTests: XCTestCase {
    func load(_ file: String = "resnet18_op17.onnx") throws -> (ExplainModel, Tensor, CAMReference) {
        let path = fixturesURL("cache/\(file)").path
        guard FileManager.default.fileExists(atPath: path),
              let ref = try CAMReference(fixturesURL("cache/resnet18.cam.npz")) else {
            throw XCTSkip("resnet18 references not generated (fixtures/cam/generate.py --only resnet18)")
        }
        let registry = standardRegistry()
        let model = try ExplainModel(graph: try ModelLoader.load(path, registry: registry), registry: registry)
        let io = try NPZ.read(path: fixturesURL("cache/resnet18_op17.io.npz").path)
        guard let x = io["input"] else { throw ExplainError("no input in resnet18_op17.io.npz") }
        return (model, x, ref)
    }

    func check(_ method: String, case name: String? = nil) throws {
        let (model, x, ref) = try load()
        try checkReference(method, key: name ?? method, model: model, input: x, ref: ref, label: "resnet18")
    }

    func testGradCAM() throws { try check("gradcam") }
    func testGradCAMPlusPlus() throws { try check("gradcam++") }
    func testXGradCAM() throws { try check("xgradcam") }
    func testHiResCAM() throws { try check("hirescam") }
    func testLayerCAM() throws { try check("layercam") }
    func testEigenCAM() throws { try check("eigencam") }
    func testAblationCAM() throws { try check("ablationcam") }
    func testGradCAMLayer3AndLayer4() throws { try check("gradcam", case: "gradcam.multilayer") }

    func testScoreCAM() throws {
        guard getenvString("CFCAM_SLOW_TESTS") == "1" else { throw XCTSkip("set CFCAM_SLOW_TESTS=1 (1024 resnet18 forwards)") }
        try check("scorecam")
    }

    /// `auto` finds layer4's output (the input of the global average pool).
    func testAutoLayerIsLayer4() throws {
        let (model, _, ref) = try load()
        XCTAssertEqual(try LayerResolver.resolve([.auto], model: model), [try ref.text("gradcam.layers")])
    }

    /// CAM (fc weights) equals Grad-CAM for a GAP → fc head (the gradient at layer4 is W_c / 49).
    func testCAMEqualsGradCAM() throws {
        let (model, x, ref) = try load()
        let request = ExplainRequest(input: x, layers: [.auto])
        let cam = try MapBatch(try ClassActivationMap().explain(request, model: model))
        assertAgrees(cam, try ref.map("gradcam"), "resnet18 cam vs pytorch-grad-cam gradcam")
    }

    /// Grad-CAM with a cosine similarity target on resnet18 with fc = Identity, exported as its own
    /// ONNX (output "embedding" [N, 512]); the reference embedding is that of image 0 mirrored.
    func testGradCAMSimilarityOnEmbeddingModel() throws {
        let (model, x, ref) = try load(try CAMReference(fixturesURL("cache/resnet18.cam.npz")).map { try $0.text("similarity.model") } ?? "")
        guard let e = ref.arrays["similarity.reference"] else { throw ExplainError("no reference embedding") }
        XCTAssertEqual(model.outputName, "embedding")
        let request = ExplainRequest(input: x, target: .similarity(to: try e.floats(), metric: .cosine),
                                     layers: try ref.layers("similarity"))
        let got = try MapBatch(try GradCAM().explain(request, model: model))
        assertAgrees(got, try ref.map("similarity"), "resnet18 similarity gradcam")
    }
}
