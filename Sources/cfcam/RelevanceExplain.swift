import ArgumentParser
import Graph
import Methods
import Rules

/// The relevance family of `cfcam explain`: `gradient` (raw input gradient [N, C, H, W]) and
/// `lrp` / `clrp` / `sglrp` (input relevance summed over channels, [N, H, W]).
struct RelevanceExplain {
    var method: String
    var composite: String
    var contrastMode: String?
    var threads: Int

    func map(_ graph: Graph, _ registry: OpRegistry, _ x: Tensor, target: Int?) throws -> Tensor {
        if method == "gradient" {
            return try InputGradient.compute(graph: graph, registry: registry, input: x, target: ClassTarget(target),
                                             threads: threads).gradient
        }
        guard let inputName = graph.feedInputs.first?.name, graph.feedInputs.count == 1,
              let logits = graph.outputs.first?.name else {
            throw ValidationError("relevance methods need a model with one input and a class-score output")
        }
        let z = try Executor(graph: graph, registry: registry, threads: threads).run([inputName: x], fetch: [logits])
        guard let scores = z[logits] else { throw GraphError.missingValue(logits) }
        let classes = try ClassTarget(target).classes(for: scores)
        let mode: ContrastiveMode
        switch method {
        case "clrp": mode = try contrast(default: .clrp1Gu)
        case "sglrp": mode = try contrast(default: .sglrpScaled)
        default: mode = .lrp
        }
        let explainer = try LRPExplainer(graph: graph, registry: registry, composite: try Composite.preset(named: composite),
                                         threads: threads)
        let r = try Contrastive.relevance(explainer: explainer, feeds: [inputName: x], logits: logits, targets: classes,
                                          mode: mode, read: [inputName])
        guard let v = r[inputName] else { throw GraphError.missingValue(inputName) }
        return try LRP.spatialRelevance(v)
    }

    private func contrast(default d: ContrastiveMode) throws -> ContrastiveMode {
        guard let name = contrastMode else { return d }
        guard let m = ContrastiveMode(rawValue: name) else {
            throw ValidationError("unknown --contrast-mode '\(name)'; known: \(ContrastiveMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return m
    }
}
