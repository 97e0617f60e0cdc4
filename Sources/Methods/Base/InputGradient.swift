import Graph

/// Gradient of the target score with respect to the input (the "gradient" / saliency method before
/// any absolute value or channel reduction), one forward plus one backward.
public enum InputGradient {
    /// d score_b / d input for every image b, with the resolved targets and scores.
    public static func compute(model: ExplainModel, input: Tensor, target: Target = .top1) throws
        -> (gradient: Tensor, capture: LayerCapture) {
        let capture = try LayerCapture.run(model: model, input: input, layers: [model.inputName], target: target, gradients: true)
        guard let g = capture.gradients[model.inputName] else { throw GraphError.missingValue(model.inputName) }
        return (g, capture)
    }

    /// Returns d logit[b, class_b] / d input for every image b, and the classes used.
    public static func compute(graph: Graph, registry: OpRegistry, input: Tensor, target: ClassTarget,
                               threads: Int = Executor.defaultThreads) throws -> (gradient: Tensor, classes: [Int]) {
        let model = try ExplainModel(graph: graph, registry: registry, threads: threads)
        let (g, capture) = try compute(model: model, input: input, target: target.target)
        return (g, capture.targets.compactMap(\.classIndex))
    }
}
