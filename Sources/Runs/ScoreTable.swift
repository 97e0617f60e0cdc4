import Foundation

/// Per-image scores as CSV with the columns `image,method,metric,value` (the format of
/// `cfcam evaluate`'s OUT/scores.csv; values printed with 9 significant digits, "nan" never written:
/// a metric that does not apply to an image has no row). Image keys are quoted when they contain a
/// comma or a quote.
public enum ScoreTable {
    public struct Row: Sendable, Equatable {
        public var image: String, method: String, metric: String, value: Double
        public init(image: String, method: String, metric: String, value: Double) {
            self.image = image; self.method = method; self.metric = metric; self.value = value
        }
    }

    public static let header = "image,method,metric,value"

    static func field(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    public static func format(_ rows: [Row]) -> String {
        ([header] + rows.map { "\(field($0.image)),\(field($0.method)),\($0.metric),\(String(format: "%.9g", $0.value))" })
            .joined(separator: "\n") + "\n"
    }

    /// Splits one CSV line (RFC 4180 quoting).
    static func split(_ line: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var it = Array(line), i = 0
        while i < it.count {
            let c = it[i]
            if quoted {
                if c == "\"" { if i + 1 < it.count && it[i + 1] == "\"" { cur.append("\""); i += 1 } else { quoted = false } } else { cur.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { out.append(cur); cur = "" } else { cur.append(c) }
            i += 1
        }
        out.append(cur)
        it = []
        return out
    }

    public static func parse(_ text: String, file: String) throws -> [Row] {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard lines.first == header else { throw RunsError("\(file): not a score table (first line must be '\(header)')") }
        lines.removeFirst()
        return try lines.enumerated().map { i, l in
            let f = split(l)
            guard f.count == 4, let v = Double(f[3]) else { throw RunsError("\(file): line \(i + 2) is not image,method,metric,value: \(l)") }
            return Row(image: f[0], method: f[1], metric: f[2], value: v)
        }
    }

    public static func read(_ path: String) throws -> [Row] {
        guard let d = FileManager.default.contents(atPath: path) else { throw RunsError("\(path): cannot read") }
        return try parse(String(decoding: d, as: UTF8.self), file: path)
    }
}
