import Rules

/// Method-specific settings by name (the CLI's `--param key=value`), read with typed accessors that
/// throw on malformed values. Each method documents the keys it reads; unknown keys are errors.
///
/// The parameters also carry the LRP composites and canonizers that name-valued parameters
/// (`composite`, `rules`) resolve against: the built-ins unless the caller's registries add some.
public struct MethodParameters: Sendable, Equatable {
    public var values: [String: String]
    public var composites: CompositeRegistry
    public init(_ values: [String: String] = [:], composites: CompositeRegistry = .builtin) {
        self.values = values; self.composites = composites
    }

    public static func == (a: MethodParameters, b: MethodParameters) -> Bool {
        a.values == b.values && a.composites.names == b.composites.names
    }

    /// Parses "key=value" items.
    public init(parsing items: [String], composites: CompositeRegistry = .builtin) throws {
        var v: [String: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ExplainError("method parameter '\(item)' is not key=value")
            }
            v[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        values = v
        self.composites = composites
    }

    public func int(_ key: String, default def: Int) throws -> Int {
        guard let s = values[key] else { return def }
        guard let v = Int(s) else { throw ExplainError("parameter \(key)=\(s) is not an integer") }
        return v
    }
    public func float(_ key: String, default def: Float) throws -> Float {
        guard let s = values[key] else { return def }
        guard let v = Float(s), v.isFinite else { throw ExplainError("parameter \(key)=\(s) is not a number") }
        return v
    }
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, default def: T) throws -> T where T.RawValue == String {
        guard let s = values[key] else { return def }
        guard let v = T(rawValue: s) else {
            throw ExplainError("parameter \(key)=\(s): expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
    /// Throws if any key is not one of `known` (catches typos) or a value is malformed.
    public func check(known: [MethodParameter], method: String) throws {
        let keys = known.map(\.key)
        let unknown = values.keys.filter { !keys.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ExplainError("method \(method) has no parameter \(unknown.joined(separator: ", "))"
                               + (keys.isEmpty ? " (it takes none)" : " (it reads \(keys.joined(separator: ", ")))"))
        }
        for p in known { if let v = values[p.key] { try p.validate(v, method: method, composites: composites) } }
    }

    /// A boolean parameter: true/false, 1/0, yes/no.
    public func bool(_ key: String, default def: Bool) throws -> Bool {
        guard let s = values[key] else { return def }
        switch s.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ExplainError("parameter \(key)=\(s) is not a boolean (true/false)")
        }
    }

    /// The subset of the values whose keys are in `keys`.
    func only(_ keys: [String]) -> MethodParameters {
        MethodParameters(values.filter { keys.contains($0.key) }, composites: composites)
    }
}
