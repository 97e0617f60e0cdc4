import Graph

/// Which value(s) of the graph a CAM method reads: a value by name, or `auto`.
public enum LayerSpec: Sendable, Equatable, CustomStringConvertible {
    /// A value of the graph (a node output), by its name.
    case named(String)
    /// The last spatial feature map before global pooling (see `LayerResolver.auto`).
    case auto

    /// "auto" or a value name (the CLI's `--layer`).
    public init(_ text: String) { self = text == "auto" ? .auto : .named(text) }

    public var description: String {
        switch self { case .auto: return "auto"; case .named(let n): return n }
    }
}
