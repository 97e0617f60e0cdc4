import Graph
import Rules

/// LRP at the input (Bach et al. 2015, with Zennit's composites), and its class-contrastive forms
/// CLRP (Gu et al. 2018) and SGLRP (Iwana et al. 2019): the signed relevance of every input pixel,
/// summed over channels, [N, H, W]. Its sum is what the rules conserve (the target score, up to
/// the stabilisers and biases), so the map is not rescaled.
///
/// `lrp` starts from the gradient of the target score at the explained output, so it explains any
/// target: a class, a contrast, the similarity to a reference (embedding models). `clrp` and
/// `sglrp` contrast a class against the others and need a class target.
public struct InputRelevance: ExplanationMethod {
    /// The name of a composite in `composites`.
    public var composite: String
    public var composites: CompositeRegistry
    /// nil: the score's gradient (`lrp`).
    public var contrast: ContrastiveMode?

    public init(composite: Composite.Preset = .epsilonPlus, contrast: ContrastiveMode? = nil) {
        self.init(composite: composite.rawValue, composites: .builtin, contrast: contrast)
    }

    public init(composite: String, composites: CompositeRegistry, contrast: ContrastiveMode? = nil) {
        self.composite = composite; self.composites = composites; self.contrast = contrast
    }

    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        _ = try request.inputSize()
        let output = model.outputName(for: request.target)
        let rows = try TargetRows(request.target, input: request.input, model: model)
        let r = try RelevanceWalk.compute(model: model, input: request.input, targets: rows.targets, output: output,
                                          read: [model.inputName], composite: try composites.composite(named: composite),
                                          canonizers: composites.canonizers, contrast: contrast ?? .lrp, defaultContrast: .lrp)
        guard let v = r[model.inputName] else { throw GraphError.missingValue(model.inputName) }
        return try LRP.spatialRelevance(v)
    }

    static let compositeParameter = MethodParameter("composite", .composite(fixed: []), default: Composite.Preset.epsilonPlus.rawValue,
                                                    "the LRP rule preset (Zennit's composites, or a registered one)")
    static func contrastParameter(default d: ContrastiveMode) -> MethodParameter {
        .choice("contrast", ContrastiveMode.allCases.filter { $0 != .lrp && $0 != .lrpLogit }.map(\.rawValue), default: d.rawValue,
                "the contrastive initial relevance")
    }

    static func make(_ p: MethodParameters, contrast: ContrastiveMode?) throws -> InputRelevance {
        let c = try p.values["contrast"].map { name -> ContrastiveMode in
            guard let m = ContrastiveMode(rawValue: name) else { throw ExplainError("unknown contrast '\(name)'") }
            return m
        } ?? contrast
        let name = p.values["composite"] ?? Composite.Preset.epsilonPlus.rawValue
        _ = try p.composites.composite(named: name)
        return InputRelevance(composite: name, composites: p.composites, contrast: c)
    }

    public static let lrpEntry = MethodRegistry.Entry(
        name: "lrp", summary: "LRP: input relevance of the target score (any target), summed over channels", kind: .input,
        output: .relevance, parameters: [compositeParameter]) { try make($0, contrast: nil) }
    public static let clrpEntry = MethodRegistry.Entry(
        name: "clrp", summary: "Contrastive LRP: the class's relevance against the other classes'", kind: .input,
        output: .relevance, parameters: [compositeParameter, contrastParameter(default: .clrp1Gu)]) { try make($0, contrast: .clrp1Gu) }
    public static let sglrpEntry = MethodRegistry.Entry(
        name: "sglrp", summary: "Softmax-gradient LRP: relevance of the class probability against the others", kind: .input,
        output: .relevance, parameters: [compositeParameter, contrastParameter(default: .sglrpScaled)]) { try make($0, contrast: .sglrpScaled) }
}

/// The raw input gradient d score / d input, [N, C, H, W] (NCHW, whatever the model's layout).
public struct RawGradient: ExplanationMethod {
    public init() {}
    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        _ = try request.inputSize()
        let rows = try TargetRows(request.target, input: request.input, model: model)
        return try model.gradient(request.input, rows: rows).gradient
    }
    public static let entry = MethodRegistry.Entry(
        name: "gradient", summary: "The raw input gradient of the target score, [N, C, H, W]", kind: .input, output: .gradient) { _ in RawGradient() }
}
