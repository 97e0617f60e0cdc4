import Graph

/// Model formats by name: each importer says which model specs it reads (a path, or
/// `ARCH:WEIGHTS.npz`) and turns one into a `Graph`. `ModelLoader.load` asks the registry; the
/// first importer that claims a spec reads it, else the fallback (ONNX, whose parser then names
/// what is wrong with the file). The built-ins (`architecture`, `onnx`) are registered exactly as a
/// plugin's importer is; registering a name again replaces that entry in place.
public struct ImporterRegistry: Sendable {
    public struct Entry: Sendable, NamedEntry {
        public let name: String
        public let summary: String
        /// Whether this importer reads `spec` (cheap: by its extension or form, not by parsing it).
        public let claims: @Sendable (String) -> Bool
        /// The graph of `spec`. Errors should name the file; `ModelLoader` adds it when they do not.
        public let load: @Sendable (String) throws -> Graph
        public init(name: String, summary: String, claims: @escaping @Sendable (String) -> Bool,
                    load: @escaping @Sendable (String) throws -> Graph) {
            self.name = name; self.summary = summary; self.claims = claims; self.load = load
        }
    }

    public private(set) var entries: [Entry] = []
    /// The importer used when none claims a spec.
    public var fallback: String?

    public init() {}

    /// Adds an importer; returns the entry it replaced, if any.
    @discardableResult
    public mutating func register(_ e: Entry) -> Entry? {
        entries.register(e)
    }

    public var names: [String] { entries.map(\.name) }

    /// The importer for `spec`: the first that claims it, else the fallback.
    public func importer(for spec: String) throws -> Entry {
        if let e = entries.first(where: { $0.claims(spec) }) { return e }
        if let f = fallback, let e = entries.first(where: { $0.name == f }) { return e }
        throw GraphError.inFile(path: spec, underlying: .invalidGraph("no importer reads this model (importers: \(names.joined(separator: ", ")))"))
    }

    /// ONNX files and built-in torchvision architectures with `.npz` weights.
    public static var builtin: ImporterRegistry {
        var r = ImporterRegistry()
        r.register(Entry(name: "architecture", summary: "ARCH:WEIGHTS.npz: a built-in torchvision architecture (\(Architectures.names.count) of them) with a state_dict",
                         claims: ModelLoader.isArchitectureSpec) { try Architectures.load(spec: $0) })
        r.register(Entry(name: "onnx", summary: "an ONNX model file (.onnx)", claims: { $0.lowercased().hasSuffix(".onnx") }) {
            try ONNXImporter.load(path: $0)
        })
        r.fallback = "onnx"
        return r
    }
}
