/// A failure of an input-space attribution method: which method, and what is wrong
/// (a bad option, an input or output of an unusable shape, a target out of range).
public struct AttributionError: Error, Equatable, CustomStringConvertible {
    /// The method's stable lower-case name (`saliency`, `ig`, `occlusion`, ...).
    public var method: String
    public var message: String

    public init(_ method: String, _ message: String) {
        self.method = method; self.message = message
    }

    public var description: String { "\(method): \(message)" }
}
