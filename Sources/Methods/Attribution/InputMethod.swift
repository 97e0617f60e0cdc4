/// The built-in input-space attribution methods, listed once by their stable CLI names, with the
/// `--param key=value` keys each reads (`MethodParameters`). `entry` gives the registry entry
/// (kind `.input`).
///
/// Keys: `map` = captum | minmax (`AttributionMapping`), `channels` = abs-sum | max-abs | sum;
/// saliency `abs` = true | false; ig `steps`, `rule` (gausslegendre, riemann_trapezoid,
/// riemann_left, riemann_right, riemann_middle), `baseline` (a constant); smoothgrad `base`
/// (saliency | inputxgrad | ig, with that method's keys), `samples`, `stdev` (absolute σ, Captum) or
/// `noise-level` (σ relative to each image's range), `kind` (smoothgrad | smoothgrad_sq | vargrad),
/// `seed`; occlusion `window`, `stride` (square, over all channels), `baseline`; rise `masks`,
/// `cells`, `p1`, `seed`, `probability` = true | false.
public enum InputMethod: String, CaseIterable, Sendable {
    case saliency
    case inputxgrad
    case ig
    case smoothgrad
    case occlusion
    case rise

    public var summary: String {
        switch self {
        case .saliency: return "Saliency: |d score / d input| (Captum Saliency)"
        case .inputxgrad: return "Input x gradient (Captum InputXGradient)"
        case .ig: return "Integrated Gradients: baseline 0, 50 Gauss-Legendre steps (Captum)"
        case .smoothgrad: return "SmoothGrad: noise-averaged attributions of a base method (Captum NoiseTunnel)"
        case .occlusion: return "Occlusion: score drop under a sliding 15x15 window, stride 8 (Captum Occlusion)"
        case .rise: return "RISE: random-mask importance, N=4000, s=7, p1=0.5 (Petsiuk et al.)"
        }
    }

    static let mapKeys = ["map", "channels"]
    static let igKeys = ["steps", "rule", "baseline"]

    public var parameters: [String] {
        switch self {
        case .saliency: return ["abs"] + InputMethod.mapKeys
        case .inputxgrad: return InputMethod.mapKeys
        case .ig: return InputMethod.igKeys + InputMethod.mapKeys
        case .smoothgrad:
            return ["base", "samples", "stdev", "noise-level", "kind", "seed", "abs"] + InputMethod.igKeys + InputMethod.mapKeys
        case .occlusion: return ["window", "stride", "baseline"] + InputMethod.mapKeys
        case .rise: return ["masks", "cells", "p1", "seed", "probability"] + InputMethod.mapKeys
        }
    }

    enum Flag: String, CaseIterable { case `true`, `false` }
    enum MapName: String, CaseIterable { case captum, minmax }
    enum Base: String, CaseIterable { case saliency, inputxgrad, ig }

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

    /// The method configured from `p` (its keys are checked by `MethodRegistry.method(named:parameters:)`).
    public func make(_ p: MethodParameters) throws -> any InputAttribution {
        switch self {
        case .saliency:
            return Saliency(absolute: try p.choice("abs", default: Flag.true) == .true,
                            mapping: try InputMethod.mapping(p, default: .captum))
        case .inputxgrad:
            return InputXGradient(mapping: try InputMethod.mapping(p, default: .captum))
        case .ig:
            return IntegratedGradients(steps: try p.int("steps", default: 50), rule: try p.choice("rule", default: IntegrationRule.gaussLegendre),
                                       baseline: .constant(try p.float("baseline", default: 0)),
                                       mapping: try InputMethod.mapping(p, default: .captum))
        case .smoothgrad:
            let base: any InputAttribution
            switch try p.choice("base", default: Base.saliency) {
            case .saliency: base = try InputMethod.saliency.make(p.only(["abs"] + InputMethod.mapKeys))
            case .inputxgrad: base = try InputMethod.inputxgrad.make(p.only(InputMethod.mapKeys))
            case .ig: base = try InputMethod.ig.make(p.only(InputMethod.igKeys + InputMethod.mapKeys))
            }
            let noise: SmoothGrad.Noise
            if p.values["noise-level"] != nil {
                guard p.values["stdev"] == nil else { throw ExplainError("smoothgrad: give either stdev or noise-level, not both") }
                noise = .relative(try p.float("noise-level", default: 0.15))
            } else {
                noise = .absolute(try p.float("stdev", default: 1))
            }
            return SmoothGrad(base: base, samples: try p.int("samples", default: 5), noise: noise,
                              kind: try p.choice("kind", default: SmoothGrad.Kind.smoothgrad), seed: try InputMethod.seed(p, method: "smoothgrad"))
        case .occlusion:
            let w = try p.int("window", default: 15), s = try p.int("stride", default: 8)
            return Occlusion(window: [w, w], strides: [s, s], baseline: .constant(try p.float("baseline", default: 0)),
                             mapping: try InputMethod.mapping(p, default: .captum))
        case .rise:
            return RISE(masks: try p.int("masks", default: 4000), cells: try p.int("cells", default: 7),
                        p1: Double(try p.float("p1", default: 0.5)), seed: try InputMethod.seed(p, method: "rise"),
                        probability: try p.choice("probability", default: Flag.true) == .true,
                        mapping: try InputMethod.mapping(p, default: .minmax))
        }
    }

    /// The registry entry (kind `.input`).
    public var entry: MethodRegistry.Entry {
        let m = self
        return MethodRegistry.Entry(name: rawValue, summary: summary, kind: .input, parameters: parameters) { try m.make($0) }
    }
}

extension MethodParameters {
    /// The subset of the values whose keys are in `keys`.
    func only(_ keys: [String]) -> MethodParameters {
        MethodParameters(values.filter { keys.contains($0.key) })
    }
}
