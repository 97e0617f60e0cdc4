import Graph
import Methods
import Rules
import TestSupport
import XCTest

/// The one method pipeline on models as third-party exporters write them: layouts, token maps,
/// fixed batches, output choice, pruning, options that do not apply, and constant-map warnings.
final class PipelineTests: XCTestCase {
    let registry = standardRegistry()

    func model(_ g: Graph, _ options: ExplainModel.Options = .init()) throws -> ExplainModel {
        try ExplainModel(graph: g, registry: registry, threads: 1, options: options)
    }

    func map(_ method: String, _ m: ExplainModel, _ x: Tensor, layers: [LayerSpec] = [.auto], target: Target = .top1,
             params: [String] = [], batchSize: Int = 32) throws -> [Float] {
        let e = try MethodRegistry.builtin.method(named: method, parameters: try MethodParameters(parsing: params))
        return try e.explain(ExplainRequest(input: x, target: target, layers: layers, batchSize: batchSize), model: m).floats()
    }

    func assertSame(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-5, mayBeZero: Bool = false,
                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let d = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(d, tolerance, "\(what): max diff \(d)", file: file, line: line)
        if !mayBeZero { XCTAssertTrue(a.contains { $0 != 0 }, "\(what): an all-zero map compares trivially", file: file, line: line) }
    }

    // MARK: Layouts

    func testChannelsLastModelGivesTheSameMapsAsItsNCHWTwin() throws {
        let plain = try TinyModel.model()
        let nhwc = try model(PipelineModels.channelsLast())
        XCTAssertEqual(nhwc.layout, .nhwc)
        XCTAssertEqual(nhwc.inputDims.compactMap { $0 }, [2, 6, 6], "methods see an NCHW input")
        let x = TinyModel.input()
        XCTAssertEqual(try nhwc.layout.toNCHW(try PipelineModels.nhwc(x)), x)
        XCTAssertEqual(try LayerResolver.auto(model: nhwc, output: nhwc.outputName), TinyModel.layer,
                       "auto looks through the layout Transpose before the NHWC global pool")
        for method in ["gradcam", "layercam", "scorecam", "lrp", "saliency", "ig"] {
            let want = try map(method, plain, x, params: method == "ig" ? ["steps=8"] : [])
            assertSame(try map(method, nhwc, x, params: method == "ig" ? ["steps=8"] : []), want, "\(method) on the NHWC twin",
                       tolerance: method == "lrp" ? 1e-4 : 1e-5)
        }
        // Naming the channels-last value itself: an NCHW view of it is read, the same map.
        let want = try map("gradcam", plain, x)
        assertSame(try map("gradcam", nhwc, x, layers: [.named("relu2_nhwc")]), want, "gradcam on the NHWC feature map")
        assertSame(try map("ablationcam", nhwc, x, layers: [.named("relu2_nhwc")]), try map("ablationcam", plain, x),
                   "ablation (feeding the view) on the NHWC feature map")
    }

    func testLayoutIsInferredOrForced() throws {
        XCTAssertEqual(InputLayout.infer(input: "input", graph: TinyModel.graph()), .nchw)
        var g = TinyModel.graph()
        g.inputs = [ValueInfo(name: "input", shape: [.symbol("N"), .fixed(224), .fixed(224), .fixed(3)])]
        XCTAssertEqual(InputLayout.infer(input: "input", graph: g), .nhwc, "from the declared shape")
        XCTAssertEqual(InputLayout.infer(input: "image", graph: PipelineModels.channelsLast()), .nhwc)
        let forced = try model(TinyModel.graph(), .init(layout: .nchw))
        XCTAssertEqual(forced.layout, .nchw)
    }

    // MARK: Token maps

