/// An error of a folder run (inputs, shards, the run index, reports), with its message.
public struct RunsError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
