/// The built-in methods, listed once: the CLI (`--method`) and the docs derive from this list
/// through `MethodRegistry.entries`. Names are stable and lower-case.
public enum BuiltinMethod: String, CaseIterable, Sendable {
    case cam
    case gradcam
    case gradcamPlusPlus = "gradcam++"
    case xgradcam
    case hirescam
    case layercam
    case eigencam
    case scorecam
    case ablationcam
    case groupcam
    case relevancecam
    case cfcam
    case fam

    public var summary: String {
        switch self {
        case .cam: return "CAM: weights of the linear layer after global average pooling"
        case .gradcam: return "Grad-CAM: spatially averaged gradients as channel weights"
        case .gradcamPlusPlus: return "Grad-CAM++: second-order positive-gradient weights"
        case .xgradcam: return "XGrad-CAM: activation-normalised gradient weights"
        case .hirescam: return "HiResCAM: element-wise gradient x activation"
        case .layercam: return "LayerCAM: element-wise positive gradient x activation"
        case .eigencam: return "Eigen-CAM: first principal component of the activations (class-agnostic)"
        case .scorecam: return "Score-CAM: channel weights from scores of activation-masked inputs"
        case .ablationcam: return "Ablation-CAM: score drop when each channel is zeroed"
        case .groupcam: return "Group-CAM: grouped Grad-CAM masks blended with a blurred input"
        case .relevancecam: return "Relevance-CAM: channel weights from (contrastive) LRP relevance at any layer"
        case .cfcam: return "CF-CAM: contrastive-relevance spatial mask, then blurred-blend re-scoring per channel"
        case .fam: return "FAM: channel weights from the similarity of two embeddings (models without a classifier)"
        }
    }

    /// Whether the method reads layers or explains the input directly: every method listed here
    /// reads layers (input attributions are listed in `InputMethod`).
    public var kind: MethodRegistry.Kind { .layer }

    /// Parameter keys each method reads.
    public var parameters: [String] {
        switch self {
        case .scorecam: return ScoreCAM.parameterKeys
        case .ablationcam: return AblationCAM.parameterKeys
        case .groupcam: return GroupCAM.parameterKeys
        case .relevancecam: return RelevanceCAM.parameterKeys
        case .cfcam: return CFCAM.parameterKeys
        case .fam: return FAM.parameterKeys
        default: return []
        }
    }

    public func make(_ p: MethodParameters) throws -> any ExplanationMethod {
        switch self {
        case .cam: return ClassActivationMap()
        case .gradcam: return GradCAM()
        case .gradcamPlusPlus: return GradCAMPlusPlus()
        case .xgradcam: return XGradCAM()
        case .hirescam: return HiResCAM()
        case .layercam: return LayerCAM()
        case .eigencam: return EigenCAM()
        case .scorecam: return try ScoreCAM(parameters: p)
        case .ablationcam: return try AblationCAM(parameters: p)
        case .groupcam: return try GroupCAM(parameters: p)
        case .relevancecam: return try RelevanceCAM(parameters: p)
        case .cfcam: return try CFCAM(parameters: p)
        case .fam: return try FAM(parameters: p)
        }
    }

    public var entry: MethodRegistry.Entry {
        let m = self
        return MethodRegistry.Entry(name: rawValue, summary: summary, kind: kind, parameters: parameters) { try m.make($0) }
    }
}
