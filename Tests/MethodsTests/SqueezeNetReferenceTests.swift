import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// cfcam's CAMs against pytorch-grad-cam 1.5.7 on the committed squeezenet1_1 (fixtures/cam/generate.py):
/// layer `features` (512 x 13 x 13; Score-CAM: the last Fire's 64-channel squeeze ReLU), batch 2,
/// default (top-1) targets unless named.
final class SqueezeNetReferenceTests: XCTestCase {
    static let modelPath = fixturesURL("models/squeezenet1_1_op17.onnx").path

    func load() throws -> (ExplainModel, Tensor, CAMReference) {
        let registry = standardRegistry()
        let graph = try ModelLoader.load(Self.modelPath, registry: registry)
        let model = try ExplainModel(graph: graph, registry: registry)
        let io = try NPZ.read(path: fixturesURL("models/squeezenet1_1_op17.io.npz").path)
        guard let x = io["input"], let ref = try CAMReference(fixturesURL("cam/squeezenet1_1.cam.npz")) else {
            throw ExplainError("missing squeezenet fixtures")
        }
        return (model, x, ref)
    }

    func check(_ method: String, case name: String? = nil, target: Target = .top1, batchSize: Int = 64,
               parameters: MethodParameters = MethodParameters()) throws {
        let (model, x, ref) = try load()
        try checkReference(method, key: name ?? method, model: model, input: x, ref: ref, label: "squeezenet1_1",
                           target: target, batchSize: batchSize, parameters: parameters)
    }

    func testGradCAM() throws { try check("gradcam") }
    func testGradCAMPlusPlus() throws { try check("gradcam++") }
    func testXGradCAM() throws { try check("xgradcam") }
    func testHiResCAM() throws { try check("hirescam") }
    func testLayerCAM() throws { try check("layercam") }
    func testEigenCAM() throws { try check("eigencam") }
    func testAblationCAM() throws { try check("ablationcam") }
    func testScoreCAM() throws { try check("scorecam") }
    /// The official Score-CAM (probabilities, no channel softmax, align_corners=False masks), against
    /// the generator's transcription of haofanwang/Score-CAM.
    func testScoreCAMOfficial() throws {
        try check("scorecam", case: "scorecam.official", parameters: MethodParameters(["variant": "official"]))
    }

    func testGradCAMGivenClass() throws {
        let (_, _, ref) = try load()
        let second = try ref.ints("contrast.second")
        // pytorch-grad-cam used the second-best class of each image; a per-image class needs a function target.
        let target = Target.function(ScalarFunction(name: "second-best") { row, b in
            var g = [Float](repeating: 0, count: row.count); g[second[b]] = 1
            return (row[second[b]], g)
        })
        try check("gradcam", case: "gradcam.class", target: target)
    }

    func testGradCAMContrastTopVsSecond() throws {
        let (model, x, ref) = try load()
        let top = try ref.ints("targets"), second = try ref.ints("contrast.second")
        // Per image b: z_top − z_second, through Target.contrast one image at a time.
        for b in 0..<2 {
            let xb = try Tensor(shape: [1, 3, 224, 224], floats: Array(try x.floats()[(b * 150528)..<((b + 1) * 150528)]))
            let request = ExplainRequest(input: xb, target: .contrast(top[b], second[b]), layers: try ref.layers("gradcam.contrast"))
            let got = try MapBatch(try GradCAM().explain(request, model: model))
            let want = try ref.map("gradcam.contrast")
            let wantB = try MapBatch(n: 1, h: 224, w: 224, values: Array(want.map(b)))
            assertAgrees(got, wantB, "squeezenet1_1 gradcam.contrast image \(b)")
        }
    }

    /// `auto`: the input of the GlobalAveragePool, the classifier's ReLU (1000 x 13 x 13).
    func testAutoLayer() throws {
        let (model, _, _) = try load()
        XCTAssertEqual(try LayerResolver.resolve([.auto], model: model), ["/classifier/classifier.2/Relu_output_0"])
    }

    func testGradCAMTwoLayersAggregated() throws { try check("gradcam", case: "gradcam.multilayer") }

    /// Grad-CAM with pytorch-grad-cam's SimilarityToConceptTarget pattern on an FC-less embedding
    /// model: squeezenet cut after `features` + GlobalAveragePool + Flatten ("embedding" [N, 512]),
    /// cosine similarity to the embedding of image 0 flipped left-right.
    func testGradCAMSimilarityOnEmbeddingModel() throws {
        let (full, x, ref) = try load()
        let layer = try ref.text("similarity.layers")
        var g = full.graph
        guard let cut = g.nodes.firstIndex(where: { $0.outputs.contains(layer) }) else { throw ExplainError("no \(layer)") }
        g.nodes = Array(g.nodes[...cut]) + [
            Node(name: "gap", opType: "GlobalAveragePool", inputs: [layer], outputs: ["pooled"]),
            Node(name: "flatten", opType: "Flatten", inputs: ["pooled"], outputs: ["embedding"], attributes: ["axis": .int(1)]),
        ]
        g.outputs = [ValueInfo(name: "embedding", shape: [.symbol("N"), .fixed(512)])]
        let model = try ExplainModel(graph: g, registry: full.registry)
        // The reference image: image 0 mirrored along W.
        let v = try x.floats()
        var flipped = [Float](repeating: 0, count: 150528)
        for c in 0..<3 { for y in 0..<224 { for xx in 0..<224 { flipped[(c * 224 + y) * 224 + xx] = v[(c * 224 + y) * 224 + 223 - xx] } } }
        let target = try Target.similarity(toImage: Tensor(shape: [1, 3, 224, 224], floats: flipped), metric: .cosine, model: model)
        if case .similarity(let e, _) = target.kind, let want = ref.arrays["similarity.reference"] {
            assertClose(Tensor(unchecked: [512], floats: e), want, rtol: 1e-4, atol: 1e-5, "reference embedding")
        }
        let request = ExplainRequest(input: x, target: target, layers: [.named(layer)])
        let got = try MapBatch(try GradCAM().explain(request, model: model))
        assertAgrees(got, try ref.map("similarity"), "squeezenet1_1 similarity gradcam")
    }
}
