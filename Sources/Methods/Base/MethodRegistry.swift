import Graph

/// Explanation methods by their stable lower-case names: a value, filled with the built-ins
/// (`BuiltinMethods.all`, each defined beside its method) and whatever a user or plugin registers.
/// The CLI's `--method`, its help and completions, `cfcam methods` and the docs' method table all
/// list a registry's `entries`.
///
/// A user adds a method the way the built-ins are added:
///
///     var methods = MethodRegistry.builtin
///     methods.register(MethodRegistry.Entry(name: "mycam", summary: "my CAM", kind: .layer) { _ in MyCAM() })
///
/// Registering an existing name replaces it (this is how a built-in is overridden).
public struct MethodRegistry: Sendable {
    /// Whether a method reads layers (CAMs) or explains the input directly.
    public enum Kind: String, Sendable { case layer, input }

    /// What a method's map holds.
    public enum Output: String, Sendable {
        /// [N, H, W] in [0, 1] at the input's size.
        case map
        /// Signed input relevance summed over channels, [N, H, W] (its sum is what LRP conserves).
        case relevance
        /// The raw input gradient [N, C, H, W].
        case gradient

        public var description: String {
            switch self {
            case .map: return "[N, H, W] in [0, 1]"
            case .relevance: return "[N, H, W] signed relevance"
            case .gradient: return "[N, C, H, W] gradient"
            }
        }
    }

    public struct Entry: Sendable, NamedEntry {
        public let name: String
        public let summary: String
        public let kind: Kind
        public let output: Output
        /// The parameters the factory reads, with types and defaults.
        public let parameters: [MethodParameter]
        /// Whether the method evaluates many rows (so `batchSize` and `progress` apply).
        public let batches: Bool
        /// Whether the method needs a similarity target (a reference image or embedding).
        public let needsSimilarity: Bool
        public let make: @Sendable (MethodParameters) throws -> any ExplanationMethod

        public init(name: String, summary: String, kind: Kind, output: Output = .map, parameters: [MethodParameter] = [],
                    batches: Bool = false, needsSimilarity: Bool = false,
                    make: @escaping @Sendable (MethodParameters) throws -> any ExplanationMethod) {
            self.name = name; self.summary = summary; self.kind = kind; self.output = output
            self.parameters = parameters; self.batches = batches; self.needsSimilarity = needsSimilarity; self.make = make
        }

        /// A method instance configured from `parameters` (unknown keys and malformed values are errors).
        public func method(_ parameters: MethodParameters = MethodParameters()) throws -> any ExplanationMethod {
            try parameters.check(known: self.parameters, method: name)
            return try make(parameters)
        }

        /// Throws when the request carries something this method does not use (so nothing is
        /// silently ignored): layers for an input method, a batch size or progress for a method
        /// that runs one pass, or a non-similarity target for a similarity method.
        public func checkApplicable(_ usage: RequestUsage) throws {
            if usage.layers && kind == .input {
                throw ExplainError("\(name) explains the input directly; it reads no layer (drop --layer)")
            }
            if usage.batchSize && !batches {
                throw ExplainError("\(name) runs one forward and one backward pass; a batch size does not apply (drop --batch-size)")
            }
            if usage.progress && !batches {
                throw ExplainError("\(name) runs one pass; there is no progress to report (drop --progress)")
            }
            if needsSimilarity && !usage.similarity {
                throw ExplainError("\(name) explains the similarity of two embeddings: give --reference IMAGE or --reference-embedding E.npy")
            }
        }
    }

    /// Which request settings the user chose explicitly (`Entry.checkApplicable`).
    public struct RequestUsage: Sendable, Equatable {
        public var layers = false, batchSize = false, progress = false, similarity = false
        public init(layers: Bool = false, batchSize: Bool = false, progress: Bool = false, similarity: Bool = false) {
            self.layers = layers; self.batchSize = batchSize; self.progress = progress; self.similarity = similarity
        }
    }

    /// Every method, in listing order.
    public private(set) var entries: [Entry] = []

    /// An empty registry.
    public init() {}

    /// A registry of `entries`, registered in order.
    public init(_ entries: [Entry]) { for e in entries { register(e) } }

    /// The built-in methods (`BuiltinMethods.all`), registered one by one as a plugin's are.
    public static var builtin: MethodRegistry { MethodRegistry(BuiltinMethods.all) }

    /// Adds a method. A name already registered is replaced in place (keeping its listing position):
    /// this is how a built-in is overridden. Returns the entry it replaced, if any.
    @discardableResult
    public mutating func register(_ e: Entry) -> Entry? {
        entries.register(e)
    }

    /// Every method name, in listing order.
    public var names: [String] { entries.map(\.name) }

    public func entry(named name: String) throws -> Entry {
        guard let e = entries.first(where: { $0.name == name }) else {
            throw ExplainError("unknown method '\(name)'; available: \(names.joined(separator: ", "))")
        }
        return e
    }

    /// A method instance by name, configured from `parameters` (unknown keys are errors).
    public func method(named name: String, parameters: MethodParameters = MethodParameters()) throws -> any ExplanationMethod {
        try entry(named: name).method(parameters)
    }
}
