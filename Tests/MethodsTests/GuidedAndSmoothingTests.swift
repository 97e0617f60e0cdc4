import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// Augmentation smoothing, eigen smoothing, guided backpropagation and Guided Grad-CAM against
/// pytorch-grad-cam 1.5.7 on the committed squeezenet1_1 (scripts/reference/guided_smooth_refs.py,
/// fixtures/cam-extra/squeezenet1_1.npz): layer `features`, batch 2, the top-1 classes as explicit
/// targets. Maps are compared as the other CAM references (Pearson >= 0.999, max |diff| <= 1e-3);
/// gradients as the gradient conformance tests (Pearson >= 0.9999, >= 99% of elements within
/// 1e-4 of max |reference|, max |diff| <= 1% of it).
final class GuidedAndSmoothingTests: XCTestCase {
    struct Fixture {
        let model: ExplainModel, input: Tensor, ref: CAMReference, layer: LayerSpec
    }

    func load() throws -> Fixture {
        let registry = standardRegistry()
        let graph = try ModelLoader.load(fixturesURL("models/squeezenet1_1_op17.onnx").path, registry: registry)
        let model = try ExplainModel(graph: graph, registry: registry)
        let io = try NPZ.read(path: fixturesURL("models/squeezenet1_1_op17.io.npz").path)
        guard let x = io["input"], let ref = try CAMReference(fixturesURL("cam-extra/squeezenet1_1.npz")) else {
            throw ExplainError("missing fixtures: fixtures/cam-extra/squeezenet1_1.npz (scripts/reference/guided_smooth_refs.py)")
        }
        return Fixture(model: model, input: x, ref: ref, layer: .named(try ref.text("layer")))
    }

    /// The reference's explicit targets (pytorch-grad-cam's ClassifierOutputTarget per image) are
    /// the top-1 classes; check that, then explain with `top1`.
    func request(_ f: Fixture) throws -> ExplainRequest {
        let z = try f.model.forward(f.input).floats()
        let top = (0..<2).map { b in (0..<1000).max { z[b * 1000 + $0] < z[b * 1000 + $1] }! }
        XCTAssertEqual(top, try f.ref.ints("targets"))
        return ExplainRequest(input: f.input, target: .top1, layers: [f.layer])
    }

    /// A signed reference [N, C, H, W] from int16 values and per-image scales.
    func signed(_ ref: CAMReference, _ key: String) throws -> (values: [Float], per: Int) {
        guard let v = ref.arrays["\(key).values"], let s = ref.arrays["\(key).scale"] else { throw ExplainError("reference has no \(key)") }
        let scale = try s.floats(), ints = v.intValues()
        let per = ints.count / v.shape[0]
        return (ints.indices.map { Float(ints[$0]) * scale[$0 / per] }, per)
    }

    func assertGradientAgrees(_ got: [Float], _ want: [Float], per: Int, _ what: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        guard got.count == want.count else { return }
        for b in 0..<(want.count / per) {
            let a = Array(got[(b * per)..<((b + 1) * per)]), w = Array(want[(b * per)..<((b + 1) * per)])
            let r = SignedAgreement(a, w)
            print(String(format: "%@ image %d: pearson %.7f, %.2f%% within 1e-4 x max, max diff %.3g of max", what, b,
                         r.pearson, r.fractionClose * 100, r.maxRelative))
            XCTAssertGreaterThanOrEqual(r.pearson, 0.9999, "\(what) image \(b)", file: file, line: line)
            XCTAssertGreaterThanOrEqual(r.fractionClose, 0.99, "\(what) image \(b)", file: file, line: line)
            XCTAssertLessThanOrEqual(r.maxRelative, 0.01, "\(what) image \(b)", file: file, line: line)
        }
    }

    func testAugmentationSmoothedGradCAMMatchesPytorchGradCAM() throws {
        let f = try load()
        let entry = try MethodRegistry.builtin.entry(named: "gradcam")
        let method = AugmentedMethod.wrap(try entry.method(), entry: entry)
        let got = try MapBatch(try method.explain(try request(f), model: f.model))
        assertAgrees(got, try f.ref.map("gradcam.aug"), "squeezenet1_1 gradcam aug_smooth")
        // pytorch-grad-cam does not min-max the mean of the six maps.
        XCTAssertGreaterThan(got.values.min() ?? 0, 0.01)
        XCTAssertLessThan(got.values.max() ?? 1, 0.99)
    }