    /// Grad-CAM on a token layer equals pytorch-grad-cam's recipe with its ViT `reshape_transform`:
    /// drop the class token, reshape the patch tokens to the grid, weights = mean gradient.
    func testTokenMapGradCAMEqualsTheReshapeTransformRecipe() throws {
        let m = try model(PipelineModels.tokens())
        let x = Tensor(unchecked: [2, 2, 4, 4], floats: TinyModel.values(64, seed: 21))
        XCTAssertEqual(try LayerResolver.auto(model: m, output: m.outputName), "norm1", "the LayerNorm before the token mixing")
        let got = try map("gradcam", m, x, layers: [.named("norm1")])
        // The recipe, by hand, on the raw token activations and gradients.
        let cap = try LayerCapture.run(model: m, input: x, layers: ["norm1"], target: .top1, gradients: true)
        let a = try XCTUnwrap(cap.activations["norm1"]).floats(), g = try XCTUnwrap(cap.gradients["norm1"]).floats()
        let (t, c) = (5, 3)
        var raw = [Float](repeating: 0, count: 2 * 4)
        for b in 0..<2 {
            for k in 0..<c {
                var w: Float = 0
                for p in 1..<t { w += g[(b * t + p) * c + k] }
                w /= 4
                for p in 1..<t { raw[b * 4 + p - 1] += w * a[(b * t + p) * c + k] }
            }
        }
        let want = try MapBatch(n: 2, h: 2, w: 2, values: raw).relu().minmax().resized(height: 4, width: 4).values
        assertSame(got, want, "token Grad-CAM")
        // Other families run on the token model too.
        for method in ["scorecam", "relevancecam", "cfcam", "lrp", "ig"] {
            let v = try map(method, m, x, params: method == "ig" ? ["steps=4"] : method == "cfcam" ? ["groups=2"] : [])
            XCTAssertEqual(v.count, 2 * 16, method)
            XCTAssertTrue(v.allSatisfy(\.isFinite), method)
        }
    }

    func testNonSpatialLayerIsAClearError() throws {
        let m = try TinyModel.model()
        XCTAssertThrowsError(try map("gradcam", m, TinyModel.input(), layers: [.named("flat")])) { e in
            XCTAssertTrue("\(e)".contains("'flat'") && "\(e)".contains("spatial feature map"), "\(e)")
        }
    }

    // MARK: Fixed batches

    func testFixedBatchIsRelaxedWhenTheGraphAllowsIt() throws {
        let plain = try TinyModel.model()
        for head in [false, true] {
            let m = try model(PipelineModels.fixedBatch(reshapeHead: head))
            XCTAssertEqual(m.batch, .relaxed(from: 1), "reshape head: \(head)")
            let x = TinyModel.input(batch: 3)
            XCTAssertEqual(try m.forward(x), try plain.forward(x))
            assertSame(try map("scorecam", m, x), try map("scorecam", plain, x), "scorecam, relaxed batch")
        }
    }

    func testFixedBatchThatCannotBeRelaxedRunsInChunks() throws {
        let plain = try TinyModel.model()
        let m = try model(PipelineModels.fixedBatch(reshapeHead: true, allowZero: true))
        XCTAssertEqual(m.batch, .chunks(of: 1))
        let x = TinyModel.input(batch: 3)
        XCTAssertEqual(try m.forward(x), try plain.forward(x))
        // Every family: gradients, LRP, perturbation batches, attributions, SmoothGrad.
        let cases: [(String, [String])] = [("gradcam", []), ("gradcam++", []), ("scorecam", []), ("ablationcam", []), ("groupcam", ["groups=2"]),
                                           ("relevancecam", []), ("cfcam", []), ("lrp", []), ("clrp", []), ("saliency", []), ("ig", ["steps=6"]),
                                           ("occlusion", ["window=3", "stride=2"]), ("rise", ["masks=40", "cells=3"]), ("gradient", [])]
        for (method, params) in cases {
            let got = try map(method, m, x, params: params, batchSize: 4)
            let want = try map(method, plain, x, params: params, batchSize: 4)
            // Group-CAM and CF-CAM give zero maps on this model (no blend beats the blurred input).
            assertSame(got, want, "\(method) in chunks of the fixed batch", tolerance: 2e-5, mayBeZero: ["groupcam", "cfcam"].contains(method))
        }
    }

