import ArgumentParser
import Methods
import Rules

/// `cfcam methods`: every explanation method with its kind, map, summary and parameters (type,
/// default, allowed values), derived from the method registry (the list `explain --method`
/// accepts). `--markdown` prints the table the README and docs/methods.md carry.
struct MethodsCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods", abstract: "List the explanation methods, their kind, output and parameters.")

    @Flag(help: "Print a Markdown table (the one in README.md and docs/methods.md).")
    var markdown = false

    func run(_ context: CLIContext) throws {
        let methods = context.registries.methods, composites = context.registries.composites
        print(markdown ? MethodTable.markdown(methods, composites: composites) : MethodTable.text(methods, composites: composites))
    }
}

/// The method listing, from a method registry's entries (composite names from `composites`).
enum MethodTable {
    static func text(_ methods: MethodRegistry, composites: CompositeRegistry) -> String {
        var lines: [String] = []
        for e in methods.entries {
            lines.append("\(e.name.padding(toLength: max(13, e.name.count), withPad: " ", startingAt: 0)) \(e.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(e.summary) -> \(e.output.description)")
            for p in e.parameters {
                lines.append("    --param \(p.key)=\(p.kind.description(composites: composites))  (default \(p.defaultValue))  \(p.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func markdown(_ methods: MethodRegistry, composites: CompositeRegistry) -> String {
        var lines = ["| method | kind | map | what it does | parameters (default) |", "|---|---|---|---|---|"]
        for e in methods.entries {
            let params = e.parameters.map { p -> String in
                let words = p.kind.description(composites: composites)
                let kind: String
                switch p.kind {
                case .choice, .composite: kind = words.replacingOccurrences(of: "|", with: " \\| ")
                default: kind = words.replacingOccurrences(of: "|", with: "\\|")
                }
                return "`\(p.key)` \(kind) (\(p.defaultValue))"
            }.joined(separator: "; ")
            lines.append("| `\(e.name)` | \(e.kind.rawValue) | \(e.output.description) | \(e.summary) | \(params.isEmpty ? "—" : params) |")
        }
        return lines.joined(separator: "\n")
    }
}
