/// The registry entries of the input-space attribution methods, with the `--param key=value` keys
/// each reads. Shared keys: `map` = captum | minmax (`AttributionMapping`), `channels` =
/// abs-sum | max-abs | sum.
enum AttributionParameters {
    enum MapName: String, CaseIterable { case captum, minmax }
    enum Base: String, CaseIterable { case saliency, inputxgrad, ig }

    static func map(default d: MapName) -> [MethodParameter] {
        [.choice("map", default: d, "how attributions become a [0, 1] map: Captum's heat-map scaling or min-max"),
         .choice("channels", default: AttributionMapping.Channels.absoluteSum, "how the channels of a pixel are combined")]
    }
    static let ig: [MethodParameter] = [
        .int("steps", default: 50, "integration steps"),
        .choice("rule", default: IntegrationRule.gaussLegendre, "integration rule"),
        .float("baseline", default: 0, "the constant baseline input"),
    ]
    static let abs = MethodParameter.bool("abs", default: true, "absolute value of the gradient")

    static func mapping(_ p: MethodParameters, default def: AttributionMapping) throws -> AttributionMapping {
        var m = def
        if p.values["map"] != nil {
            m.scaling = try p.choice("map", default: MapName.captum) == .captum ? AttributionMapping.captum.scaling : .minmax
        }
        m.channels = try p.choice("channels", default: def.channels)
        return m
    }

    static func seed(_ p: MethodParameters, method: String) throws -> UInt64 {
        let s = try p.int("seed", default: 0)
        guard s >= 0 else { throw ExplainError("\(method): seed must be >= 0, got \(s)") }
        return UInt64(s)
    }

    static func saliency(_ p: MethodParameters) throws -> Saliency {
        Saliency(absolute: try p.bool("abs", default: true), mapping: try mapping(p, default: .captum))
    }
    static func integratedGradients(_ p: MethodParameters) throws -> IntegratedGradients {
        IntegratedGradients(steps: try p.int("steps", default: 50), rule: try p.choice("rule", default: IntegrationRule.gaussLegendre),
                            baseline: .constant(try p.float("baseline", default: 0)), mapping: try mapping(p, default: .captum))
    }
}

extension Saliency {
    public static let entry = MethodRegistry.Entry(
        name: "saliency", summary: "Saliency: |d score / d input| (Captum Saliency)", kind: .input,
        parameters: [AttributionParameters.abs] + AttributionParameters.map(default: .captum), batches: true) {
        try AttributionParameters.saliency($0)
    }
}

extension InputXGradient {
    public static let entry = MethodRegistry.Entry(
        name: "inputxgrad", summary: "Input x gradient (Captum InputXGradient)", kind: .input,
        parameters: AttributionParameters.map(default: .captum), batches: true) {
        InputXGradient(mapping: try AttributionParameters.mapping($0, default: .captum))
    }
}

extension IntegratedGradients {
    public static let entry = MethodRegistry.Entry(
        name: "ig", summary: "Integrated Gradients: baseline 0, 50 Gauss-Legendre steps (Captum)", kind: .input,
        parameters: AttributionParameters.ig + AttributionParameters.map(default: .captum), batches: true) {
        try AttributionParameters.integratedGradients($0)
    }
}

extension SmoothGrad {
    public static let entry = MethodRegistry.Entry(
        name: "smoothgrad", summary: "SmoothGrad: noise-averaged attributions of a base method (Captum NoiseTunnel)", kind: .input,
        parameters: [
            .choice("base", default: AttributionParameters.Base.saliency, "the attribution that is averaged"),
            .int("samples", default: 5, "noisy copies per image"),
            .float("stdev", default: 1, "noise standard deviation in input units (Captum's stdevs)"),
            MethodParameter("noise-level", .float, default: "unset", "noise standard deviation relative to each image's range (instead of stdev)"),
            .choice("kind", default: SmoothGrad.Kind.smoothgrad, "Captum's nt_type"),
            .int("seed", default: 0, "noise seed"),
            AttributionParameters.abs,
        ] + AttributionParameters.ig + AttributionParameters.map(default: .captum),
        batches: true) { p in
        let base: any InputAttribution
        let mapKeys = ["map", "channels"]
        switch try p.choice("base", default: AttributionParameters.Base.saliency) {
        case .saliency: base = try AttributionParameters.saliency(p.only(["abs"] + mapKeys))
        case .inputxgrad: base = InputXGradient(mapping: try AttributionParameters.mapping(p, default: .captum))
        case .ig: base = try AttributionParameters.integratedGradients(p.only(AttributionParameters.ig.map(\.key) + mapKeys))
        }
        let noise: SmoothGrad.Noise
        if p.values["noise-level"] != nil {
            guard p.values["stdev"] == nil else { throw ExplainError("smoothgrad: give either stdev or noise-level, not both") }
            noise = .relative(try p.float("noise-level", default: 0.15))
        } else {
            noise = .absolute(try p.float("stdev", default: 1))
        }
        return SmoothGrad(base: base, samples: try p.int("samples", default: 5), noise: noise,
                          kind: try p.choice("kind", default: SmoothGrad.Kind.smoothgrad),
                          seed: try AttributionParameters.seed(p, method: "smoothgrad"))
    }
}

extension Occlusion {
    public static let entry = MethodRegistry.Entry(
        name: "occlusion", summary: "Occlusion: score drop under a sliding 15x15 window, stride 8 (Captum Occlusion)", kind: .input,
        parameters: [
            .int("window", default: 15, "square window side, over all channels"),
            .int("stride", default: 8, "window stride"),
            .float("baseline", default: 0, "the value the window is filled with"),
        ] + AttributionParameters.map(default: .captum), batches: true) { p in
        let w = try p.int("window", default: 15), s = try p.int("stride", default: 8)
        return Occlusion(window: [w, w], strides: [s, s], baseline: .constant(try p.float("baseline", default: 0)),
                         mapping: try AttributionParameters.mapping(p, default: .captum))
    }
}

extension RISE {
    public static let entry = MethodRegistry.Entry(
        name: "rise", summary: "RISE: random-mask importance, N=4000, s=7, p1=0.5 (Petsiuk et al.)", kind: .input,
        parameters: [
            .int("masks", default: 4000, "random masks N"),
            .int("cells", default: 7, "mask grid cells s per side"),
            .float("p1", default: 0.5, "probability that a cell is kept"),
            .int("seed", default: 0, "mask seed"),
            .bool("probability", default: true, "score class probabilities (softmax) rather than raw scores"),
        ] + AttributionParameters.map(default: .minmax), batches: true) { p in
        RISE(masks: try p.int("masks", default: 4000), cells: try p.int("cells", default: 7),
             p1: Double(try p.float("p1", default: 0.5)), seed: try AttributionParameters.seed(p, method: "rise"),
             probability: try p.bool("probability", default: true),
             mapping: try AttributionParameters.mapping(p, default: .minmax))
    }
}
