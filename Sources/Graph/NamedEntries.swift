/// An entry of a name-keyed registry (methods, composites, targets, importers, ...).
public protocol NamedEntry {
    var name: String { get }
}

extension Array where Element: NamedEntry {
    /// The registries' one rule: an entry whose name is already present replaces that entry in
    /// place (keeping its position in listings); a new name is appended. Returns the replaced entry.
    @discardableResult
    public mutating func register(_ e: Element) -> Element? {
        if let i = firstIndex(where: { $0.name == e.name }) { let old = self[i]; self[i] = e; return old }
        append(e); return nil
    }

    /// The entry named `name`, or nil.
    public func entry(named name: String) -> Element? { first { $0.name == name } }
}
