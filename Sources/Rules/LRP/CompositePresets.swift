import Graph

extension Composite {
    /// zennit's built-in composites. "Dense" is Gemm / MatMul (zennit's `torch.nn.Linear`);
    /// every other linear-role op (Conv, ConvTranspose, custom linear ops) gets the convolution rule.
    /// Every preset also gives products (Mul, Div) `GateRule` and LayerNormalization /
    /// InstanceNormalization `LayerNormRule` (zero bias with `zeroBias`), with the preset's
    /// stabiliser (docs/lrp-rules.md has the table).
    public enum Preset: String, Sendable, CaseIterable {
        /// ZPlus on convolutions, Epsilon on dense layers.
        case epsilonPlus = "epsilon-plus"
        /// As epsilon-plus, with Flat on the first linear layer (conv or dense).
        case epsilonPlusFlat = "epsilon-plus-flat"
        /// Gamma on convolutions, Epsilon on dense layers, ZBox on the first convolution.
        case epsilonGammaBox = "epsilon-gamma-box"
        /// AlphaBeta(2, 1) on convolutions, Epsilon on dense layers.
        case epsilonAlpha2Beta1 = "epsilon-alpha2-beta1"
        /// As epsilon-alpha2-beta1, with Flat on the first linear layer.
        case epsilonAlpha2Beta1Flat = "epsilon-alpha2-beta1-flat"
        /// ZPlus on every linear layer; activations and BatchNorm use their gradient (no Pass).
        case excitationBackprop = "excitation-backprop"
    }

    /// Parameters of the presets (zennit's defaults).
    public struct PresetOptions: Sendable {
        /// ε of the Epsilon rule on dense layers.
        public var epsilon: Float = 1e-6
        /// Stabiliser of every other rule.
        public var stabilizer = Stabilizer()
        /// γ of the Gamma rule.
        public var gamma: Float = 0.25
        /// ZBox bounds (scalars or per-channel); default: ImageNet-normalised [0, 1] pixels.
        public var low: Tensor = PresetOptions.imagenetLow
        public var high: Tensor = PresetOptions.imagenetHigh
        /// zennit's `zero_params='bias'` on every parametric rule.
        public var zeroBias = false

        public init() {}

        /// (0 − μ_c)/σ_c for the ImageNet mean and std (docs/methods.md, "LRP rules", ZBox), shape [1, 3, 1, 1].
        public static let imagenetLow = Tensor(unchecked: [1, 3, 1, 1], floats: [-2.117904, -2.035714, -1.804444])
        /// (1 − μ_c)/σ_c, shape [1, 3, 1, 1].
        public static let imagenetHigh = Tensor(unchecked: [1, 3, 1, 1], floats: [2.248908, 2.428571, 2.640000])
    }

    /// A preset by its name ("epsilon-plus", ...); throws for an unknown name, listing the known ones.
    public static func preset(named name: String, options: PresetOptions = PresetOptions()) throws -> Composite {
        guard let p = Preset(rawValue: name) else {
            throw LRPError.invalidParameter("unknown LRP composite '\(name)'; known: \(Preset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try preset(p, options: options)
    }

    /// The composite for a preset.
    public static func preset(_ p: Preset, options o: PresetOptions = PresetOptions()) throws -> Composite {
        let stab = o.stabilizer
        let products = [Entry(.role(.product), GateRule(stabilizer: stab)),
                        Entry(.role(.normalization), LayerNormRule(stabilizer: stab, zeroBias: o.zeroBias))]
        let base: [Entry] = [Entry(.role(.elementwise), PassRule()), Entry(.role(.sum), NormRule(stabilizer: stab)),
                             Entry(.role(.batchNorm), PassRule())] + products
        let dense = Entry(.dense, LRPRules.epsilon(o.epsilon, zeroBias: o.zeroBias))
        let zPlus = LRPRules.zPlus(stabilizer: stab, zeroBias: o.zeroBias)
        let ab = try LRPRules.alphaBeta(alpha: 2, beta: 1, stabilizer: stab, zeroBias: o.zeroBias)
        let flat = Entry(.first(.role(.linear)), LRPRules.flat(stabilizer: stab))
        switch p {
        case .epsilonPlus:
            return Composite(base + [Entry(.role(.linear), zPlus), dense])
        case .epsilonPlusFlat:
            return Composite(base + [Entry(.role(.linear), zPlus), dense, flat])
        case .epsilonGammaBox:
            let box = LRPRules.zBox(low: o.low, high: o.high, stabilizer: stab, zeroBias: o.zeroBias)
            return Composite(base + [Entry(.role(.linear), LRPRules.gamma(o.gamma, stabilizer: stab, zeroBias: o.zeroBias)),
                                     dense, Entry(.first(.convolution), box)])
        case .epsilonAlpha2Beta1:
            return Composite(base + [Entry(.role(.linear), ab), dense])
        case .epsilonAlpha2Beta1Flat:
            return Composite(base + [Entry(.role(.linear), ab), dense, flat])
        case .excitationBackprop:
            return Composite([Entry(.role(.elementwise), GradientRule()), Entry(.role(.batchNorm), GradientRule()),
                              Entry(.role(.sum), NormRule(stabilizer: stab)), Entry(.role(.linear), zPlus)] + products)
        }
    }
}
