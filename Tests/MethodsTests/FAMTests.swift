import Graph
@testable import Methods
import Rules
import TestSupport
import XCTest

/// FAM (docs/methods.md, "fam") on an FC-less embedding net, checked against closed forms.
final class FAMTests: XCTestCase {
    struct Setup {
        let model: ExplainModel
        let request: ExplainRequest
        let context: CAMContext
        let layer: LayerValues
        let reference: [Float]
    }

    func setup(metric: SimilarityMetric = .cosine, head: Bool = false, gradients: Bool = false) throws -> Setup {
        let model = try FAMEmbeddingModel.model(head: head)
        let target = try Target.similarity(toImage: FAMEmbeddingModel.referenceImage(), metric: metric, model: model)
        guard case .similarity(let reference, _) = target.kind else { throw ExplainError("not a similarity target") }
        let request = ExplainRequest(input: FAMEmbeddingModel.query(), target: target, layers: [.named(FAMEmbeddingModel.layer)])
        let capture = try LayerCapture.run(model: model, input: request.input, layers: [FAMEmbeddingModel.layer], target: target, gradients: gradients)
        let a = try FeatureMap(try XCTUnwrap(capture.activations[FAMEmbeddingModel.layer]), name: FAMEmbeddingModel.layer)
        let g = try capture.gradients[FAMEmbeddingModel.layer].map { try FeatureMap($0, name: FAMEmbeddingModel.layer) }
        return Setup(model: model, request: request, context: CAMContext(request: request, model: model, capture: capture),
                     layer: LayerValues(name: FAMEmbeddingModel.layer, activation: a, gradient: g), reference: reference)
    }

    /// e_q = GAP(A) per image.
    func embeddings(_ a: FeatureMap) -> [[Float]] {
        let t = a.channelTotals()
        return (0..<a.n).map { b in (0..<a.k).map { t[b * a.k + $0] / Float(a.hw) } }
    }

    func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// Spec §11 item 10: Σ_ij map(i,j) / (hw ‖e_q‖) = cos(e_q, e_r) for the unnormalised F2 map.
    func testF2IsTheSpatialDecompositionOfTheCosine() throws {
        let s = try setup()
        let a = s.layer.activation
        let map = try FAM(variant: .f2, norm: .none).rawMap(s.layer, context: s.context)
        let es = embeddings(a)
        for b in 0..<a.n {
            let total = map.map(b).reduce(0, +)
            let cosine = s.context.capture.scores[b]
            XCTAssertEqual(total / (Float(a.hw) * norm(es[b])), cosine, accuracy: 1e-6, "image \(b)")
            // and the score is the model output's cosine with the reference, computed here directly
            let dot = zip(es[b], s.reference).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(cosine, dot / (norm(es[b]) * norm(s.reference)), accuracy: 1e-6)
        }
        XCTAssertTrue(s.context.capture.scores.allSatisfy { abs($0) > 0.05 }, "a non-trivial similarity")
    }

    /// F1: c_k = ê_q,k ê_r,k sums to the cosine; `sum` makes the weights sum to 1; the positive
    /// rescalings (sum, maxabs, none) give the same normalised map, softmax another.
    func testF1WeightsAndNormalisations() throws {
        let s = try setup()
        let raw = try FAM(variant: .f1, norm: .none).channelWeights(s.layer, context: s.context)
        let k = s.layer.activation.k
        let es = embeddings(s.layer.activation)
        for b in 0..<2 {
            let w = Array(raw[(b * k)..<((b + 1) * k)])
            for c in 0..<k {
                XCTAssertEqual(w[c], es[b][c] / norm(es[b]) * s.reference[c] / norm(s.reference), accuracy: 1e-6)
            }
            XCTAssertEqual(w.reduce(0, +), s.context.capture.scores[b], accuracy: 1e-6)
        }
        let summed = try FAM(variant: .f1, norm: .sum).channelWeights(s.layer, context: s.context)
        if s.context.capture.scores[0] > 0 { XCTAssertEqual(summed[0..<k].reduce(0, +), 1, accuracy: 1e-5) }
        let maps = try [FAM.Normalisation.none, .sum, .maxabs].map { try FAM(variant: .f1, norm: $0).explain(s.request, model: s.model) }
        assertClose(maps[1], maps[0], rtol: 0, atol: 1e-5, "sum vs none")
        assertClose(maps[2], maps[0], rtol: 0, atol: 1e-5, "maxabs vs none")
        let soft = try FAM(variant: .f1, norm: .softmax).channelWeights(s.layer, context: s.context)
        XCTAssertEqual(soft[0..<k].reduce(0, +), 1, accuracy: 1e-5)
    }

