import Graph
@testable import Methods
import Rules
import XCTest

/// Methods on the small in-code CNN: layer resolution, registry, and perturbation methods against
/// direct one-at-a-time computations.
final class TinyModelMethodTests: XCTestCase {
    func testAutoLayerAndErrors() throws {
        let model = try TinyModel.model()
        XCTAssertEqual(try LayerResolver.resolve([.auto], model: model), ["relu2"])
        XCTAssertEqual(try LayerResolver.resolve([LayerSpec("relu1"), LayerSpec("auto"), .named("relu1")], model: model), ["relu1", "relu2"])
        XCTAssertThrowsError(try LayerResolver.resolve([.named("nope")], model: model))
        // A 2-D layer is not a feature map.
        let request = ExplainRequest(input: TinyModel.input(), layers: [.named("flat")])
        XCTAssertThrowsError(try GradCAM().explain(request, model: model)) { e in
            XCTAssertTrue("\(e)".contains("spatial feature map"), "\(e)")
        }
    }

    func testMapsAreNormalisedAtInputSize() throws {
        let model = try TinyModel.model()
        // FAM explains a similarity between embeddings, not a class: FAMTests cover its maps.
        // Guided Grad-CAM is a layer method with a gradient-shaped output (GuidedAndSmoothingTests).
        for name in MethodRegistry.builtin.entries.filter({ $0.kind == .layer && $0.output == .map && !$0.needsSimilarity }).map(\.name) {
            let m = try MethodRegistry.builtin.method(named: name)
            let t = try m.explain(ExplainRequest(input: TinyModel.input(), batchSize: 2), model: model)
            XCTAssertEqual(t.shape, [2, 6, 6], name)
            let v = try t.floats()
            // Group-CAM and CF-CAM are all zeros when no group / channel mask raises the class
            // probability over the blurred input.
            if (name == "groupcam" || name == "cfcam") && v.max() == 0 { continue }
            XCTAssertEqual(v.max() ?? 0, 1, accuracy: 1e-5, name)
            XCTAssertEqual(v.min() ?? 1, 0, accuracy: 1e-6, name)
        }
    }

    func testCAMEqualsGradCAMForGapFcHead() throws {
        let model = try TinyModel.model()
        let r = ExplainRequest(input: TinyModel.input(), target: .contrast(1, 3))
        let cam = try ClassActivationMap().explain(r, model: model), grad = try GradCAM().explain(r, model: model)
        assertAgrees(try MapBatch(cam), try MapBatch(grad), "tiny cam vs gradcam")
    }

