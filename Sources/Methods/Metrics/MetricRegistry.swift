import Foundation
import Graph

/// Evaluation metrics by their stable names, with typed parameters: a value, like `MethodRegistry`.
/// `cfcam evaluate --metrics all` and its help list a registry's `entries` (the built-ins and what
/// plugins register). A registered name replaces the entry of that name in place.
public struct MetricRegistry: Sendable {
    public struct Entry: Sendable, NamedEntry {
        public let name: String
        public let summary: String
        /// Whether a larger value means a better explanation (the summary's sanity check reads it).
        public let higherIsBetter: Bool
        /// Whether the metric needs ground-truth boxes (it gives no value for an image without them).
        public let needsBoxes: Bool
        public let parameters: [MethodParameter]
        public let make: @Sendable (MethodParameters) throws -> any ExplanationMetric

        public init(name: String, summary: String, higherIsBetter: Bool, needsBoxes: Bool = false, parameters: [MethodParameter] = [],
                    make: @escaping @Sendable (MethodParameters) throws -> any ExplanationMetric) {
            self.name = name; self.summary = summary; self.higherIsBetter = higherIsBetter; self.needsBoxes = needsBoxes
            self.parameters = parameters; self.make = make
        }

        /// The metric configured from `parameters` (unknown keys and malformed values are errors).
        public func metric(_ parameters: MethodParameters = MethodParameters()) throws -> any ExplanationMetric {
            try parameters.check(known: self.parameters, method: "metric \(name)")
            return try make(parameters)
        }
    }

    /// Every metric, in listing order.
    public private(set) var entries: [Entry] = []

    public init() {}
    public init(_ entries: [Entry]) { for e in entries { register(e) } }

    /// The built-in metrics (`BuiltinMetrics.all`), registered as a plugin's are.
    public static var builtin: MetricRegistry { MetricRegistry(BuiltinMetrics.all) }

    /// Adds a metric; a registered name is replaced in place. Returns the replaced entry.
    @discardableResult
    public mutating func register(_ e: Entry) -> Entry? { entries.register(e) }

    public var names: [String] { entries.map(\.name) }

    public func entry(named name: String) throws -> Entry {
        guard let e = entries.entry(named: name) else {
            throw ExplainError("unknown metric '\(name)'; available: \(names.joined(separator: ", "))")
        }
        return e
    }

    /// "all" or comma-separated names, in the order given (duplicates are errors).
    public func select(_ list: String) throws -> [Entry] {
        if list == "all" { return entries }
        let names = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        return try names.map { n in
            guard !n.isEmpty else { throw ExplainError("--metrics has an empty name in '\(list)'") }
            guard seen.insert(n).inserted else { throw ExplainError("--metrics names \(n) twice") }
            return try entry(named: n)
        }
    }
}

/// The built-in metrics, in listing order (docs/metrics.md defines each).
enum BuiltinMetrics {
    static let score = MethodParameter.choice("score", default: MetricScore.probability,
                                              "probability (softmax of a class target) or logit (the target's raw score)")
    static let confidence: [MethodParameter] = [
        .choice("variant", default: ConfidenceChange.Variant.paper, "paper (relative, %, probabilities) or pytorch-grad-cam (absolute, raw score)"),
        .choice("score", default: ConfidenceChange.ScoreChoice.auto, "auto (paper: probability, pytorch-grad-cam: logit), probability or logit"),
    ]
    static func causal(_ substrate: Substrate) -> [MethodParameter] {
        [.int("step", default: 224, "pixels copied per curve point"),
         .choice("substrate", default: substrate, "zeros, blur-rise (11x11, σ 5, zero padding) or blur-groupcam (51x51, σ 50, reflect)"),
         score]
    }
    static let road: [MethodParameter] = [
        MethodParameter("percentiles", .string, default: "10,20,30,40,50,60,70,80,90", "comma-separated percentiles averaged over"),
        .float("noise", default: 0.01, "standard deviation of the noise added to imputed values"),
        .choice("score", default: MetricScore.logit, "logit (pytorch-grad-cam's default target) or probability"),
    ]
    static let boxes = "needs boxes"

    static func road(_ o: ROAD.Order, _ p: MethodParameters) throws -> any ExplanationMetric {
        try ROAD(o, percentiles: ROAD.parsePercentiles(p.values["percentiles"] ?? "10,20,30,40,50,60,70,80,90"),
                 noise: p.float("noise", default: 0.01), score: p.choice("score", default: MetricScore.logit))
    }

    static let all: [MetricRegistry.Entry] = [
        .init(name: "average-drop", summary: "Average Drop: score lost when the input is multiplied by the map (lower is better)",
              higherIsBetter: false, parameters: confidence) { p in
            ConfidenceChange(.drop, variant: try p.choice("variant", default: .paper), score: try p.choice("score", default: .auto))
        },
        .init(name: "increase-in-confidence", summary: "Increase in Confidence: 1 when the map-multiplied input scores higher",
              higherIsBetter: true, parameters: confidence) { p in
            ConfidenceChange(.increase, variant: try p.choice("variant", default: .paper), score: try p.choice("score", default: .auto))
        },
        .init(name: "insertion", summary: "Insertion AUC (RISE): most salient pixels first onto a blurred image", higherIsBetter: true,
              parameters: causal(.blurRISE)) { p in
            try CausalMetric(.insertion, step: p.int("step", default: 224), substrate: p.choice("substrate", default: .blurRISE),
                             score: p.choice("score", default: .probability))
        },
        .init(name: "deletion", summary: "Deletion AUC (RISE): most salient pixels removed first (lower is better)", higherIsBetter: false,
              parameters: causal(.zeros)) { p in
            try CausalMetric(.deletion, step: p.int("step", default: 224), substrate: p.choice("substrate", default: .zeros),
                             score: p.choice("score", default: .probability))
        },
        .init(name: "pointing-game", summary: "Pointing game: the map's maximum within 15 px of a box of the class", higherIsBetter: true,
              needsBoxes: true, parameters: [.float("tolerance", default: 15, "hit distance in input pixels (strict <)")]) { p in
            PointingGame(tolerance: Double(try p.float("tolerance", default: 15)))
        },
        .init(name: "energy-pointing-game", summary: "Energy pointing game: share of the map's mass inside the class's boxes",
              higherIsBetter: true, needsBoxes: true) { _ in EnergyPointingGame() },
        .init(name: "localization-error", summary: "Localisation error: box of the largest component at 15% of the max, IoU >= 0.5",
              higherIsBetter: false, needsBoxes: true,
              parameters: [.float("threshold", default: 0.15, "fraction of the map's maximum"),
                           .choice("mode", default: LocalizationError.Mode.gtKnown, "gt-known (the box alone) or top1 (also the top-1 class)")]) { p in
            LocalizationError(threshold: try p.float("threshold", default: 0.15), mode: try p.choice("mode", default: .gtKnown))
        },
        .init(name: "road-morf", summary: "ROAD MoRF: score change with the most relevant pixels imputed (lower is better)",
              higherIsBetter: false, parameters: road) { try road(.morf, $0) },
        .init(name: "road-lerf", summary: "ROAD LeRF: score change with the least relevant pixels imputed", higherIsBetter: true,
              parameters: road) { try road(.lerf, $0) },
        .init(name: "road-combined", summary: "ROAD combined: (LeRF − MoRF) / 2", higherIsBetter: true, parameters: road) { try road(.combined, $0) },
    ]
}
