import Rules

/// The switches of CF-CAM (every one a reconstruction choice: no code or full text of the paper is
/// public, only the abstract). Defaults and alternatives: docs/methods.md, "cfcam" and
/// "Reconstructed methods".
public struct CFCAMOptions: Sendable {
    /// Where each unit's (channel's or group's) mask comes from.
    public enum MaskSource: String, CaseIterable, Sendable {
        /// H_u = minmax(Up(ReLU(A_u))) ⊙ M: the activation restricted by the spatial relevance mask
        /// (default, docs/methods.md, "cfcam" step 4).
        case actXSpatial = "act_x_spatial"
        /// H_u = minmax(Up(ReLU(R_u))): per-channel relevance masks (if "each position of the
        /// feature map" is read per channel).
        case relChannel = "rel_channel"
        /// H_u = minmax(Up(A_u)): Score-CAM masks with blur, for ablation.
        case actOnly = "act_only"
    }

    /// How the unit weights α_u make the final map.
    public enum Combination: String, CaseIterable, Sendable {
        /// ReLU(Σ_u α_u Up(A_u)) (default).
        case act
        /// ReLU(Σ_u α_u Up(A_u)) ⊙ M.
        case actXMask = "act_x_mask"
        /// Σ_u α_u H_u.
        case masks
    }

    /// How a blended input X_u is scored.
    public enum Score: String, CaseIterable, Sendable {
        /// α_u = ReLU(p_c(X_u) − p_c(B(X))), p_c the softmax probability (default; Group-CAM).
        case probMinusBlur = "prob_minus_blur"
        /// α_u = p_c(X_u) (official Score-CAM code).
        case prob
        /// α = softmax over units of the logit z_c(X_u) (Score-CAM paper Alg. 1, pytorch-grad-cam).
        case logitSoftmaxOverChannels = "logit_softmax_over_channels"
    }

    /// How channels are weighted when they are grouped (Group-CAM's S_g = ReLU(Σ_{k∈g} w_k A_k)).
    public enum GroupWeights: String, CaseIterable, Sendable {
        /// w_k = mean_ij R_k(i,j), the Relevance-CAM weight (default: no gradient needed).
        case relevance
        /// w_k = mean_ij dScore/dA_k(i,j), the Grad-CAM weight (Group-CAM; one backward more).
        case gradient
        /// w_k = 1 (Group-CAM's older version).
        case none
    }

    public var relevance: RelevanceOptions
    public var maskSource: MaskSource
    public var combination: Combination
    public var score: Score
    /// nil (default): every channel is a unit, K forwards. G: the K channels in G contiguous chunks
    /// of ceil(K/G) (torch.chunk), G forwards; Group-CAM uses G = 32.
    public var groups: Int?
    public var groupWeights: GroupWeights
    /// B: Gaussian blur of the normalised input. Default Group-CAM's 51 x 51, σ = 50, reflect
    /// (a reconstruction choice: the paper's blur is unknown).
    public var blur: GaussianBlur

    public init(relevance: RelevanceOptions = RelevanceOptions(), maskSource: MaskSource = .actXSpatial,
                combination: Combination = .act, score: Score = .probMinusBlur, groups: Int? = nil,
                groupWeights: GroupWeights = .relevance, blur: GaussianBlur? = nil) throws {
        if let g = groups, g <= 0 { throw ExplainError("CF-CAM needs groups > 0 (or none), got \(g)") }
        self.relevance = relevance; self.maskSource = maskSource; self.combination = combination
        self.score = score; self.groups = groups; self.groupWeights = groupWeights
        self.blur = try blur ?? GaussianBlur()
    }

    /// Reads `rules`, `contrast` (auto: clrp_rcam for class targets, else lrp; or any `ContrastiveMode`),
    /// `mask-source`, `combination`, `score`, `groups` (0 = none, the default), `group-weights`,
    /// `blur-size` (51), `blur-sigma` (50).
    public init(parameters p: MethodParameters) throws {
        let g = try p.int("groups", default: 0)
        guard g >= 0 else { throw ExplainError("parameter groups=\(g): expected 0 (none) or a positive count") }
        try self.init(relevance: RelevanceOptions(parameters: p),
                      maskSource: p.choice("mask-source", default: MaskSource.actXSpatial),
                      combination: p.choice("combination", default: Combination.act),
                      score: p.choice("score", default: Score.probMinusBlur),
                      groups: g == 0 ? nil : g,
                      groupWeights: p.choice("group-weights", default: GroupWeights.relevance),
                      blur: GaussianBlur(size: p.int("blur-size", default: 51),
                                         sigma: Double(p.float("blur-sigma", default: 50))))
    }
    static let parameters: [MethodParameter] = RelevanceOptions.parameters + [
        .choice("mask-source", default: MaskSource.actXSpatial, "what each unit's mask is made of"),
        .choice("combination", default: Combination.act, "how the weighted units form the map"),
        .choice("score", default: Score.probMinusBlur, "how a blended input's score becomes the unit's weight"),
        .int("groups", default: 0, "0: every channel is a unit; G: G contiguous channel groups (G + 1 forwards per image)"),
        .choice("group-weights", default: GroupWeights.relevance, "channel weights inside a group"),
    ] + GaussianBlur.parameters
}
