import Graph

/// Every way a set of named weights fails to fit a model, reported at once.
public struct WeightsMismatchError: Error, Equatable, CustomStringConvertible, LocalizedErrorLike {
    /// A weight whose shape or element type differs from what the model needs.
    public struct Misfit: Equatable, Sendable {
        public var key: String
        public var expected: String
        public var got: String
        public init(key: String, expected: String, got: String) { self.key = key; self.expected = expected; self.got = got }
    }
    /// The weights file.
    public var file: String
    /// What the weights were applied to ("resnet18", "graph 'main'").
    public var target: String
    /// Keys the model needs that the file lacks, with the expected shape.
    public var missing: [(key: String, expected: String)]
    /// Keys in the file that the model does not use.
    public var unexpected: [String]
    /// Keys present in both whose shape or type differ.
    public var misfits: [Misfit]

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && misfits.isEmpty }

    public static func == (a: Self, b: Self) -> Bool {
        a.file == b.file && a.target == b.target && a.unexpected == b.unexpected && a.misfits == b.misfits
            && a.missing.map(\.key) == b.missing.map(\.key) && a.missing.map(\.expected) == b.missing.map(\.expected)
    }

    public var description: String {
        var lines = ["\(file): the weights do not fit \(target):"]
        if !missing.isEmpty {
            lines.append("  missing (\(missing.count)):")
            lines += missing.map { "    \($0.key) \($0.expected)" }
        }
        if !unexpected.isEmpty {
            lines.append("  unexpected (\(unexpected.count)):")
            lines += unexpected.map { "    \($0)" }
            if unexpected.allSatisfy({ $0.hasPrefix("module.") }) {
                lines.append("  (every unexpected key starts with 'module.': saved from nn.DataParallel? strip that prefix)")
            }
        }
        if !misfits.isEmpty {
            lines.append("  wrong shape or type (\(misfits.count)):")
            lines += misfits.map { "    \($0.key): expected \($0.expected), got \($0.got)" }
        }
        return lines.joined(separator: "\n")
    }

    /// "[64, 3, 7, 7] float32"
    static func describe(_ shape: [Int], _ dtype: DType) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "] \(dtype)"
    }
}
