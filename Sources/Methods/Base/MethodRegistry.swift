import Foundation

/// Every explanation method by its stable lower-case name: the built-ins (`BuiltinMethod`) and
/// any a user registers. The CLI's `--method` and the docs list `MethodRegistry.entries`.
///
/// A user adds a method without editing the package:
///
///     MethodRegistry.register(name: "mycam", summary: "my CAM", kind: .layer) { _ in MyCAM() }
///
/// Registering an existing name replaces it (this is how a built-in is overridden).
public enum MethodRegistry {
    /// Whether a method reads layers (CAMs) or explains the input directly.
    public enum Kind: String, Sendable { case layer, input }

    public struct Entry: Sendable {
        public let name: String
        public let summary: String
        public let kind: Kind
        /// The parameter keys the factory reads (for help texts).
        public let parameters: [String]
        public let make: @Sendable (MethodParameters) throws -> any ExplanationMethod
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered: [Entry] = []

    /// Adds (or replaces) a method.
    public static func register(name: String, summary: String, kind: Kind, parameters: [String] = [],
                                make: @escaping @Sendable (MethodParameters) throws -> any ExplanationMethod) {
        let e = Entry(name: name, summary: summary, kind: kind, parameters: parameters, make: make)
        lock.lock(); defer { lock.unlock() }
        registered.removeAll { $0.name == name }
        registered.append(e)
    }

    /// The built-ins (in `BuiltinMethod` order) followed by registered methods; a registered
    /// method with a built-in's name takes its place.
    public static var entries: [Entry] {
        lock.lock(); let extra = registered; lock.unlock()
        var list = BuiltinMethod.allCases.map(\.entry) + InputMethod.allCases.map(\.entry)
        for e in extra {
            if let i = list.firstIndex(where: { $0.name == e.name }) { list[i] = e } else { list.append(e) }
        }
        return list
    }

    /// Every method name, in listing order.
    public static var names: [String] { entries.map(\.name) }

    public static func entry(named name: String) throws -> Entry {
        guard let e = entries.first(where: { $0.name == name }) else {
            throw ExplainError("unknown method '\(name)'; available: \(names.joined(separator: ", "))")
        }
        return e
    }

    /// A method instance by name, configured from `parameters` (unknown keys are errors).
    public static func method(named name: String, parameters: MethodParameters = MethodParameters()) throws -> any ExplanationMethod {
        let e = try entry(named: name)
        try parameters.check(known: e.parameters, method: name)
        return try e.make(parameters)
    }
}
