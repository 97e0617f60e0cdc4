import Graph

/// The registry of every built-in op. Each op file in `Ops/` provides a `static func register(into:)`
/// and is listed once in `StandardOps.all`.
public func standardRegistry() -> OpRegistry {
    var r = OpRegistry()
    for register in StandardOps.all { register(&r) }
    return r
}

public enum StandardOps {
    public typealias Registration = (inout OpRegistry) -> Void
    /// One line per op family file.
    public static let all: [Registration] = NNOps.all + TensorOps.all
}
