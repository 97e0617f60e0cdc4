import Graph
import Foundation

/// The `--target` syntaxes: each entry reads the text it recognises into a `Target` and returns nil
/// for text it does not. Entries are tried in registration order; the first that reads the text
/// wins. The built-ins (`top1`, `CLASS`, `A-vs-B`, `A-vs-all`) are registered exactly as a plugin's
/// syntax is; registering a name again replaces that entry in place.
public struct TargetRegistry: Sendable {
    public struct Entry: Sendable, NamedEntry {
        public let name: String
        /// How the user writes it, for help and errors ("A-vs-B").
        public let syntax: String
        public let summary: String
        public let parse: @Sendable (String) throws -> Target?
        public init(name: String, syntax: String, summary: String, parse: @escaping @Sendable (String) throws -> Target?) {
            self.name = name; self.syntax = syntax; self.summary = summary; self.parse = parse
        }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Adds a syntax; returns the entry it replaced, if any.
    @discardableResult
    public mutating func register(_ e: Entry) -> Entry? {
        entries.register(e)
    }

    public var names: [String] { entries.map(\.name) }

    /// The target `text` describes; an error lists every syntax when none reads it.
    public func parse(_ text: String) throws -> Target {
        for e in entries { if let t = try e.parse(text) { return t } }
        throw ExplainError("target '\(text)' is not \(entries.map(\.syntax).joined(separator: ", "))")
    }

    /// The built-in syntaxes.
    public static var builtin: TargetRegistry {
        var r = TargetRegistry()
        r.register(Entry(name: "top1", syntax: "top1", summary: "each image's top prediction") { $0 == "top1" ? .top1 : nil })
        r.register(Entry(name: "class", syntax: "CLASS", summary: "a class index") { Int($0).map(Target.classIndex) })
        r.register(Entry(name: "contrast", syntax: "A-vs-B", summary: "class A's score minus class B's") { s in
            let parts = s.components(separatedBy: "-vs-")
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else { return nil }
            return .contrast(a, b)
        })
        r.register(Entry(name: "contrast-all", syntax: "A-vs-all", summary: "class A's score minus the mean of the others") { s in
            let parts = s.components(separatedBy: "-vs-")
            guard parts.count == 2, parts[1] == "all", let a = Int(parts[0]) else { return nil }
            return .contrastAll(a)
        })
        return r
    }
}
