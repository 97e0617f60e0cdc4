import Graph
import Rules

/// Which LRP rules produce the relevance that Relevance-CAM and CF-CAM read at a layer
/// (docs/methods.md, "Relevance at a layer").
public enum RelevanceRules: Sendable, Equatable, CustomStringConvertible {
    /// The Relevance-CAM preset on a generic engine (the default of Relevance-CAM and CF-CAM, to
    /// reproduce the Relevance-CAM code): z⁺ **without bias** on every linear layer (conv and
    /// dense, R-CAM's `relprop(alpha=1)`), Pass for activations and for BatchNorm (R-CAM's BN
    /// relprop is ≈ the identity; BN is not merged), Norm (proportional split) for residual adds and
    /// average pools, max pools winner-takes-all. Differences from the official code, all deliberate
    /// choices: the stabiliser is zennit's ±1e-6 instead of a safe divide; R-CAM's conv quirk
    /// (the bias added to both partial forwards, 2b in the denominator) is not copied — the bias is
    /// dropped; the first-conv z^B rule never matters because relevance is read at a layer.
    case rcam
    /// zennit's canonized variant (a "clean" Zennit re-implementation): the same rules after
    /// BatchNorm is merged into the preceding conv (`MergeBatchNorm`), the merged bias zeroed. Equal to `rcam`
    /// unless a BN scale γ is negative (the merge flips that conv's weight signs).
    case rcamZennit
    /// A registered LRP composite (a Zennit preset, or one a plugin registered) with
    /// `zero_params='bias'`, after the registry's canonizers (`MergeBatchNorm` among the built-ins).
    case composite(name: String, registry: CompositeRegistry)

    /// A Zennit preset from the built-in composites.
    public static func preset(_ p: Composite.Preset) -> RelevanceRules { .composite(name: p.rawValue, registry: .builtin) }

    /// "rcam", "rcam-zennit" or a composite registered in `composites` ("epsilon-plus", ...).
    public init(name: String, composites: CompositeRegistry = .builtin) throws {
        switch name {
        case "rcam": self = .rcam
        case "rcam-zennit": self = .rcamZennit
        default:
            guard composites.names.contains(name) else {
                throw ExplainError("unknown relevance rules '\(name)'; known: \((RelevanceRules.fixedNames + composites.names).joined(separator: ", "))")
            }
            self = .composite(name: name, registry: composites)
        }
    }

    /// The rule sets that are not composites.
    public static let fixedNames = ["rcam", "rcam-zennit"]

    public var description: String {
        switch self {
        case .rcam: return "rcam"
        case .rcamZennit: return "rcam-zennit"
        case .composite(let name, _): return name
        }
    }

    public static func == (a: RelevanceRules, b: RelevanceRules) -> Bool { a.description == b.description }

    /// The composite and canonizers.
    public func make() throws -> (Composite, [any Canonizer]) {
        switch self {
        case .rcam, .rcamZennit:
            let c = Composite([Composite.Entry(.role(.elementwise), PassRule()),
                               Composite.Entry(.role(.sum), NormRule()),
                               Composite.Entry(.role(.batchNorm), PassRule()),
                               Composite.Entry(.role(.linear), LRPRules.zPlus(zeroBias: true))])
            return (c, self == .rcam ? [] : [MergeBatchNorm()])
        case .composite(let name, let registry):
            var o = Composite.PresetOptions()
            o.zeroBias = true
            return (try registry.composite(named: name, options: o), registry.canonizers)
        }
    }
}

/// How relevance at a layer is obtained: the rules and the initial relevance at the output.
public struct RelevanceOptions: Sendable {
    public var rules: RelevanceRules
    /// The initial relevance (docs/methods.md, "Initial relevance for contrastive LRP"). nil (the
    /// default): `clrp_rcam` for class targets (as the Relevance-CAM code), and for any other target
    /// (contrast, similarity, function) the gradient of its score with respect to the output (for a class this
    /// is `e_t`, i.e. `lrp`). `lrp` uses that score gradient for every target; the other modes need
    /// a class target on [N, classes] logits.
    public var contrast: ContrastiveMode?

    public init(rules: RelevanceRules = .rcam, contrast: ContrastiveMode? = nil) {
        self.rules = rules; self.contrast = contrast
    }

    /// Reads `rules` and `contrast` (`auto`: nil).
    public init(parameters p: MethodParameters) throws {
        rules = try p.values["rules"].map { try RelevanceRules(name: $0, composites: p.composites) } ?? .rcam
        contrast = try p.values["contrast"].flatMap { name in
            if name == "auto" { return nil }
            guard let m = ContrastiveMode(rawValue: name) else {
                throw ExplainError("parameter contrast=\(name): expected auto or one of \(ContrastiveMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return m
        }
    }
    static let parameters: [MethodParameter] = [
        MethodParameter("rules", .composite(fixed: RelevanceRules.fixedNames), default: "rcam", "the LRP rules that give the layer's relevance"),
        .choice("contrast", ["auto"] + ContrastiveMode.allCases.map(\.rawValue), default: "auto",
                "initial relevance: auto = clrp_rcam for class targets, the score's gradient (lrp) otherwise"),
    ]
}

/// Relevance at layers for a batch, shared by Relevance-CAM and CF-CAM.
enum LayerRelevance {
    /// Relevance [N, K, h, w] at every value in `layers`, for the targets fixed in `capture`.
    static func compute(model: ExplainModel, request: ExplainRequest, capture: LayerCapture, layers: Set<String>,
                        options: RelevanceOptions) throws -> [String: Tensor] {
        let (composite, canonizers) = try options.rules.make()
        let output = model.outputName(for: request.target)
        let result = try RelevanceWalk.compute(model: model, input: request.input, targets: capture.targets, output: output,
                                               read: layers, composite: composite, canonizers: canonizers,
                                               contrast: options.contrast, defaultContrast: .clrpRcam)
        for l in layers {
            guard let r = result[l] else {
                throw ExplainError("no relevance reached layer '\(l)' from '\(output)' (does the output depend on it?)")
            }
            guard let a = capture.activations[l], a.shape == r.shape else {
                throw ExplainError("relevance at '\(l)' has shape \(r.shape), the activation \(capture.activations[l]?.shape ?? [])")
            }
        }
        return result
    }
}