    func testRegistryListsBuiltinsAndAcceptsUserMethods() throws {
        XCTAssertEqual(Array(MethodRegistry.builtin.names.prefix(10)),
                       ["cam", "gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "eigencam", "scorecam", "ablationcam", "groupcam"])
        struct Constant: ExplanationMethod {
            func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
                let (n, h, w) = try request.inputSize()
                return Tensor(unchecked: [n, h, w], floats: [Float](repeating: 0.5, count: n * h * w))
            }
        }
        var registry = MethodRegistry.builtin
        XCTAssertNil(registry.register(MethodRegistry.Entry(name: "test-constant", summary: "constant", kind: .input) { _ in Constant() }))
        XCTAssertTrue(registry.names.contains("test-constant"))
        XCTAssertFalse(MethodRegistry.builtin.names.contains("test-constant"), "a registry is a value: the built-in list is untouched")
        let t = try registry.method(named: "test-constant").explain(ExplainRequest(input: TinyModel.input()), model: try TinyModel.model())
        XCTAssertEqual(try t.floats().first, 0.5)
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "no-such-method"))
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "scorecam", parameters: MethodParameters(["varaint": "official"])))
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "scorecam", parameters: MethodParameters(["variant": "paper"])))
    }

    /// Score-CAM weights, batched (batch 3 over 3 channels → batches of 3) equal one forward per
    /// masked input, computed here directly; progress reaches N·K.
    func testScoreCAMBatchesMatchSingleForwards() throws {
        let model = try TinyModel.model()
        let x = TinyModel.input()
        let cap = try LayerCapture.run(model: model, input: x, layers: ["relu2"], target: .top1, gradients: false)
        let a = try FeatureMap(XCTUnwrap(cap.activations["relu2"]), name: "relu2")
        let counter = Counter()
        for variant in ScoreCAM.Variant.allCases {
            let request = ExplainRequest(input: x, batchSize: 2, progress: { done, total in counter.record(done, total) })
            let ctx = CAMContext(request: request, model: model, capture: cap)
            let weights = try ScoreCAM(variant: variant).channelWeights(LayerValues(name: "relu2", activation: a, gradient: nil), context: ctx)
            let xs = try x.floats()
            for b in 0..<2 {
                var scores: [Float] = []
                for k in 0..<3 {
                    // Same-size 6x6 layer: the up-sampled mask is the channel itself.
                    let ch = Array(a.channel(b, k)), lo = ch.min()!, hi = ch.max()!
                    let mask = ch.map { variant == .official ? ($0 - lo) / (hi - lo) : ($0 - lo) / (hi - lo + 1e-8) }
                    let masked = (0..<72).map { xs[b * 72 + $0] * mask[$0 % 36] }
                    let z = try model.forward(Tensor(unchecked: [1, 2, 6, 6], floats: masked)).floats()
                    let c = cap.targets[b].classIndex!
                    if variant == .official {
                        let e = z.map { exp(Double($0)) }
                        scores.append(Float(e[c] / e.reduce(0, +)))
                    } else { scores.append(z[c]) }
                }
                let want = variant == .official ? scores : softmax(scores)
                for k in 0..<3 { XCTAssertEqual(weights[b * 3 + k], want[k], accuracy: 1e-5, "\(variant) b\(b) k\(k)") }
            }
            XCTAssertEqual(counter.last, [6, 6])
        }
    }

    /// Ablation-CAM weights equal (y − y_k)/y with y_k from a forward of the layer with channel k zeroed.
    func testAblationCAMWeights() throws {
        let model = try TinyModel.model()
        let x = TinyModel.input()
        let cap = try LayerCapture.run(model: model, input: x, layers: ["relu2"], target: .top1, gradients: false)
        let a = try FeatureMap(XCTUnwrap(cap.activations["relu2"]), name: "relu2")
        let ctx = CAMContext(request: ExplainRequest(input: x, batchSize: 2), model: model, capture: cap)
        let w = try AblationCAM().channelWeights(LayerValues(name: "relu2", activation: a, gradient: nil), context: ctx)
        for b in 0..<2 {
            let item = Array(a.values[(b * 108)..<((b + 1) * 108)])
            let ablated: Float = item.min() == 0 ? 0 : item.min()! - 1e7
            for k in 0..<3 {
                var v = item
                for p in 0..<36 { v[k * 36 + p] = ablated }
                let z = try model.run(["relu2": Tensor(unchecked: [1, 3, 6, 6], floats: v)], fetch: ["logits"])["logits"]!.floats()
                let c = cap.targets[b].classIndex!, y = cap.scores[b]
                XCTAssertEqual(w[b * 3 + k], (y - z[c]) / y, accuracy: 1e-4, "b\(b) k\(k)")
            }
        }
    }

    /// Group-CAM's α_g = ReLU(p_c(X ⊙ M_g + B(X) ⊙ (1 − M_g)) − p_c(B(X))), one group per channel,
    /// recomputed directly with single forwards (6x6 layer = input size: M_g is the minmaxed S_g).
    func testGroupCAMMatchesDirectComputation() throws {
        let model = try TinyModel.model()
        let x = TinyModel.input()
        let blur = try GaussianBlur(size: 3, sigma: 1)
        let method = try GroupCAM(groups: 3, blur: blur)
        var nonzero = 0
        for cls in 0..<5 {
            let request = ExplainRequest(input: x, target: .classIndex(cls), batchSize: 2)
            let cap = try LayerCapture.run(model: model, input: x, layers: ["relu2"], target: request.target, gradients: true)
            let layer = LayerValues(name: "relu2", activation: try FeatureMap(XCTUnwrap(cap.activations["relu2"]), name: "relu2"),
                                    gradient: try FeatureMap(XCTUnwrap(cap.gradients["relu2"]), name: "relu2"))
            let ctx = CAMContext(request: request, model: model, capture: cap)
            let got = try method.rawMap(layer, context: ctx).values
            let w = try GradCAM().channelWeights(layer, context: ctx)
            let xs = try x.floats()
            for b in 0..<2 {
                let c = cap.targets[b].classIndex!
                func p(_ img: [Float]) throws -> Float {
                    let z = try model.forward(Tensor(unchecked: [1, 2, 6, 6], floats: img)).floats().map(Double.init)
                    let m = z.max()!
                    return Float(exp(z[c] - m) / z.map { exp($0 - m) }.reduce(0, +))
                }
                let img = Array(xs[(b * 72)..<((b + 1) * 72)])
                let blurred = blur.apply(img, h: 6, w: 6)
                let base = try p(blurred)
                var want = [Float](repeating: 0, count: 36)
                for k in 0..<3 {
                    let s = layer.activation.channel(b, k).map { max($0 * w[b * 3 + k], 0) }
                    let lo = s.min()!, hi = s.max()!
                    let m = s.map { hi > lo ? ($0 - lo) / (hi - lo) : 0 }
                    let alpha = max(try p((0..<72).map { img[$0] * m[$0 % 36] + blurred[$0] * (1 - m[$0 % 36]) }) - base, 0)
                    if alpha > 0 { nonzero += 1 }
                    for i in 0..<36 { want[i] += alpha * s[i] }
                }
                for i in 0..<36 { XCTAssertEqual(got[b * 36 + i], want[i], accuracy: 1e-6, "class \(cls) b\(b) i\(i)") }
            }
        }
        XCTAssertGreaterThan(nonzero, 0, "the check needs some group with a positive score gain")
    }

    func testGaussianBlurMatchesDirectConvolutionWithReflect() throws {
        let blur = try GaussianBlur(size: 5, sigma: 1.5)
        let h = 4, w = 7
        let img = TinyModel.values(h * w, seed: 11)
        let out = blur.apply(img, h: h, w: w)
        // Direct 2-D sum with torch-style reflect indices (−1 → 1, n → n − 2).
        func r(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i) }
        let g = (0..<5).map { exp(-Double(($0 - 2) * ($0 - 2)) / 4.5) }, s = g.reduce(0, +)
        for y in 0..<h { for x in 0..<w {
            var v = 0.0
            for i in 0..<5 { for j in 0..<5 { v += g[i] / s * g[j] / s * Double(img[r(y + i - 2, h) * w + r(x + j - 2, w)]) } }
            XCTAssertEqual(out[y * w + x], Float(v), accuracy: 1e-5)
        } }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var last: [Int] = []
    func record(_ done: Int, _ total: Int) { lock.lock(); last = [done, total]; lock.unlock() }
}
