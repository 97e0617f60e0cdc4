import Graph

/// Gradient of a class score with respect to the input (the "gradient" / saliency method before
/// any absolute value or channel reduction), one forward plus one backward.
public enum InputGradient {
    /// Returns d logit[b, class_b] / d input for every image b, and the classes used.
    public static func compute(graph: Graph, registry: OpRegistry, input: Tensor, target: ClassTarget,
                               threads: Int = Executor.defaultThreads) throws -> (gradient: Tensor, classes: [Int]) {
        guard let inputName = graph.feedInputs.first?.name, graph.feedInputs.count == 1 else {
            throw GraphError.invalidGraph("gradient explanations need a model with exactly one input")
        }
        guard let outputName = graph.outputs.first?.name else { throw GraphError.invalidGraph("the model has no output") }
        let logits = try Executor(graph: graph, registry: registry, threads: threads).run([inputName: input], fetch: [outputName])
        guard let z = logits[outputName] else { throw GraphError.missingValue(outputName) }
        let (seed, classes) = try target.seed(for: z)
        let walker = BackwardWalker(graph: graph, registry: registry, threads: threads)
        let grads = try walker.gradients(feeds: [inputName: input], seeds: [outputName: seed], read: [inputName])
        guard let g = grads[inputName] else { throw GraphError.missingValue(inputName) }
        return (g, classes)
    }
}
