import Graph

/// A failure reading or writing a `.npy` / `.npz` file: which file, which archive member, what is wrong.
public struct NPZError: Error, Equatable, CustomStringConvertible, LocalizedErrorLike {
    /// The file (or buffer name) being read or written.
    public var file: String
    /// The archive member involved, when the failure concerns one `.npz` member.
    public var member: String?
    /// What is wrong.
    public var message: String

    public init(file: String, member: String? = nil, _ message: String) {
        self.file = file; self.member = member; self.message = message
    }

    public var description: String {
        if let m = member { return "\(file): member '\(m)': \(message)" }
        return "\(file): \(message)"
    }
}
