/// A dimension: known, or a symbol (e.g. the batch size "N").
public enum Dim: Sendable, Equatable, Hashable, CustomStringConvertible {
    case fixed(Int)
    case symbol(String)

    public var value: Int? { if case .fixed(let v) = self { return v }; return nil }
    public var description: String {
        switch self { case .fixed(let v): return "\(v)"; case .symbol(let s): return s }
    }
}

/// Declared type of a graph input or output (or an inferred intermediate value).
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    /// nil when the rank is unknown.
    public var shape: [Dim]?

    public init(name: String, dtype: DType = .float32, shape: [Dim]?) {
        self.name = name; self.dtype = dtype; self.shape = shape
    }
    /// The shape with every symbol replaced by `symbolValue` (for making example inputs).
    public func concreteShape(symbolValue: Int = 1) -> [Int]? {
        shape?.map { $0.value ?? symbolValue }
    }
    public var shapeDescription: String {
        guard let s = shape else { return "?" }
        return "[" + s.map(\.description).joined(separator: ", ") + "]"
    }
}
