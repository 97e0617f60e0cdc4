import ArgumentParser
import Foundation
import Plugins

/// What every command runs with: the registries (the built-ins, then each plugin in load order)
/// and what each plugin registered. `CFCAM.main` builds it before parsing the command line and
/// passes it to the command's `run(_:)`.
struct CLIContext {
    let registries: Registries
    let plugins: [PluginReport]

    /// The built-ins, then the plugins of `CFCAM_PLUGINS` (left to right), then `paths` in order.
    static func load(plugins paths: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CLIContext {
        let registrar = PluginRegistrar.standard()
        try PluginLoader.load(PluginLoader.paths(fromEnvironment: environment["CFCAM_PLUGINS"]) + paths, into: registrar)
        return CLIContext(registries: registrar.registries, plugins: registrar.reports)
    }

    /// `--plugin PATH` / `--plugin=PATH` anywhere before a `--`, taken out of the arguments: plugins
    /// load before the command line is parsed, so their methods and formats are known to it.
    static func splitPluginArguments(_ arguments: [String]) throws -> (plugins: [String], rest: [String]) {
        var plugins: [String] = [], rest: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { rest += arguments[i...]; break }
            if a == "--plugin" {
                guard i + 1 < arguments.count, !arguments[i + 1].isEmpty else { throw ValidationError("--plugin needs the path of a plugin library") }
                plugins.append(arguments[i + 1]); i += 2; continue
            }
            if a.hasPrefix("--plugin=") {
                let p = String(a.dropFirst("--plugin=".count))
                guard !p.isEmpty else { throw ValidationError("--plugin needs the path of a plugin library") }
                plugins.append(p); i += 1; continue
            }
            rest.append(a); i += 1
        }
        return (plugins, rest)
    }
}

/// A command that uses the registries. `run()` (ArgumentParser's entry) runs it with the built-ins
/// only; `CFCAM.main` calls `run(_:)` with the loaded plugins.
protocol CFCAMCommand: ParsableCommand {
    func run(_ context: CLIContext) throws
}

extension CFCAMCommand {
    func run() throws { try run(try CLIContext.load(plugins: [], environment: [:])) }
}
