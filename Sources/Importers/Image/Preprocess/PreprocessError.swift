import Graph

/// A problem with a preprocessing spec, a command-line override, a metadata file or a label file.
/// The message names what was wrong: the flag, the file and key, or the size involved.
public struct PreprocessError: Error, Equatable, CustomStringConvertible, LocalizedErrorLike {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