    // MARK: Outputs

    func testOutputChoiceSkipsFeaturesSoftmaxAndPostProcessing() throws {
        let g = PipelineModels.withExtraOutputs()
        XCTAssertThrowsError(try registry.checkSupported(g), "the unknown post-processing op is not supported")
        let m = try model(g)
        XCTAssertEqual(m.outputName, "logits", "the Softmax's input, not the features or the decoded label")
        XCTAssertEqual(m.output.skippedSoftmax, "softmax")
        XCTAssertFalse(m.graph.nodes.contains { $0.opType == "Decode" }, "pruned before the support check")
        let x = TinyModel.input()
        assertSame(try map("gradcam", m, x), try map("gradcam", try TinyModel.model(), x), "gradcam explains the logits")
        let p = try model(g, .init(score: .probability))
        XCTAssertEqual(p.outputName, "probabilities")
        XCTAssertTrue(p.output.isProbability)
        let features = try model(g, .init(output: "flat"))
        XCTAssertEqual(features.outputName, "flat")
        XCTAssertThrowsError(try model(g, .init(output: "nope"))) { XCTAssertTrue("\($0)".contains("'nope'"), "\($0)") }
        XCTAssertThrowsError(try model(TinyModel.graph(), .init(score: .probability))) { XCTAssertTrue("\($0)".contains("Softmax"), "\($0)") }
    }

    /// Probability scores on a Softmax output are read as they are (no second softmax): RISE with
    /// probabilities on the logits model equals RISE on the probability output.
    func testProbabilityOutputIsNotSoftmaxedTwice() throws {
        let g = PipelineModels.withExtraOutputs()
        let x = TinyModel.input()
        let onLogits = try map("rise", try model(g), x, params: ["masks=30", "cells=3"])
        let onProbabilities = try map("rise", try model(g, .init(score: .probability)), x, params: ["masks=30", "cells=3"])
        assertSame(onProbabilities, onLogits, "rise", tolerance: 1e-5)
    }

    // MARK: Targets and options

    func testLRPExplainsAnySimilarityTarget() throws {
        let m = try TinyModel.model()
        let x = TinyModel.input()
        let reference = try m.forward(TinyModel.input(batch: 1)).floats()
        let v = try map("lrp", m, x, target: .similarity(to: reference, metric: .dot))
        XCTAssertEqual(v.count, 2 * 36)
        XCTAssertTrue(v.contains { $0 != 0 })
        // dot similarity is linear in the logits: its LRP equals the reference-weighted sum of
        // per-class LRP maps (the epsilon / z+ rules are linear in the initial relevance).
        var sum = [Float](repeating: 0, count: v.count)
        for c in 0..<reference.count {
            let r = try map("lrp", m, x, target: .classIndex(c))
            for i in sum.indices { sum[i] += reference[c] * r[i] }
        }
        assertSame(v, sum, "lrp of a dot similarity", tolerance: 1e-4)
        XCTAssertThrowsError(try map("clrp", m, x, target: .similarity(to: reference, metric: .dot))) {
            XCTAssertTrue("\($0)".contains("class target"), "\($0)")
        }
    }

