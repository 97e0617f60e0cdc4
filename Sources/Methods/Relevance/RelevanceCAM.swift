import Graph
import Rules

/// Relevance-CAM (Lee et al., CVPR 2021; official repo mongeoroo/Relevance-CAM;
/// docs/methods.md, "relevancecam"), at any layer — intermediate layers included, which is its point:
///
/// 1. contrastive LRP relevance R at the layer's output (`RelevanceOptions`: default the R-CAM
///    preset and `clrp_rcam`, `e_t − (1/N)(1 − e_t)`; docs/methods.md, "Relevance at a layer");
/// 2. channel weights α_k = mean_ij R_k(i,j) (main branch, the default) or Σ_ij R_k(i,j) (older
///    code and the paper; `weights=sum`) — the two give identical maps after minmax;
/// 3. L = Σ_k α_k A_k at the layer's resolution; **no ReLU** by default (code parity;
///    `relu=true` adds one);
/// 4. minmax per image (δ 1e-7, the shared default, where the official `normalize` has none; a
///    constant map becomes zeros rather than NaN), then bilinear resize (align_corners=False,
///    cv2.resize) to the input size — the official order. The shared CAM pipeline then applies its
///    multi-layer aggregation (ReLU, mean, minmax: pytorch-grad-cam's) even for one
///    layer, so the resized map is stretched back to exactly [0, 1]; the official code stops
///    before that stretch (an affine change: the same ranking and Pearson correlation).
///
/// Cost: one forward for the activations, one forward + one LRP backward per layer.
public struct RelevanceCAM: ChannelWeightCAM {
    public enum Weighting: String, CaseIterable, Sendable {
        /// α_k = spatial mean of R_k (official main branch).
        case mean
        /// α_k = spatial sum of R_k (paper, older code).
        case sum
    }

    public var relevance: RelevanceOptions
    public var weighting: Weighting
    /// Apply a ReLU to Σ α_k A_k before minmax (the official code does not).
    public var reluOutput: Bool

    public init(relevance: RelevanceOptions = RelevanceOptions(), weighting: Weighting = .mean, reluOutput: Bool = false) {
        self.relevance = relevance; self.weighting = weighting; self.reluOutput = reluOutput
    }

    /// Reads `rules` (rcam | rcam-zennit | a composite preset), `contrast` (a `ContrastiveMode`:
    /// lrp, clrp_rcam, sglrp, ...), `weights` (mean | sum), `relu` (true | false).
    public init(parameters p: MethodParameters) throws {
        try self.init(relevance: RelevanceOptions(parameters: p), weighting: p.choice("weights", default: Weighting.mean),
                      reluOutput: p.bool("relu", default: false))
    }
    public static let parameters: [MethodParameter] = RelevanceOptions.parameters + [
        .choice("weights", default: Weighting.mean, "channel weight: spatial mean or sum of the relevance"),
        .bool("relu", default: false, "apply a ReLU to the weighted sum before min-max"),
    ]
    public static let entry = MethodRegistry.Entry(
        name: "relevancecam", summary: "Relevance-CAM: channel weights from (contrastive) LRP relevance at any layer", kind: .layer,
        parameters: parameters) { try RelevanceCAM(parameters: $0) }

    public var usesGradients: Bool { false }

    /// The relevance at the layer [N, K, h, w].
    public func layerRelevance(_ layer: LayerValues, context: CAMContext) throws -> FeatureMap {
        let r = try LayerRelevance.compute(model: context.model, request: context.request, capture: context.capture,
                                           layers: [layer.name], options: relevance)
        guard let t = r[layer.name] else { throw GraphError.missingValue(layer.name) }
        return try FeatureMap(t, name: layer.name)
    }

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let r = try layerRelevance(layer, context: context)
        let totals = r.channelTotals()
        guard weighting == .mean else { return totals }
        let inv = 1 / Float(r.hw)
        return totals.map { $0 * inv }
    }

    public func layerMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let (_, h, w) = try context.request.inputSize()
        let raw = try rawMap(layer, context: context)
        return (reluOutput ? raw.relu() : raw).minmax().resized(height: h, width: w)
    }
}
