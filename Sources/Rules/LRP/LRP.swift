import Graph

/// Entry points for relevance maps: LRP with a composite, the gradient × input fallback for
/// graphs with ops that have no LRP rule, and per-channel / per-position sums.
public enum LRP {
    /// LRP relevance at every value in `read`, propagated from `seeds` (initial relevance at any
    /// values, e.g. `one_hot(c)` at the logits) with `composite`'s rules, after `canonizers`.
    ///
    /// Throws `LRPError.noRule` naming the node when relevance reaches an op with no LRP role that
    /// the composite assigns no rule (use `gradientTimesInput` for such graphs).
    public static func relevance(graph: Graph, registry: OpRegistry, feeds: [String: Tensor], composite: Composite,
                                 canonizers: [any Canonizer] = [MergeBatchNorm()], seeds: [String: Tensor],
                                 read: Set<String>, threads: Int = Executor.defaultThreads) throws -> [String: Tensor] {
        let ex = try LRPExplainer(graph: graph, registry: registry, composite: composite, canonizers: canonizers, threads: threads)
        return try ex.relevance(feeds: feeds, seeds: seeds, read: read)
    }

    /// Gradient × input (`--method inputxgrad`): `value ⊙ d(seeds · outputs)/d value` for every
    /// value in `read`, using each op's VJP. Equals LRP-0 on ReLU networks without biases, and
    /// works for any differentiable graph.
    public static func gradientTimesInput(graph: Graph, registry: OpRegistry, feeds: [String: Tensor],
                                          seeds: [String: Tensor], read: Set<String>,
                                          threads: Int = Executor.defaultThreads) throws -> [String: Tensor] {
        let ex = try LRPExplainer(graph: graph, registry: registry, composite: Composite(), canonizers: [], threads: threads)
        let values = try ex.forward(feeds: feeds, seedValues: Set(seeds.keys), read: read)
        let walker = BackwardWalker(graph: graph, registry: registry, threads: threads)
        let grads = try walker.walk(values: values, seeds: seeds, read: read) { _, def, ctx in
            guard let vjp = def.vjp else { throw GraphError.kernel("op has no gradient (VJP) registered") }
            return try vjp(ctx)
        }
        var out: [String: Tensor] = [:]
        for (name, g) in grads {
            guard let x = values[name] ?? graph.initializers[name] else { throw GraphError.missingValue(name) }
            out[name] = try LRPMath.zip(x.cast(to: .float32), g) { $0 * $1 }
        }
        return out
    }

    /// Relevance summed over every axis after the channel axis: [N, C, ...] -> [N, C].
    public static func channelRelevance(_ r: Tensor) throws -> Tensor {
        guard r.rank >= 2 else { throw LRPError.invalidRequest("channel relevance needs [N, C, ...], got \(r.shape)") }
        let v = try LRPMath.floats(r, "relevance")
        let nc = r.shape[0] * r.shape[1]
        let per = nc == 0 ? 0 : v.count / nc
        let sums = (0..<nc).map { i in v[(i * per)..<((i + 1) * per)].reduce(0, +) }
        return Tensor(unchecked: [r.shape[0], r.shape[1]], floats: sums)
    }

    /// Relevance summed over the channel axis: [N, C, spatial...] -> [N, spatial...].
    public static func spatialRelevance(_ r: Tensor) throws -> Tensor {
        guard r.rank >= 2 else { throw LRPError.invalidRequest("spatial relevance needs [N, C, ...], got \(r.shape)") }
        let v = try LRPMath.floats(r, "relevance")
        let (n, c) = (r.shape[0], r.shape[1])
        let spatial = Array(r.shape[2...])
        let per = Tensor.elementCount(spatial)
        var out = [Float](repeating: 0, count: n * per)
        for b in 0..<n { for ch in 0..<c { for p in 0..<per { out[b * per + p] += v[(b * c + ch) * per + p] } } }
        return Tensor(unchecked: [n] + spatial, floats: out)
    }
}
