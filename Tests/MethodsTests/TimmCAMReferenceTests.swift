import Foundation
import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// Grad-CAM through the method registry on third-party models against pytorch-grad-cam 1.5.7
/// (GradCAM, ClassifierOutputTarget(top-1)), at the ONNX value of the torch target layer:
/// timm's tf_efficientnet_b0 (`bn2`), convnext_atto (`stages.3`, and the channels-last LayerNorm
/// output [N, H, W, C] of its last block), resnet10t (`layer4`), a DeiT-style ViT at its last
/// block's `norm1` (token map [N, 1 + 6 x 6, C]; the reference drops the class token and reshapes
/// the patch tokens to 6 x 6, pytorch-grad-cam's documented recipe), resnet10t and the ViT
/// exported with a fixed batch of 1, and the trained EfficientNet-Lite0 (fixed batch 1) at its
/// last conv feature map on two photos. Per map Pearson >= 0.9999 and max |diff| <= 1e-3 (maps
/// in [0, 1]).
/// Also Zennit's LRP (epsilon-plus-flat, epsilon-gamma-box) on resnet10t.
///
/// A fixed-batch model takes one image per forward; a request of two images must still give
/// both maps (`test*FixedBatchTwoImages`, `testRealEfficientNetLite0TwoPhotos`).
/// References: scripts/reference/timm_exports.py and real_model.py (scripts/test.sh).
final class TimmCAMReferenceTests: XCTestCase {
    static let minPearson = 0.9999
    static let maxDiff: Float = 1e-3

    /// Images `range` of a batch [N, ...].
    func images(_ t: Tensor, _ range: Range<Int>) -> Tensor {
        let per = t.shape.dropFirst().reduce(1, *)
        let v = t.floatValues()
        return Tensor(unchecked: [range.count] + Array(t.shape.dropFirst()), floats: Array(v[(range.lowerBound * per)..<(range.upperBound * per)]))
    }

    func explainModel(_ model: ThirdPartyModel) throws -> ExplainModel {
        let registry = standardRegistry()
        return try ExplainModel(graph: try ModelLoader.load(model.onnx.path, registry: registry), registry: registry)
    }

    /// cfcam's Grad-CAM at `layer` on `input` against reference maps `want` (images `range` of case `key`).
    func checkGradCAM(_ model: ExplainModel, input: Tensor, layer: String, ref: CAMReference, key: String,
                      range: Range<Int>? = nil, label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let method = try MethodRegistry.builtin.method(named: "gradcam")
        let request = ExplainRequest(input: input, target: .top1, layers: [.named(layer)])
        let got = try MapBatch(try method.explain(request, model: model))
        var want = try ref.map(key)
        if let range {
            want = try MapBatch(n: range.count, h: want.h, w: want.w,
                                values: Array(want.values[(range.lowerBound * want.h * want.w)..<(range.upperBound * want.h * want.w)]))
        }
        XCTAssertEqual([got.n, got.h, got.w], [want.n, want.h, want.w], "\(label): map shape", file: file, line: line)
        guard got.n == want.n, got.h == want.h, got.w == want.w else { return }
        for b in 0..<got.n {
            let r = MapAgreement(got.map(b), want.map(b))
            print("timm grad-cam \(label) image \(b): \(r)")
            XCTAssertGreaterThanOrEqual(r.pearson, Self.minPearson, "\(label) image \(b): \(r)", file: file, line: line)
            XCTAssertLessThanOrEqual(r.maxDiff, Self.maxDiff, "\(label) image \(b): \(r)", file: file, line: line)
        }
    }

    /// The Grad-CAM cases of a timm model whose value layout is `layout`, on the batch-2 reference input.
    func checkTimm(_ name: String, layout: String = "NCHW") throws {
        let m = try ThirdPartyModels.model("timm", name)
        try ThirdPartyModels.requireGenerated(m)
        let ref = try XCTUnwrap(try CAMReference(try XCTUnwrap(m.cam)))
        let model = try explainModel(m)
        let input = try XCTUnwrap(ref.arrays["input"])
        XCTAssertEqual(m.cams.first?.layer, m.camLayer)
        let cases = m.cams.filter { $0.layout == layout }
        XCTAssertFalse(cases.isEmpty, "\(name): no \(layout) case in the manifest")
        for c in cases {
            try checkGradCAM(model, input: input, layer: c.layer, ref: ref, key: c.key, label: "\(name) \(c.key) (\(c.layout))")
        }
    }

    func testTfEfficientNetB0() throws { try checkTimm("tf_efficientnet_b0") }
    func testConvNeXtAtto() throws { try checkTimm("convnext_atto") }
    /// A channels-last value [N, H, W, C] (the LayerNorm inside ConvNeXt's last block, between its
    /// Transposes); pytorch-grad-cam permutes it to [N, C, H, W].
    func testConvNeXtAttoChannelsLast() throws { try checkTimm("convnext_atto", layout: "NHWC") }
    func testResNet10t() throws { try checkTimm("resnet10t") }
    /// Token map [N, 37, 96] at the last block's norm1.
    func testViTTokenMap() throws { try checkTimm("vit_p16_96", layout: "token") }