    func testEigenSmoothedGradCAMMatchesPytorchGradCAM() throws {
        let f = try load()
        let method = try MethodRegistry.builtin.entry(named: "gradcam").eigenSmoothed()
        let got = try MapBatch(try method.explain(try request(f), model: f.model))
        assertAgrees(got, try f.ref.map("gradcam.eigen"), "squeezenet1_1 gradcam eigen_smooth")
    }

    func testEigenSmoothedGradCAMPlusPlusMatchesPytorchGradCAM() throws {
        let f = try load()
        let method = try MethodRegistry.builtin.entry(named: "gradcam++").eigenSmoothed()
        let got = try MapBatch(try method.explain(try request(f), model: f.model))
        assertAgrees(got, try f.ref.map("gradcam++.eigen"), "squeezenet1_1 gradcam++ eigen_smooth")
    }

    func testGuidedBackpropMatchesPytorchGradCAM() throws {
        let f = try load()
        var r = try request(f)
        r.layers = [.auto]
        let got = try MethodRegistry.builtin.method(named: "guidedbackprop").explain(r, model: f.model)
        XCTAssertEqual(got.shape, [2, 3, 224, 224])
        let (want, per) = try signed(f.ref, "guidedbackprop")
        assertGradientAgrees(try got.floats(), want, per: per, "squeezenet1_1 guidedbackprop")
        // Guided, not the plain gradient: they differ on this model.
        let plain = try RawGradient().explain(r, model: f.model).floats()
        XCTAssertLessThan(SignedAgreement(plain, want).pearson, 0.99)
    }

    func testGuidedGradCAMMatchesPytorchGradCAMProduct() throws {
        let f = try load()
        let got = try MethodRegistry.builtin.method(named: "guidedgradcam").explain(try request(f), model: f.model)
        XCTAssertEqual(got.shape, [2, 3, 224, 224])
        // cam.py: cv2.merge([grayscale_cam] * 3) * gb, per image.
        let (gb, per) = try signed(f.ref, "guidedbackprop")
        let cam = try f.ref.map("guidedgradcam.cam")
        let hw = 224 * 224
        let want = gb.indices.map { i in gb[i] * cam.values[(i / per) * hw + i % hw] }
        assertGradientAgrees(try got.floats(), want, per: per, "squeezenet1_1 guidedgradcam")
    }

