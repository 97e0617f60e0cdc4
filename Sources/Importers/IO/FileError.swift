import Graph

/// A failure reading, decoding, encoding or writing a file: which file, and what is wrong.
public struct FileError: Error, Equatable, CustomStringConvertible, LocalizedErrorLike {
    /// The file (or buffer name) involved.
    public var file: String
    /// What is wrong.
    public var message: String

    public init(file: String, _ message: String) { self.file = file; self.message = message }

    public var description: String { "\(file): \(message)" }
}
