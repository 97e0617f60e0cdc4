import ArgumentParser
import Graph
import Importers
import Methods
import Plugins
import Rules

/// Options every model-taking subcommand shares.
struct ModelOptions: ParsableArguments {
    @Argument(help: "An .onnx file, ARCH:WEIGHTS.npz for a built-in architecture (e.g. resnet18:weights.npz), or a format a plugin reads.")
    var model: String

    @Option(help: "Replace the ONNX model's initializers by name with the arrays of this .npz (a fine-tuned checkpoint).")
    var weights: String?

    @Option(help: "Threads to use (default: CFCAM_THREADS, else all cores).")
    var threads: Int?

    var threadCount: Int { threads.map { max(1, $0) } ?? Executor.defaultThreads }

    func load(_ registries: Registries, inferAllShapes: Bool = false) throws -> (Graph, OpRegistry) {
        let registry = registries.ops
        BLAS.setThreads(threadCount)
        return try CLIError.naming(model) {
            var graph = try registries.loadModel(model, weights: weights)
            if inferAllShapes { try graph.inferShapes(registry: registry, threads: threadCount) }
            return (graph, registry)
        }
    }
}

/// The one way the explaining commands (explain, evaluate, compare) load a model: import it with
/// the registries' importers, keep what the explained output needs, check op support, wrap it.
enum ExplainModelLoader {
    static func load(_ path: String, weights: String? = nil, options: ExplainModel.Options = ExplainModel.Options(),
                     registries: Registries, threads: Int) throws -> ExplainModel {
        BLAS.setThreads(threads)
        return try CLIError.naming(path) {
            let graph = try registries.loadModel(path, weights: weights, checkOps: false)
            var (pruned, choice) = try ExplainModel.pruned(graph, options: options)
            try ModelLoader.prepare(&pruned, registry: registries.ops, file: path)
            return try ExplainModel(pruned: pruned, choice: choice, registry: registries.ops, threads: threads, layout: options.layout)
        }
    }
}
