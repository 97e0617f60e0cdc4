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
    /// A fixed-batch graph captures chunk by chunk (`ExplainModel.perChunk`).
    public static func run(model: ExplainModel, input: Tensor, layers: [String], target: Target,
                           gradients: Bool) throws -> LayerCapture {
        let output = model.outputName(for: target)
        let walker = model.walker
        var nodes: [Int] = []
        if gradients {
            nodes = walker.nodesBetween(from: Set(layers), to: [output])
            for l in layers where !nodes.contains(where: { model.graph.nodes[$0].inputs.contains(l) }) {
                throw ExplainError("the target output '\(output)' does not depend on layer '\(l)'")
            }
        }
        let needed = walker.forwardValuesNeeded(nodes: nodes).filter { model.graph.initializers[$0] == nil && $0 != model.inputName }
        let fetch = Array(Set(needed + layers + [output]))
        var targets: [ResolvedTarget] = [], scores: [Float] = []
        let outKey = "\u{0}output"
        let merged = try model.perChunk(input.shape[0]) { r in
            let x = try model.padded(input, r)
            let values = try (gradients ? model.walkExecutor : model.executor).run([model.inputName: x], fetch: fetch)
            guard let full = values[output] else { throw GraphError.missingValue(output) }
            guard full.rank >= 1, full.shape[0] == x.shape[0] else {
                throw ExplainError("target output '\(output)' has shape \(full.shape); it must be [N, ...] for an input batch of \(x.shape[0])")
            }
            let out = try full.rows(0..<r.count)
            let t = try target.resolve(outputs: out)
            let (s, seed) = try t.seed(for: out)
            targets += t; scores += s
            var kept: [String: Tensor] = [outKey: out]
            for l in layers {
                guard let a = values[l] else { throw GraphError.missingValue(l) }
                kept[l] = a
            }
            if gradients {
                let g = try walker.walk(values: values.merging([model.inputName: x]) { a, _ in a },
                                        seeds: [output: try model.zeroPadded(seed, like: full)], read: Set(layers)) { _, def, ctx in
                    guard let vjp = def.vjp else { throw GraphError.kernel("op has no gradient (VJP) registered") }
                    return try vjp(ctx)
                }
                for l in layers { if let v = g[l] { kept["\u{1}" + l] = v } }
            }
            return try model.unpadded(kept, rows: r.count)
        }
        guard let out = merged[outKey] else { throw GraphError.missingValue(output) }
        var acts: [String: Tensor] = [:], grads: [String: Tensor] = [:]
        for l in layers {
            guard let a = merged[l] else { throw GraphError.missingValue(l) }
            acts[l] = a
            if gradients { grads[l] = merged["\u{1}" + l] }
        }
        return LayerCapture(outputs: out, targets: targets, scores: scores, activations: acts, gradients: grads)
    }
}
