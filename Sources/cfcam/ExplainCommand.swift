import ArgumentParser
import Graph
import Importers
import Methods
import Rules

/// `cfcam explain MODEL INPUT --method NAME --raw MAP.npy`.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain a model's decision on an input and write the raw map as .npy.")

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case gradient
    }

    @OptionGroup var options: ModelOptions

    @Argument(help: "An image (.png, resized and ImageNet-normalised) or a .npy tensor used as is.")
    var input: String

    @Option(help: "Explanation method: \(Method.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: Method = .gradient

    @Option(help: "Class to explain (default: each image's top prediction).")
    var target: Int?

    @Option(help: "Where to write the raw map (.npy).")
    var raw: String

    func run() throws {
        let (graph, registry) = try CLIError.naming(options.model) { try options.load() }
        let x = try CLIError.naming(input) { try InputLoader.load(input, for: graph) }
        let map: Tensor
        switch method {
        case .gradient:
            // The input gradient itself, [N, C, H, W].
            map = try CLIError.naming(options.model) {
                try InputGradient.compute(graph: graph, registry: registry, input: x, target: ClassTarget(target),
                                          threads: options.threadCount).gradient
            }
        }
        try CLIError.naming(raw) { try NPY.write(map, path: raw) }
    }
}
