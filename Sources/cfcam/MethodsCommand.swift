import ArgumentParser
import Methods

/// `cfcam methods`: every explanation method with its kind, map, summary and parameters (type,
/// default, allowed values), derived from the method registry (the list `explain --method`
/// accepts). `--markdown` prints the table the README and docs/methods.md carry.
struct MethodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods", abstract: "List the explanation methods, their kind, output and parameters.")

    @Flag(help: "Print a Markdown table (the one in README.md and docs/methods.md).")
    var markdown = false

    func run() throws {
        print(markdown ? MethodTable.markdown() : MethodTable.text())
    }
}

/// The method listing, from `MethodRegistry.entries`.
enum MethodTable {
    static func text() -> String {
        var lines: [String] = []
        for e in MethodRegistry.entries {
            lines.append("\(e.name.padding(toLength: max(13, e.name.count), withPad: " ", startingAt: 0)) \(e.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(e.summary) -> \(e.output.description)")
            for p in e.parameters {
                lines.append("    --param \(p.key)=\(p.kind.description)  (default \(p.defaultValue))  \(p.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func markdown() -> String {
        var lines = ["| method | kind | map | what it does | parameters (default) |", "|---|---|---|---|---|"]
        for e in MethodRegistry.entries {
            let params = e.parameters.map { p -> String in
                let kind: String
                if case .choice = p.kind { kind = p.kind.description.replacingOccurrences(of: "|", with: " \\| ") } else { kind = p.kind.description.replacingOccurrences(of: "|", with: "\\|") }
                return "`\(p.key)` \(kind) (\(p.defaultValue))"
            }.joined(separator: "; ")
            lines.append("| `\(e.name)` | \(e.kind.rawValue) | \(e.output.description) | \(e.summary) | \(params.isEmpty ? "—" : params) |")
        }
        return lines.joined(separator: "\n")
    }
}
