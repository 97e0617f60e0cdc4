import ArgumentParser
import Plugins

/// `cfcam plugins`: every loaded plugin (the built-ins first) and what it registered, then the
/// conflicts: registrations that replaced another plugin's entry (the later one wins).
struct PluginsCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List the loaded plugins (--plugin PATH, CFCAM_PLUGINS), what each registered, and conflicts.")

    func run(_ context: CLIContext) throws {
        print(PluginListing.text(context.plugins))
    }
}

enum PluginListing {
    static func text(_ reports: [PluginReport]) -> String {
        var lines: [String] = []
        for r in reports {
            let counts = PluginRegistration.Kind.allCases.compactMap { k -> String? in
                let n = r.registrations.filter { $0.kind == k }.count
                return n == 0 ? nil : "\(n) \(k.rawValue)\(n == 1 ? "" : "s")"
            }
            lines.append("\(r.name)\(r.path.map { " (\($0))" } ?? ""): \(counts.isEmpty ? "nothing registered" : counts.joined(separator: ", "))")
            guard r.path != nil else { continue }   // the built-ins are summarised
            for g in r.registrations {
                lines.append("  \(g.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(g.name)\(g.replaced.map { "  (replaces \($0)'s)" } ?? "")")
            }
        }
        if reports.count <= 1 { lines.append("no plugins loaded (give --plugin PATH, or CFCAM_PLUGINS=PATH:PATH)") }
        let conflicts = reports.flatMap { r in r.conflicts.map { (r.name, $0) } }
        lines.append(conflicts.isEmpty ? "conflicts: none" : "conflicts (the later registration wins):")
        for (plugin, c) in conflicts {
            lines.append("  \(c.kind.rawValue) \(c.name): registered by \(c.replaced ?? "?"), replaced by \(plugin)")
        }
        return lines.joined(separator: "\n")
    }
}
