/// Class-name files: one label per line (`\n` or `\r\n`), in class-index order. Trailing empty
/// lines are dropped; empty lines inside are kept (they hold an index), and surrounding spaces are
/// kept as written.
public enum LabelFile {
    /// Largest label file accepted.
    static let maxBytes = 1 << 26

    public static func read(path: String) throws -> [String] {
        let bytes: [UInt8]
        do { bytes = try ONNXFile.readAll(path, limit: maxBytes) } catch {
            throw PreprocessError("\(path): cannot read the label file: \(ONNXContext.describe(error))")
        }
        let labels = parse(String(decoding: bytes, as: UTF8.self))
        guard !labels.isEmpty else { throw PreprocessError("\(path): the label file has no labels") }
        return labels
    }

    /// Splits text into labels as `read` does.
    static func parse(_ text: String) -> [String] {
        // "\r\n" is one Character in Swift, so both separators are named.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line -> String in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines
    }
}
