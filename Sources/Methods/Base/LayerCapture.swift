import Graph

/// Activations (and gradients) at chosen layers for a batch: one forward that keeps the layer
/// values and every value the backward walk needs, then one backward walk reading the layers.
public struct LayerCapture: Sendable {
    /// The target output for the unperturbed batch.
    public var outputs: Tensor
    /// The per-image targets, fixed on `outputs`.
    public var targets: [ResolvedTarget]
    /// Each image's target score.
    public var scores: [Float]
    /// Layer value name -> activation [N, K, h, w].
    public var activations: [String: Tensor]
    /// Layer value name -> d(Σ_b score_b) / d activation (empty when gradients were not asked for).
    public var gradients: [String: Tensor]

    /// Runs the capture for `input` [N, C, H, W]. `gradients: false` runs the forward only.
    public static func run(model: ExplainModel, input: Tensor, layers: [String], target: Target,
                           gradients: Bool) throws -> LayerCapture {
        let output = model.outputName(for: target)
        let walker = BackwardWalker(graph: model.graph, registry: model.registry, threads: model.threads)
        var nodes: [Int] = []
        if gradients {
            nodes = walker.nodesBetween(from: Set(layers), to: [output])
            for l in layers where !nodes.contains(where: { model.graph.nodes[$0].inputs.contains(l) }) {
                throw ExplainError("the target output '\(output)' does not depend on layer '\(l)'")
            }
        }
        let needed = walker.forwardValuesNeeded(nodes: nodes).filter { model.graph.initializers[$0] == nil && $0 != model.inputName }
        let fetch = Array(Set(needed + layers + [output]))
        let feeds = [model.inputName: input]
        let values = try model.run(feeds, fetch: fetch)
        guard let out = values[output] else { throw GraphError.missingValue(output) }
        guard out.rank >= 1, out.shape[0] == input.shape.first else {
            throw ExplainError("target output '\(output)' has shape \(out.shape); it must be [N, ...] for an input batch of \(input.shape.first ?? 0)")
        }
        let targets = try target.resolve(outputs: out)
        let (scores, seed) = try targets.seed(for: out)
        var acts: [String: Tensor] = [:]
        for l in layers {
            guard let a = values[l] else { throw GraphError.missingValue(l) }
            acts[l] = a
        }
        var grads: [String: Tensor] = [:]
        if gradients {
            grads = try walker.walk(values: values.merging(feeds) { a, _ in a }, seeds: [output: seed], read: Set(layers)) { node, def, ctx in
                guard let vjp = def.vjp else { throw GraphError.kernel("op has no gradient (VJP) registered") }
                return try vjp(ctx)
            }
        }
        return LayerCapture(outputs: out, targets: targets, scores: scores, activations: acts, gradients: grads)
    }
}
