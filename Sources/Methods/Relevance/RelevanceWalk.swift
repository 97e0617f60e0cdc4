import Graph
import Rules

/// One LRP pass for a batch, shared by every relevance method (lrp / clrp / sglrp at the input,
/// Relevance-CAM and CF-CAM at a layer).
///
/// The initial relevance at the explained output is either the gradient of each image's target
/// score there (mode `lrp`: `e_t` for a class, `e_A − e_B` for a contrast, the similarity's
/// gradient for an embedding target: LRP then explains any scalar target Grad-CAM accepts), or a
/// class-contrastive scheme (`ContrastiveMode`), which needs a class target per image.
/// Fixed-batch graphs are walked chunk by chunk.
enum RelevanceWalk {
    /// `contrast`: the user's choice (nil: `defaultContrast` for class targets, `lrp` otherwise).
    static func compute(model: ExplainModel, input: Tensor, targets: [ResolvedTarget], output: String, read: Set<String>,
                        composite: Composite, canonizers: [any Canonizer], contrast: ContrastiveMode?,
                        defaultContrast: ContrastiveMode) throws -> [String: Tensor] {
        let classes = targets.map { $0.isPlainClass ? $0.classIndex : nil }
        let mode = contrast ?? (classes.contains(nil) ? .lrp : defaultContrast)
        if mode != .lrp && classes.contains(nil) {
            throw ExplainError("contrast \(mode.rawValue) needs a class target (top1 or a class index), the target is '\(targets.first?.label ?? "?")'; use contrast=lrp (or the lrp method) to propagate the target's score gradient")
        }
        let ex = try LRPExplainer(graph: model.graph, registry: model.registry, composite: composite,
                                  canonizers: canonizers, threads: model.threads)
        return try model.perChunk(input.shape[0]) { r in
            let x = try model.padded(input, r)
            let feeds = [model.inputName: x]
            var chunkTargets = Array(targets[r])
            if let last = chunkTargets.last { while chunkTargets.count < x.shape[0] { chunkTargets.append(last) } }
            let result: [String: Tensor]
            if mode == .lrp {
                let values = try ex.forward(feeds: feeds, seedValues: [output], read: read)
                guard let out = values[output] else { throw GraphError.missingValue(output) }
                let (_, seed) = try chunkTargets.seed(for: out)
                result = try ex.backward(values: values, seeds: [output: seed], read: read)
            } else {
                result = try Contrastive.relevance(explainer: ex, feeds: feeds, logits: output,
                                                   targets: chunkTargets.compactMap(\.classIndex), mode: mode, read: read)
            }
            return try model.unpadded(result, rows: r.count)
        }
    }
}
