import ArgumentParser
import Graph
import Importers
import Methods
import Rules

/// `cfcam explain MODEL INPUT --method NAME --raw MAP.npy`.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain a model's decision on an input and write the raw map as .npy.")

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case gradient, inputxgrad, lrp, clrp, sglrp
    }

    @OptionGroup var options: ModelOptions

    @Argument(help: "An image (.png, resized and ImageNet-normalised) or a .npy tensor used as is.")
    var input: String

    @Option(help: "Explanation method: \(Method.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: Method = .gradient

    @Option(help: "Class to explain (default: each image's top prediction).")
    var target: Int?

    @Option(help: "LRP composite: \(Composite.Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var composite: String = Composite.Preset.epsilonPlus.rawValue

    @Option(help: "Contrastive variant for clrp / sglrp (default: clrp1_gu for clrp, sglrp_scaled for sglrp; the spec's pixel-level choices): \(ContrastiveMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var contrastMode: String?

    @Option(help: "Where to write the raw map (.npy).")
    var raw: String

    func run() throws {
        let (graph, registry) = try CLIError.naming(options.model) { try options.load() }
        let x = try CLIError.naming(input) { try InputLoader.load(input, for: graph) }
        let map: Tensor
        switch method {
        case .gradient:
            // The input gradient itself, [N, C, H, W].
            map = try CLIError.naming(options.model) {
                try InputGradient.compute(graph: graph, registry: registry, input: x, target: ClassTarget(target),
                                          threads: options.threadCount).gradient
            }
        case .inputxgrad, .lrp, .clrp, .sglrp:
            // Input relevance summed over channels, [N, H, W].
            map = try CLIError.naming(options.model) { try LRP.spatialRelevance(try relevance(graph, registry, x)) }
        }
        try CLIError.naming(raw) { try NPY.write(map, path: raw) }
    }

    /// Relevance at the input for the LRP family, per image for its target class.
    private func relevance(_ graph: Graph, _ registry: OpRegistry, _ x: Tensor) throws -> Tensor {
        guard let inputName = graph.feedInputs.first?.name, graph.feedInputs.count == 1,
              let logits = graph.outputs.first?.name else {
            throw ValidationError("relevance methods need a model with one input and a class-score output")
        }
        let threads = options.threadCount
        let z = try Executor(graph: graph, registry: registry, threads: threads).run([inputName: x], fetch: [logits])
        guard let scores = z[logits] else { throw GraphError.missingValue(logits) }
        let classes = try ClassTarget(target).classes(for: scores)
        if method == .inputxgrad {
            let (seed, _) = try ClassTarget(target).seed(for: scores)
            let r = try LRP.gradientTimesInput(graph: graph, registry: registry, feeds: [inputName: x],
                                               seeds: [logits: seed], read: [inputName], threads: threads)
            guard let v = r[inputName] else { throw GraphError.missingValue(inputName) }
            return v
        }
        let mode: ContrastiveMode
        switch method {
        case .clrp: mode = try contrast(default: .clrp1Gu)
        case .sglrp: mode = try contrast(default: .sglrpScaled)
        default: mode = .lrp
        }
        let explainer = try LRPExplainer(graph: graph, registry: registry, composite: try Composite.preset(named: composite),
                                         threads: threads)
        let r = try Contrastive.relevance(explainer: explainer, feeds: [inputName: x], logits: logits, targets: classes,
                                          mode: mode, read: [inputName])
        guard let v = r[inputName] else { throw GraphError.missingValue(inputName) }
        return v
    }

    private func contrast(default d: ContrastiveMode) throws -> ContrastiveMode {
        guard let name = contrastMode else { return d }
        guard let m = ContrastiveMode(rawValue: name) else {
            throw ValidationError("unknown --contrast-mode '\(name)'; known: \(ContrastiveMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return m
    }
}
