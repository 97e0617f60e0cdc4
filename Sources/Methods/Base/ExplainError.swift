import Graph

/// Errors of the explanation methods: what was asked (method, layer, target) and what is wrong.
public struct ExplainError: Error, Equatable, CustomStringConvertible, LocalizedErrorLike {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
