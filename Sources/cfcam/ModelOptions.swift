import ArgumentParser
import Graph
import Importers
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
