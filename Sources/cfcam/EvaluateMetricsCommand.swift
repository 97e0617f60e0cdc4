import ArgumentParser
import Methods

/// `cfcam metrics`: every evaluation metric with its direction, whether it needs boxes, and its
/// parameters, derived from `MetricRegistry` (the list `evaluate --metrics` accepts). `--markdown`
/// prints the table docs/metrics.md carries (a test fails when they drift).
struct MetricsCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "List the evaluation metrics, their direction and parameters.")

    @Flag(help: "Print a Markdown table (the one in docs/metrics.md).")
    var markdown = false

    func run(_ context: CLIContext) throws {
        let metrics = context.registries.metrics
        print(markdown ? MetricTable.markdown(metrics) : MetricTable.text(metrics))
    }
}

/// The metric listing, from a metric registry's entries (the built-ins and plugins' metrics).
enum MetricTable {
    static func text(_ metrics: MetricRegistry) -> String {
        var lines: [String] = []
        for e in metrics.entries {
            lines.append("\(e.name.padding(toLength: 23, withPad: " ", startingAt: 0)) \(e.higherIsBetter ? "higher" : "lower ") is better\(e.needsBoxes ? ", needs boxes" : ""): \(e.summary)")
            for p in e.parameters {
                lines.append("    --metric-param \(e.name):\(p.key)=\(p.kind.description)  (default \(p.defaultValue))  \(p.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func markdown(_ metrics: MetricRegistry) -> String {
        var lines = ["| metric | better | boxes | what it measures | parameters (default) |", "|---|---|---|---|---|"]
        for e in metrics.entries {
            let params = e.parameters.map { p -> String in
                "`\(p.key)` \(p.kind.description.replacingOccurrences(of: "|", with: " \\| ")) (\(p.defaultValue))"
            }.joined(separator: "; ")
            lines.append("| `\(e.name)` | \(e.higherIsBetter ? "higher" : "lower") | \(e.needsBoxes ? "yes" : "—") | \(e.summary) | \(params.isEmpty ? "—" : params) |")
        }
        return lines.joined(separator: "\n")
    }
}