    /// F3 is Grad-CAM on the similarity: for a GAP embedding and cosine, w_k =
    /// (ê_r,k − s·ê_q,k) / (hw‖e_q‖) (docs/methods.md, "fam").
    func testF3MatchesTheCosineGradientClosedForm() throws {
        let s = try setup(gradients: true)
        let a = s.layer.activation
        let w = try FAM(variant: .f3, norm: .none).channelWeights(s.layer, context: s.context)
        let es = embeddings(a)
        let rHat = s.reference.map { $0 / norm(s.reference) }
        for b in 0..<a.n {
            let n = norm(es[b]), cosine = s.context.capture.scores[b]
            for c in 0..<a.k {
                let expected = (rHat[c] - cosine * es[b][c] / n) / (Float(a.hw) * n)
                XCTAssertEqual(w[b * a.k + c], expected, accuracy: 1e-5, "image \(b) channel \(c)")
            }
        }
        XCTAssertTrue(FAM(variant: .f3).usesGradients)
        XCTAssertFalse(FAM(variant: .f1).usesGradients)
    }

    /// Euclidean (ProtoNet-style) models use the linear part: c_k = e_q,k e_r,k, w_k = e_r,k.
    func testEuclideanUsesUnnormalisedEmbeddings() throws {
        let s = try setup(metric: .euclidean)
        let k = s.layer.activation.k
        let es = embeddings(s.layer.activation)
        let f1 = try FAM(variant: .f1, norm: .none).channelWeights(s.layer, context: s.context)
        let f2 = try FAM(variant: .f2, norm: .none).channelWeights(s.layer, context: s.context)
        for b in 0..<2 {
            for c in 0..<k {
                XCTAssertEqual(f1[b * k + c], es[b][c] * s.reference[c], accuracy: 1e-6)
                XCTAssertEqual(f2[b * k + c], s.reference[c], accuracy: 1e-6)
            }
        }
    }

    /// A head after the pooled features: f1/f2 refuse (the reference is not GAP(A)), f3 works.
    func testProjectionHeadNeedsF3() throws {
        let s = try setup(head: true)
        XCTAssertThrowsError(try FAM(variant: .f1).explain(s.request, model: s.model))
        let map = try FAM(variant: .f3).explain(s.request, model: s.model)
        XCTAssertEqual(map.shape, [2, 6, 6])
        XCTAssertEqual(try map.floats().max() ?? 0, 1, accuracy: 1e-5)
    }

    /// FAM needs a similarity target; registry names and parameters.
    func testTargetsAndParameters() throws {
        let model = try TinyModel.model()
        XCTAssertThrowsError(try FAM().explain(ExplainRequest(input: TinyModel.input(), layers: [.named(TinyModel.layer)]), model: model))
        let m = try XCTUnwrap(try MethodRegistry.builtin.method(named: "fam", parameters: MethodParameters(["variant": "f2", "norm": "maxabs"])) as? FAM)
        XCTAssertEqual(m.variant, .f2)
        XCTAssertEqual(m.norm, .maxabs)
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "fam", parameters: MethodParameters(["variant": "f4"])))
    }

    /// Relevance-CAM on an embedding model: the default relevance starts from the similarity's
    /// gradient; a class-contrastive mode is refused with a message.
    func testRelevanceCAMOnSimilarityTarget() throws {
        let s = try setup()
        let map = try RelevanceCAM().explain(s.request, model: s.model)
        XCTAssertEqual(map.shape, [2, 6, 6])
        XCTAssertEqual(try map.floats().max() ?? 0, 1, accuracy: 1e-5)
        XCTAssertThrowsError(try RelevanceCAM(relevance: RelevanceOptions(contrast: .clrpRcam)).explain(s.request, model: s.model)) { e in
            XCTAssertTrue("\(e)".contains("class target"), "\(e)")
        }
    }
}