    /// A fixed-batch timm model, its batch-2 reference input, reference and layer.
    func fixedModel(_ name: String) throws -> (ExplainModel, Tensor, CAMReference, String) {
        let m = try ThirdPartyModels.model("timm", name)
        try ThirdPartyModels.requireGenerated(m)
        XCTAssertTrue(m.fixedBatch)
        let ref = try XCTUnwrap(try CAMReference(try XCTUnwrap(m.cam)))
        return (try explainModel(m), try XCTUnwrap(ref.arrays["input"]), ref, try XCTUnwrap(m.camLayer))
    }

    /// A fixed-batch model with the one image it was exported for.
    func checkFixedOneImage(_ name: String) throws {
        let (model, input, ref, layer) = try fixedModel(name)
        try checkGradCAM(model, input: images(input, 0..<1), layer: layer, ref: ref, key: "gradcam", range: 0..<1,
                         label: "\(name) 1 image")
    }

    /// Two images on a fixed-batch model: one forward/backward per image.
    func checkFixedTwoImages(_ name: String) throws {
        let (model, input, ref, layer) = try fixedModel(name)
        try checkGradCAM(model, input: input, layer: layer, ref: ref, key: "gradcam", label: "\(name) 2 images")
    }

    func testResNet10tFixedBatchOneImage() throws { try checkFixedOneImage("resnet10t_fixed") }
    func testResNet10tFixedBatchTwoImages() throws { try checkFixedTwoImages("resnet10t_fixed") }
    func testViTFixedBatchOneImage() throws { try checkFixedOneImage("vit_p16_96_fixed") }
    func testViTFixedBatchTwoImages() throws { try checkFixedTwoImages("vit_p16_96_fixed") }

    func realModel() throws -> (ExplainModel, Tensor, CAMReference, String) {
        let m = try ThirdPartyModels.model("real", "efficientnet_lite0")
        try ThirdPartyModels.requireGenerated(m)
        let ref = try XCTUnwrap(try CAMReference(try XCTUnwrap(m.cam)))
        return (try explainModel(m), try XCTUnwrap(ref.arrays["input"]), ref, try XCTUnwrap(m.camLayer))
    }

    /// The trained model on the cat photo (its top-1: 282 tiger cat).
    func testRealEfficientNetLite0OnePhoto() throws {
        let (model, input, ref, layer) = try realModel()
        try checkGradCAM(model, input: images(input, 0..<1), layer: layer, ref: ref, key: "gradcam", label: "efficientnet_lite0 chelsea")
    }

    /// Both photos in one request on the fixed-batch model.
    func testRealEfficientNetLite0TwoPhotos() throws {
        let (model, input, ref, layer) = try realModel()
        try checkGradCAM(model, input: input, layer: layer, ref: ref, key: "gradcam.batch2", label: "efficientnet_lite0 chelsea+coffee")
    }

    /// Zennit 0.5.1 LRP on resnet10t (its BasicBlocks' residual sums canonized, BatchNorm merged;
    /// float64 reference): input relevance and the relevance at layer2's output, correlation
    /// >= 0.999 and max |diff| <= 1e-3 x max |reference|.
    func testResNet10tLRPAgreesWithZennit() throws {
        let m = try ThirdPartyModels.model("timm", "resnet10t")
        try ThirdPartyModels.requireGenerated(m)
        let registry = standardRegistry()
        let graph = try ModelLoader.load(m.onnx.path, registry: registry)
        let refs = try NPZ.read(path: try XCTUnwrap(m.lrp).path)
        let mid = try XCTUnwrap(m.lrpMid)
        var options = Composite.PresetOptions()
        options.low = Tensor(unchecked: [1, 3, 1, 1], floats: m.lrpLow)
        options.high = Tensor(unchecked: [1, 3, 1, 1], floats: m.lrpHigh)
        XCTAssertEqual(m.lrpPresets, ["epsilon-plus-flat", "epsilon-gamma-box"])
        for preset in m.lrpPresets {
            let ex = try LRPExplainer(graph: graph, registry: registry, composite: try Composite.preset(named: preset, options: options), threads: 2)
            let r = try ex.relevance(feeds: [m.input: try XCTUnwrap(refs["input"])], seeds: ["logits": try XCTUnwrap(refs["seed"])],
                                     read: [m.input, mid])
            for (value, key) in [(m.input, "\(preset).input"), (mid, "\(preset).mid")] {
                let got = try XCTUnwrap(r[value]), want = try XCTUnwrap(refs[key], key)
                XCTAssertEqual(got.shape, want.shape, key)
                let g = got.floatValues(), w = want.floatValues()
                let scale = w.map(abs).max() ?? 0
                let diff = zip(g, w).map { abs($0 - $1) }.max() ?? .infinity
                let corr = pearson(g, w)
                print(String(format: "timm zennit resnet10t %@: corr %.7f, max|diff|/max|ref| %.2e", key, corr, Double(diff / scale)))
                XCTAssertGreaterThan(scale, 0, "\(key): reference is all zeros")
                XCTAssertGreaterThanOrEqual(corr, 0.999, key)
                XCTAssertLessThanOrEqual(diff, 1e-3 * scale, key)
            }
        }
    }
}
