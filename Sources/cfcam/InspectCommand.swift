import ArgumentParser
import Graph
import Importers
import Rules
#if canImport(Glibc)
import Glibc
#endif

/// `cfcam inspect MODEL`: inputs, outputs and every node with op type, output names and shapes.
struct InspectCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "List a model's inputs, outputs and nodes (op, outputs, shapes); flag unsupported ops.")

    @OptionGroup var options: ModelOptions

    func run(_ context: CLIContext) throws {
        let registry = context.registries.ops
        var graph = try CLIError.naming(options.model) { try context.registries.loadModel(options.model, weights: options.weights, checkOps: false) }
        print("model: \(options.model)")
        print("opsets: " + graph.opsets.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "ai.onnx" : $0.key)=\($0.value)" }.joined(separator: " "))
        for i in graph.feedInputs { print("input  \(i.name): \(i.dtype) \(i.shapeDescription)") }
        for o in graph.outputs { print("output \(o.name): \(o.dtype) \(o.shapeDescription)") }
        let unsupported = graph.nodes.filter { registry.lookup($0, in: graph) == nil }
        if unsupported.isEmpty {
            ModelLoader.simplify(&graph, registry: registry)
            do { try graph.inferShapes(registry: registry, threads: options.threadCount) }
            catch { print("shape inference failed: \(error)") }
        }
        let params = graph.initializers.values.reduce(0) { $0 + $1.count }
        print("nodes: \(graph.nodes.count), parameters: \(params)")
        for n in graph.nodes {
            let shapes = n.outputs.map { o in "\(o) \(graph.valueInfo[o]?.shapeDescription ?? "?")" }
            let flag = registry.lookup(n, in: graph) == nil ? "  [UNSUPPORTED]" : ""
            print("  \(n.name)  \(n.qualifiedOp)  -> \(shapes.joined(separator: ", "))\(flag)")
        }
        if !unsupported.isEmpty {
            var byOp: [String: [String]] = [:]
            for n in unsupported { byOp[n.qualifiedOp, default: []].append(n.name) }
            // The listing above marks them; the error goes to stderr too, naming the model.
            fputs("Error: \(options.model): \(GraphError.unsupportedOps(byOp))\n", stderr)
            throw ExitCode(2)
        }
    }
}
