import Graph

/// Named LRP composites (the `composite` parameter of `lrp` / `clrp` / `sglrp` and the `rules`
/// parameter of Relevance-CAM and CF-CAM), and the canonizers every composite walk applies first.
///
/// A value: the built-ins (`CompositeRegistry.builtin`, Zennit's six presets and `MergeBatchNorm`)
/// are registered through `register` exactly as a plugin's composite or canonizer is. Registering a
/// name again replaces the earlier entry in place (the rule `Registries` records as an override).
public struct CompositeRegistry: Sendable {
    public struct Entry: Sendable, NamedEntry {
        public let name: String
        public let summary: String
        /// The composite for the preset options (stabiliser, ε, γ, ZBox bounds, zeroed biases).
        public let make: @Sendable (Composite.PresetOptions) throws -> Composite
        public init(name: String, summary: String, make: @escaping @Sendable (Composite.PresetOptions) throws -> Composite) {
            self.name = name; self.summary = summary; self.make = make
        }
    }

    public struct CanonizerEntry: Sendable, NamedEntry {
        public let name: String
        public let canonizer: any Canonizer
        public init(name: String, canonizer: any Canonizer) { self.name = name; self.canonizer = canonizer }
    }

    public private(set) var entries: [Entry] = []
    /// Applied in this order before every composite walk (Relevance-CAM's `rcam` rules excepted, which
    /// reproduce code that does not canonize).
    public private(set) var canonizerEntries: [CanonizerEntry] = []

    public init() {}

    /// Adds a composite; returns the entry it replaced, if any.
    @discardableResult
    public mutating func register(_ e: Entry) -> Entry? {
        entries.register(e)
    }

    /// Adds a canonizer; returns the entry it replaced, if any.
    @discardableResult
    public mutating func register(canonizer e: CanonizerEntry) -> CanonizerEntry? {
        canonizerEntries.register(e)
    }

    public var names: [String] { entries.map(\.name) }
    public var canonizers: [any Canonizer] { canonizerEntries.map(\.canonizer) }

    /// The composite named `name` with `options`; an unknown name lists the known ones.
    public func composite(named name: String, options: Composite.PresetOptions = Composite.PresetOptions()) throws -> Composite {
        guard let e = entries.first(where: { $0.name == name }) else {
            throw LRPError.invalidParameter("unknown LRP composite '\(name)'; known: \(names.joined(separator: ", "))")
        }
        return try e.make(options)
    }

    /// Zennit's presets and `MergeBatchNorm`, registered one by one.
    public static var builtin: CompositeRegistry {
        var r = CompositeRegistry()
        registerBuiltins(into: &r)
        return r
    }

    /// What `builtin` registers, for a registry being filled by several parties.
    public static func registerBuiltins(into r: inout CompositeRegistry) {
        for p in Composite.Preset.allCases {
            r.register(Entry(name: p.rawValue, summary: p.summary) { try Composite.preset(p, options: $0) })
        }
        r.register(canonizer: CanonizerEntry(name: "merge-batchnorm", canonizer: MergeBatchNorm()))
    }
}

extension Composite.Preset {
    /// One line for listings.
    public var summary: String {
        switch self {
        case .epsilonPlus: return "ZPlus on convolutions, Epsilon on dense layers"
        case .epsilonPlusFlat: return "epsilon-plus with Flat on the first linear layer"
        case .epsilonGammaBox: return "Gamma on convolutions, Epsilon on dense layers, ZBox on the first convolution"
        case .epsilonAlpha2Beta1: return "AlphaBeta(2, 1) on convolutions, Epsilon on dense layers"
        case .epsilonAlpha2Beta1Flat: return "epsilon-alpha2-beta1 with Flat on the first linear layer"
        case .excitationBackprop: return "ZPlus on every linear layer; activations and BatchNorm by their gradient"
        }
    }
}
