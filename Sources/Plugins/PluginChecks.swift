import Graph
import Methods
import Rules

/// Checks a plugin author runs in their tests (and cfcam runs on its built-ins' behalf):
///
/// - `vjpError`: an op's VJP against central finite differences of its forward.
/// - `lrpConservation`: LRP relevance through a graph with the op, summed at the input, against
///   the explained score (rules without bias absorption conserve it exactly).
public enum PluginChecks {
    /// The largest difference between `def.vjp` and central finite differences of `def.forward`,
    /// relative to the largest analytic gradient entry, over every element of every float input
    /// (at most `maxElements` per input, evenly spaced). The cotangent is seeded pseudo-random.
    /// Forwards run in float32, so expect about 1e-3 with the default step.
    public static func vjpError(_ def: OpDefinition, node: Node, inputs: [Tensor], step: Float = 1e-2,
                                maxElements: Int = 256, seed: UInt64 = 1) throws -> Float {
        guard let vjp = def.vjp else { throw GraphError.kernel("\(def.opType) has no VJP to check") }
        let outputs = try def.forward(OpContext(node: node, inputs: inputs))
        var random = SeededRandom(seed: seed)
        let cotangents = try outputs.map { o in try Tensor(shape: o.shape, floats: (0..<o.count).map { _ in Float(random.uniform() * 2 - 1) }) }
        let needs = inputs.map { $0.dtype == .float32 }
        let analytic = try vjp(BackwardContext(node: node, inputs: inputs, outputs: outputs, outputGrads: cotangents, needs: needs))
        func objective(_ xs: [Tensor]) throws -> Double {
            let ys = try def.forward(OpContext(node: node, inputs: xs))
            var s = 0.0
            for (y, g) in zip(ys, cotangents) {
                for (a, b) in zip(try y.floats(), try g.floats()) { s += Double(a) * Double(b) }
            }
            return s
        }
        var worst: Float = 0, scale: Float = 0
        for (i, x) in inputs.enumerated() where needs[i] {
            guard i < analytic.count, let gi = analytic[i] else { throw GraphError.kernel("\(def.opType): the VJP gave no gradient for input \(i)") }
            let g = try gi.floats()
            scale = max(scale, g.map(abs).max() ?? 0)
            let values = try x.floats()
            let stride = max(1, values.count / maxElements)
            for e in Swift.stride(from: 0, to: values.count, by: stride) {
                var plus = values, minus = values
                plus[e] += step; minus[e] -= step
                var xp = inputs, xm = inputs
                xp[i] = try Tensor(shape: x.shape, floats: plus); xm[i] = try Tensor(shape: x.shape, floats: minus)
                let numeric = Float((try objective(xp) - objective(xm)) / Double(2 * step))
                worst = max(worst, abs(numeric - g[e]))
            }
        }
        return scale > 0 ? worst / scale : worst
    }

    /// The explained score (the seed's dot product with `output`) and the sum of the relevance LRP
    /// gives `input`, for one image. With `zeroBias` composites and no stabiliser mass lost, the two
    /// are equal: relevance is conserved layer by layer.
    public static func lrpConservation(graph: Graph, ops: OpRegistry, composite: Composite, input: String, feed: Tensor,
                                       output: String, seed: Tensor, canonizers: [any Canonizer] = []) throws -> (score: Float, relevance: Float) {
        let values = try Executor(graph: graph, registry: ops).run([input: feed], fetch: [output])
        guard let y = values[output] else { throw GraphError.missingValue(output) }
        var score = 0.0
        for (a, b) in zip(try y.floats(), try seed.floats()) { score += Double(a) * Double(b) }
        let seeds = [output: try Tensor(shape: y.shape, floats: zip(try y.floats(), try seed.floats()).map { $0 * $1 })]
        let r = try LRP.relevance(graph: graph, registry: ops, feeds: [input: feed], composite: composite, canonizers: canonizers,
                                  seeds: seeds, read: [input])
        guard let ri = r[input] else { throw GraphError.missingValue(input) }
        return (Float(score), Float(try ri.floats().reduce(0.0) { $0 + Double($1) }))
    }
}
