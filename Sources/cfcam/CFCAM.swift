import ArgumentParser
import Graph
import Rules

@main
struct CFCAM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfcam",
        abstract: "Explain what image models look at: import ONNX / .npz models and run, inspect and explain them.",
        subcommands: [RunCommand.self, InspectCommand.self, BenchCommand.self, ExplainCommand.self, MethodsCommand.self,
                      MergeCommand.self, ReportCommand.self,
                      EvaluateCommand.self, CompareCommand.self, MetricsCommand.self])

    static func main() {
        BLASSetup.preferFastKernels()
        reuseLargeAllocations()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
