import ArgumentParser
import Foundation
import Graph
import Rules

@main
struct CFCAM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfcam",
        abstract: "Explain what image models look at: import ONNX / .npz models and run, inspect and explain them.",
        discussion: "Plugins: --plugin LIB.so (repeatable, anywhere on the line) or CFCAM_PLUGINS=LIB.so:LIB.so load "
            + "shared libraries that register ops, LRP composites and canonizers, methods, target syntaxes and importers "
            + "before the command runs; cfcam plugins lists them (docs/plugins.md).",
        subcommands: [RunCommand.self, InspectCommand.self, BenchCommand.self, ExplainCommand.self, MethodsCommand.self,
                      MergeCommand.self, ReportCommand.self, EvaluateCommand.self, CompareCommand.self,
                      MetricsCommand.self, PluginsCommand.self])

    static func main() {
        BLASSetup.preferFastKernels()
        reuseLargeAllocations()
        do {
            let (plugins, arguments) = try CLIContext.splitPluginArguments(Array(CommandLine.arguments.dropFirst()))
            let context = try CLIContext.load(plugins: plugins)
            var command = try parseAsRoot(arguments)
            if let c = command as? any CFCAMCommand { try c.run(context) } else { try command.run() }
        } catch {
            exit(withError: error)
        }
    }
}
