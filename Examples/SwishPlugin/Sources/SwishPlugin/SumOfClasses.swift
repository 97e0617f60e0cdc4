import Graph
import Methods

/// A target syntax: `sum:A+B+C` explains the sum of several classes' scores.
public enum SumOfClasses {
    public static let entry = TargetRegistry.Entry(
        name: "sum-of-classes", syntax: "sum:A+B+...", summary: "the sum of several classes' scores (swish-example plugin)"
    ) { text in
        guard text.hasPrefix("sum:") else { return nil }
        let classes = text.dropFirst(4).split(separator: "+").map { Int($0) }
        guard !classes.isEmpty, classes.allSatisfy({ $0 != nil }) else {
            throw ExplainError("target '\(text)': write sum:A+B with class indices")
        }
        let picked = classes.compactMap { $0 }
        return Target.function(ScalarFunction(name: "sum of classes \(picked.map(String.init).joined(separator: "+"))") { row, _ in
            var g = [Float](repeating: 0, count: row.count)
            var s: Float = 0
            for c in picked {
                guard c >= 0 && c < row.count else { throw ExplainError("class \(c) is out of range 0..<\(row.count)") }
                s += row[c]; g[c] += 1
            }
            return (s, g)
        })
    }
}