    func testOptionsThatDoNotApplyAreErrors() throws {
        let lrp = try MethodRegistry.builtin.entry(named: "lrp"), grad = try MethodRegistry.builtin.entry(named: "gradcam")
        XCTAssertThrowsError(try lrp.checkApplicable(.init(layers: true))) { XCTAssertTrue("\($0)".contains("--layer"), "\($0)") }
        XCTAssertThrowsError(try grad.checkApplicable(.init(batchSize: true))) { XCTAssertTrue("\($0)".contains("--batch-size"), "\($0)") }
        XCTAssertThrowsError(try grad.checkApplicable(.init(progress: true)))
        XCTAssertThrowsError(try MethodRegistry.builtin.entry(named: "fam").checkApplicable(.init())) { XCTAssertTrue("\($0)".contains("--reference"), "\($0)") }
        XCTAssertNoThrow(try MethodRegistry.builtin.entry(named: "scorecam").checkApplicable(.init(layers: true, batchSize: true, progress: true)))
        XCTAssertThrowsError(try lrp.method(MethodParameters(parsing: ["contrast=clrp2"]))) { XCTAssertTrue("\($0)".contains("no parameter contrast"), "\($0)") }
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "ig", parameters: MethodParameters(parsing: ["steps=many"]))) {
            XCTAssertTrue("\($0)".contains("steps=many"), "\($0)")
        }
    }

    func testEveryEntryListsTypedParametersWithValidDefaults() throws {
        XCTAssertEqual(Set(MethodRegistry.builtin.names).count, MethodRegistry.builtin.names.count, "names are unique")
        for e in MethodRegistry.builtin.entries {
            for p in e.parameters where p.defaultValue != "unset" {
                XCTAssertNoThrow(try p.validate(p.defaultValue, method: e.name), "\(e.name) \(p.key)=\(p.defaultValue)")
            }
            // The factory accepts its own defaults spelled out.
            let spelled = MethodParameters(Dictionary(uniqueKeysWithValues: e.parameters.filter { $0.defaultValue != "unset" }.map { ($0.key, $0.defaultValue) }))
            XCTAssertNoThrow(try e.method(spelled), e.name)
        }
    }

    func testSmoothedRelevanceIsAveragedNotRescaled() throws {
        let m = try TinyModel.model()
        let x = TinyModel.input(batch: 1)
        let e = try MethodRegistry.builtin.entry(named: "lrp")
        let plain = try e.method().explain(ExplainRequest(input: x, target: .classIndex(2)), model: m).floats()
        let none = try e.smoothed(samples: 3, stdev: 0).explain(ExplainRequest(input: x, target: .classIndex(2)), model: m).floats()
        assertSame(none, plain, "SmoothGrad with zero noise", tolerance: 1e-5)
        XCTAssertNotEqual(plain.max(), 1, "raw relevance, not min-maxed to [0, 1]")
        let sum = plain.reduce(0, +)
        XCTAssertGreaterThan(abs(sum), 1e-3, "relevance carries the score")
    }

    // MARK: Warnings

    final class Warnings: @unchecked Sendable {
        let lock = NSLock(); var items: [String] = []
        var handler: WarningHandler { { [self] m in lock.lock(); items.append(m); lock.unlock() } }
    }

    func testAllZeroWeightsWarnThatTheMapIsConstant() throws {
        var g = TinyModel.graph()
        g.initializers["wfc"] = Tensor.zeros([5, 3])   // the scores ignore the input
        let m = try model(g)
        let w = Warnings()
        for (method, params) in [("cfcam", ["groups=2"]), ("groupcam", ["groups=2"])] {
            let e = try MethodRegistry.builtin.method(named: method, parameters: try MethodParameters(parsing: params))
            let out = try e.explain(ExplainRequest(input: TinyModel.input(), warn: w.handler), model: m).floats()
            XCTAssertTrue(out.allSatisfy { $0 == 0 }, method)
        }
        XCTAssertEqual(w.items.count, 4, "one warning per image and method: \(w.items)")
        XCTAssertTrue(w.items.allSatisfy { $0.contains("constant") && $0.contains("blurred input") }, "\(w.items)")
        // A map that is not constant gives no warning.
        let quiet = Warnings()
        _ = try GradCAM().explain(ExplainRequest(input: TinyModel.input(), warn: quiet.handler), model: try TinyModel.model())
        XCTAssertEqual(quiet.items, [])
    }
}
