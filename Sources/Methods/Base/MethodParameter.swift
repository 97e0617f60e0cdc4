import Rules

/// One parameter a method reads from `--param KEY=VALUE`: its key, type, default and allowed
/// values. The CLI's `cfcam methods`, `--help` and the docs print these, and
/// `MethodParameters.check` rejects unknown keys and malformed values before a method runs.
public struct MethodParameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case int, float, bool, string
        /// One of these words.
        case choice([String])
        /// One of the words `fixed`, or the name of an LRP composite registered in the parameters'
        /// `CompositeRegistry` (so a plugin's composite is accepted wherever the presets are).
        case composite(fixed: [String])

        /// The description with the composites of `composites` spelled out.
        public func description(composites: CompositeRegistry) -> String {
            if case .composite(let fixed) = self { return (fixed + composites.names).joined(separator: "|") }
            return description
        }

        /// The built-in composites' names spelled out for `.composite`.
        public var description: String {
            switch self {
            case .composite: return description(composites: .builtin)
            case .int: return "integer"
            case .float: return "number"
            case .bool: return "true|false"
            case .string: return "text"
            case .choice(let c): return c.joined(separator: "|")
            }
        }
    }

    public var key: String
    public var kind: Kind
    /// The value used when the key is absent, as the user would write it.
    public var defaultValue: String
    public var summary: String

    public init(_ key: String, _ kind: Kind, default defaultValue: String, _ summary: String) {
        self.key = key; self.kind = kind; self.defaultValue = defaultValue; self.summary = summary
    }

    public static func int(_ key: String, default d: Int, _ summary: String) -> MethodParameter {
        MethodParameter(key, .int, default: String(d), summary)
    }
    public static func float(_ key: String, default d: Float, _ summary: String) -> MethodParameter {
        MethodParameter(key, .float, default: String(d), summary)
    }
    public static func bool(_ key: String, default d: Bool, _ summary: String) -> MethodParameter {
        MethodParameter(key, .bool, default: d ? "true" : "false", summary)
    }
    public static func choice<T: RawRepresentable & CaseIterable>(_ key: String, default d: T, _ summary: String) -> MethodParameter
    where T.RawValue == String {
        MethodParameter(key, .choice(T.allCases.map(\.rawValue)), default: d.rawValue, summary)
    }
    public static func choice(_ key: String, _ values: [String], default d: String, _ summary: String) -> MethodParameter {
        MethodParameter(key, .choice(values), default: d, summary)
    }

    /// Throws unless `value` is well-formed for this parameter.
    public func validate(_ value: String, method: String, composites: CompositeRegistry = .builtin) throws {
        let ok: Bool
        switch kind {
        case .int: ok = Int(value) != nil
        case .float: ok = Float(value).map(\.isFinite) ?? false
        case .bool: ok = ["true", "false", "1", "0", "yes", "no"].contains(value.lowercased())
        case .string: ok = true
        case .choice(let c): ok = c.contains(value)
        case .composite(let fixed): ok = fixed.contains(value) || composites.names.contains(value)
        }
        guard ok else {
            throw ExplainError("method \(method): parameter \(key)=\(value) is not \(kind == .int ? "an integer" : kind == .float ? "a number" : "one of \(kind.description(composites: composites))")")
        }
    }
}