    func testEigenSmoothingRejectsMethodsWithoutChannelWeights() throws {
        for name in ["layercam", "hirescam", "eigencam", "saliency"] {
            XCTAssertThrowsError(try MethodRegistry.builtin.entry(named: name).eigenSmoothed()) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("eigen smoothing applies to channel-weight CAMs ("), text)
                XCTAssertTrue(text.contains("gradcam, gradcam++, xgradcam"), text)
                XCTAssertTrue(text.contains("\(name) is not one"), text)
            }
        }
        // Score-CAM's map is a weighted sum of channels too (softmax-of-scores weights), as in
        // pytorch-grad-cam, where eigen_smooth applies to it.
        XCTAssertTrue(try MethodRegistry.builtin.entry(named: "scorecam").eigenSmoothed() is EigenSmoothedCAM)
    }

    /// A signed stand-in method: row r's map is 2·x[r, 0] − 1 + j (j the column), so flips and
    /// factors are visible, and the values leave [0, 1]. It insists on a fixed class target.
    struct SignedStub: ExplanationMethod {
        func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
            guard case .classIndex(7) = request.target.kind else { throw ExplainError("target not fixed to class 7") }
            let (n, h, w) = try request.inputSize()
            let c = request.input.shape[1], x = try request.input.floats()
            var out = [Float](repeating: 0, count: n * h * w)
            for r in 0..<n { for i in 0..<h { for j in 0..<w {
                out[(r * h + i) * w + j] = 2 * x[((r * c) * h + i) * w + j] - 1 + Float(j)
            } } }
            return try Tensor(shape: [n, h, w], floats: out)
        }
    }

    func testAugmentedSignedMethodAveragesWithoutRenormalising() throws {
        let f = try load()
        let (n, c, h, w) = (2, 3, 4, 5)
        let x = (0..<(n * c * h * w)).map { Float(($0 * 37) % 11) / 5 - 1 }
        let request = ExplainRequest(input: try Tensor(shape: [n, c, h, w], floats: x), target: .classIndex(7))
        let gradientEntry = try MethodRegistry.builtin.entry(named: "gradient")
        let wrapped = AugmentedMethod.wrap(SignedStub(), entry: gradientEntry)
        XCTAssertEqual((wrapped as? AugmentedMethod)?.renormalise, false)
        let got = try wrapped.explain(request, model: f.model).floats()
        // Mean over {flip, no flip} x {0.9, 1, 1.1}: a flipped copy's map, flipped back, reads column
        // w−1−j's position offset; the factors average to 1.
        for b in 0..<n { for i in 0..<h { for j in 0..<w {
            let v = x[((b * c) * h + i) * w + j]
            let want = 2 * v - 1 + Float(j + (w - 1 - j)) / 2
            XCTAssertEqual(got[(b * h + i) * w + j], want, accuracy: 1e-5)
        } } }
        XCTAssertLessThan(got.min() ?? 0, 0)
        XCTAssertGreaterThan(got.max() ?? 0, 1)
        // renormalise: true min-maxes each image's mean instead.
        let stretched = try AugmentedMethod(base: SignedStub(), renormalise: true).explain(request, model: f.model).floats()
        XCTAssertEqual(stretched.min() ?? -1, 0, accuracy: 1e-6)
        XCTAssertEqual(stretched.max() ?? 0, 1, accuracy: 1e-5)
    }

    /// The guided rules element by element: Relu; Clip(0, 6) as a rectifier; Clip(−1, 1) keeps its
    /// plain gradient.
    func testGuidedRegistryRules() throws {
        let registry = GuidedBackprop.guidedRegistry(standardRegistry(), opset: 17)
        func vjp(_ op: String, _ x: [Float], _ g: [Float], bounds: [Float] = []) throws -> [Float] {
            let def = try XCTUnwrap(registry.lookup(domain: "", opType: op, opset: 17))
            let xt = try Tensor(shape: [x.count], floats: x)
            let inputs: [Tensor?] = [xt] + bounds.map { Tensor(unchecked: [], floats: [$0]) }
            let node = Node(name: "n", opType: op, inputs: ["x"] + bounds.indices.map { "b\($0)" }, outputs: ["y"])
            let y = try def.forward(OpContext(node: node, inputs: inputs))[0]
            let ctx = BackwardContext(node: node, inputs: inputs, outputs: [y], outputGrads: [try Tensor(shape: [g.count], floats: g)],
                                      needs: [true] + bounds.map { _ in false })
            return try XCTUnwrap(try XCTUnwrap(def.vjp)(ctx)[0]).floats()
        }
        XCTAssertEqual(try vjp("Relu", [-1, 2, 3, 0.5, 0], [1, -1, 2, 3, 4]), [0, 0, 2, 3, 0])
        XCTAssertEqual(try vjp("Clip", [-1, 2, 7, 6, 3], [1, 1, 1, 2, -1], bounds: [0, 6]), [0, 1, 0, 2, 0])
        XCTAssertEqual(try vjp("Clip", [-2, 0.5, 0.5], [-1, -1, 3], bounds: [-1, 1]), [0, -1, 3])
        // The standard registry is untouched (a value).
        let plain = try XCTUnwrap(standardRegistry().lookup(domain: "", opType: "Relu", opset: 17)?.vjp)
        let node = Node(name: "n", opType: "Relu", inputs: ["x"], outputs: ["y"])
        let x = try Tensor(shape: [2], floats: [1, 2])
        let ctx = BackwardContext(node: node, inputs: [x], outputs: [x], outputGrads: [try Tensor(shape: [2], floats: [-1, 1])], needs: [true])
        XCTAssertEqual(try XCTUnwrap(try plain(ctx)[0]).floats(), [-1, 1])
    }

    func testNewMethodsAreListed() throws {
        let names = MethodRegistry.builtin.names
        XCTAssertTrue(names.contains("guidedbackprop") && names.contains("guidedgradcam"))
        XCTAssertEqual(try MethodRegistry.builtin.entry(named: "guidedbackprop").output, .gradient)
        XCTAssertEqual(try MethodRegistry.builtin.entry(named: "guidedgradcam").kind, .layer)
    }
}

/// Per-image agreement of signed arrays (the gradient conformance criteria).
struct SignedAgreement {
    let pearson: Double, fractionClose: Double, maxRelative: Double
    init(_ a: [Float], _ b: [Float]) {
        let n = Double(a.count)
        let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0, close = 0, worst = 0.0
        let scale = Double(b.map { abs($0) }.max() ?? 0)
        for i in a.indices {
            let x = Double(a[i]) - ma, y = Double(b[i]) - mb
            sab += x * y; saa += x * x; sbb += y * y
            let d = abs(Double(a[i]) - Double(b[i]))
            if d <= 1e-4 * scale { close += 1 }
            worst = max(worst, d)
        }
        pearson = sab / max((saa * sbb).squareRoot(), 1e-300)
        fractionClose = Double(close) / max(n, 1)
        maxRelative = worst / max(scale, 1e-300)
    }
}
