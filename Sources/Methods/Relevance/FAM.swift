import Foundation
import Graph

/// FAM, Feature Activation Map (Liao, Gao, Zhang, arXiv 2307.05017; docs/methods.md, "fam"), for
/// models without a classifier (embedding, few-shot, contrastive, retrieval): channel weights from the similarity
/// between the query's embedding and a reference embedding. The target must be a similarity
/// (`Target.similarity`, the CLI's `--reference IMAGE | --reference-embedding E.npy`); its metric
/// decides the similarity (cosine, or the Euclidean/dot family).
///
/// The formulas are reconstructed, only the abstract being public (docs/methods.md,
/// "Reconstructed methods"). With e_q = GAP(A) of the query at the
/// layer and e_r the reference (ê = e/‖e‖, norms clamped at 1e-8):
/// - `f1` (default): c_k = ê_q,k·ê_r,k (cosine: Σ_k c_k = s); for `euclidean` / `dot` the
///   query-dependent linear part c_k = e_q,k·e_r,k (−‖e_q − e_r‖² = 2⟨e_q, e_r⟩ − const);
/// - `f2`: w_k = ê_r,k (cosine) or e_r,k: the CAM analogue; for a GAP embedding and cosine,
///   Σ_ij Σ_k ê_r,k A_k(i,j) / (hw‖e_q‖) = cos(e_q, e_r) exactly (`FAMTests` checks it);
/// - `f3`: Grad-CAM on the similarity (pytorch-grad-cam's `SimilarityToConceptTarget` pattern):
///   w_k = mean_ij ∂s/∂A_k(i,j); works with projection heads (any output after the layer).
/// The weights are then normalised (`norm`): `sum` (default) w/Σw, or w/Σ|w| when Σw ≤ 0;
/// `maxabs` w/max|w|; `softmax`; `none`. All but `softmax` are positive rescalings, so they give
/// the same map after minmax. map = minmax(Up(ReLU(Σ_k w_k A_k))) (the shared CAM post-processing).
///
/// `f1` and `f2` need the reference to have one value per channel of the layer (the model's
/// embedding is the layer's global average pool); otherwise use `f3`.
public struct FAM: ChannelWeightCAM {
    public enum Variant: String, CaseIterable, Sendable { case f1, f2, f3 }
    public enum Normalisation: String, CaseIterable, Sendable { case sum, maxabs, softmax, none }

    public var variant: Variant
    public var norm: Normalisation

    public init(variant: Variant = .f1, norm: Normalisation = .sum) { self.variant = variant; self.norm = norm }
    /// Reads `variant` (f1 | f2 | f3) and `norm` (sum | maxabs | softmax | none).
    public init(parameters p: MethodParameters) throws {
        self.init(variant: try p.choice("variant", default: Variant.f1), norm: try p.choice("norm", default: Normalisation.sum))
    }
    public static let parameters: [MethodParameter] = [
        .choice("variant", default: Variant.f1, "f1: normalised embedding products; f2: reference weights; f3: Grad-CAM of the similarity"),
        .choice("norm", default: Normalisation.sum, "how the channel weights are normalised"),
    ]
    public static let entry = MethodRegistry.Entry(
        name: "fam", summary: "FAM: channel weights from the similarity of two embeddings (models without a classifier)", kind: .layer,
        parameters: parameters, needsSimilarity: true) { try FAM(parameters: $0) }

    public var usesGradients: Bool { variant == .f3 }

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        guard case .similarity(let reference, let metric) = context.request.target.kind else {
            throw ExplainError("fam explains a similarity: give a reference image or embedding (a similarity target)")
        }
        let a = layer.activation
        var weights: [Float]
        switch variant {
        case .f3:
            weights = try GradCAM().channelWeights(layer, context: context)
        case .f1, .f2:
            guard reference.count == a.k else {
                throw ExplainError("fam \(variant.rawValue): the reference embedding has \(reference.count) values, layer '\(layer.name)' has \(a.k) channels; f1/f2 need the embedding to be the layer's global average pool (use variant=f3 for models with a head)")
            }
            let cosine = metric == .cosine
            let r = cosine ? FAM.unit(reference) : reference
            let totals = a.channelTotals()
            weights = []
            for b in 0..<a.n {
                let e = (0..<a.k).map { totals[b * a.k + $0] / Float(a.hw) }
                let q = cosine ? FAM.unit(e) : e
                weights += variant == .f1 ? zip(q, r).map { $0 * $1 } : r
            }
        }
        return (0..<a.n).flatMap { b in normalise(Array(weights[(b * a.k)..<((b + 1) * a.k)])) }
    }

    /// e / max(‖e‖, 1e-8), in double precision.
    static func unit(_ e: [Float]) -> [Float] {
        let n = max(e.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), 1e-8)
        return e.map { Float(Double($0) / n) }
    }

    func normalise(_ w: [Float]) -> [Float] {
        switch norm {
        case .none: return w
        case .softmax: return softmax(w)
        case .maxabs:
            let m = w.map(abs).max() ?? 0
            return m > 0 ? w.map { $0 / m } : w
        case .sum:
            let s = w.reduce(0.0) { $0 + Double($1) }
            if s > 0 { return w.map { Float(Double($0) / s) } }
            let t = w.reduce(0.0) { $0 + Double(abs($1)) }
            return t > 0 ? w.map { Float(Double($0) / t) } : w
        }
    }
}
