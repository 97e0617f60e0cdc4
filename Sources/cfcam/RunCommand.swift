import ArgumentParser
import Graph
import Importers

/// `cfcam run MODEL --input X.npy --output Y.npz`: runs the model and writes every graph output.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a model forward and write every graph output, keyed by output name, to an .npz.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Input tensor: FILE.npy for the model's only input, or NAME=FILE.npy (repeatable).")
    var input: [String] = []

    @Option(name: .long, help: "Output .npz path (written only when the run succeeds).")
    var output: String

    func run() throws {
        let (graph, registry) = try options.load()
        let feeds = try InputFeeds.parse(input, graph: graph)
        let exec = try Executor(graph: graph, registry: registry, threads: options.threadCount)
        let outputs = try exec.run(feeds)
        try NPZ.write(path: output, arrays: outputs)
    }
}

/// Reads `--input` arguments into graph feeds.
enum InputFeeds {
    static func parse(_ args: [String], graph: Graph) throws -> [String: Tensor] {
        let needed = graph.feedInputs.map(\.name)
        var feeds: [String: Tensor] = [:]
        for arg in args {
            let name: String, path: String
            if let eq = arg.firstIndex(of: "="), needed.contains(String(arg[..<eq])) {
                name = String(arg[..<eq]); path = String(arg[arg.index(after: eq)...])
            } else {
                guard needed.count == 1 else {
                    throw ValidationError("the model has inputs \(needed.joined(separator: ", ")): pass --input NAME=FILE.npy for each")
                }
                name = needed[0]; path = arg
            }
            feeds[name] = try NPY.read(path: path)
        }
        let missing = needed.filter { feeds[$0] == nil }
        if !missing.isEmpty {
            throw ValidationError("missing --input for model input(s) \(missing.joined(separator: ", "))")
        }
        return feeds
    }
}
