import Graph

/// A rendering request that cannot be carried out (wrong map size, bad alpha, unknown colormap,
/// empty panel, an output too large). `description` says what was asked and what was wrong.
public struct RenderError: Error, Equatable, CustomStringConvertible, LocalizedErrorLike {
    /// What failed, e.g. "overlay" or "colormap".
    public var context: String
    public var message: String

    public init(_ context: String, _ message: String) {
        self.context = context; self.message = message
    }

    public var description: String { "\(context): \(message)" }
}
