import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Graph
import Importers
import Methods
import Rules

/// `cfcam explain MODEL INPUT --method NAME --raw MAP.npy`.
///
/// Methods come from `MethodRegistry` (the CAM family, perturbation CAMs, input attributions and
/// anything a user registers), plus the relevance family handled here (`lrp`, `clrp`, `sglrp`) and
/// `gradient`. Maps: registry methods write [N, H, W] in [0, 1] at the input's size; `lrp`,
/// `clrp`, `sglrp` write the raw input relevance summed over channels [N, H, W] (signed, its sum
/// is what the rules conserve); `gradient` writes the raw input gradient [N, C, H, W].
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain a model's decision on an input and write the raw map as .npy.",
        discussion: "Methods: " + ExplainCommand.methodNames.joined(separator: ", "))

    /// Methods handled by the relevance path rather than the registry.
    static let relevanceMethods = ["gradient", "lrp", "clrp", "sglrp"]
    static var methodNames: [String] { MethodRegistry.names + relevanceMethods.filter { !MethodRegistry.names.contains($0) } }

    @OptionGroup var options: ModelOptions

    @Argument(help: "An image (.png, resized and ImageNet-normalised) or a .npy tensor used as is.")
    var input: String

    @Option(help: "Explanation method (see the list below).")
    var method: String = "gradcam"

    @Option(help: "Layer (value name) for layer methods, or 'auto' (the last spatial feature map before global pooling). Repeat to aggregate several.")
    var layer: [String] = []

    @Option(help: "CLASS, top1 (default), A-vs-B, or A-vs-all.")
    var target: String = "top1"

    @Option(help: "Reference image (.png or .npy) for a similarity target (FC-less embedding models).")
    var reference: String?

    @Option(help: "Reference embedding (.npy) for a similarity target.")
    var referenceEmbedding: String?

    @Option(help: "Similarity for reference targets: cosine, dot, euclidean.")
    var similarity: String = "cosine"

    @Option(help: "Method parameter KEY=VALUE (repeatable), e.g. steps=32 for ig.")
    var param: [String] = []

    @Option(help: "Masked inputs per forward for perturbation methods.")
    var batchSize: Int = 32

    @Option(help: "SmoothGrad around the method: average its maps over this many noisy copies of the input (0: off).")
    var smoothSamples: Int = 0

    @Option(help: "Noise standard deviation for --smooth-samples, in input units (Captum's stdevs).")
    var smoothStdev: Float = 0.15

    @Flag(help: "Report progress of perturbation methods on stderr.")
    var progress = false

    @Option(help: "LRP composite for lrp / clrp / sglrp: \(Composite.Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var composite: String = Composite.Preset.epsilonPlus.rawValue

    @Option(help: "Contrastive variant for clrp / sglrp (default: clrp1_gu for clrp, sglrp_scaled for sglrp): \(ContrastiveMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var contrastMode: String?

    @Option(help: "Where to write the raw map (.npy); written only when the method succeeds.")
    var raw: String

    func validate() throws {
        guard Self.methodNames.contains(method) else {
            throw ValidationError("unknown --method '\(method)'; available: \(Self.methodNames.joined(separator: ", "))")
        }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard smoothSamples >= 0, smoothStdev >= 0, smoothStdev.isFinite else {
            throw ValidationError("--smooth-samples and --smooth-stdev must not be negative")
        }
    }

    func run() throws {
        let (graph, registry) = try CLIError.naming(options.model) { try options.load() }
        let x = try CLIError.naming(input) { try InputLoader.load(input, for: graph) }
        let map = try CLIError.naming(options.model) { () throws -> Tensor in
            if Self.relevanceMethods.contains(method) && !MethodRegistry.names.contains(method) {
                return try RelevanceExplain(method: method, composite: composite, contrastMode: contrastMode,
                                            threads: options.threadCount).map(graph, registry, x, target: try classTarget())
            }
            let model = try ExplainModel(graph: graph, registry: registry, threads: options.threadCount)
            var explainer = try MethodRegistry.method(named: method, parameters: try MethodParameters(parsing: param))
            if smoothSamples > 0 {
                explainer = SmoothedMethod(base: explainer, samples: smoothSamples, noise: .absolute(smoothStdev))
            }
            let request = ExplainRequest(input: x, target: try resolveTarget(model, graph), layers: layers,
                                         batchSize: batchSize, progress: progress ? Self.reportProgress : nil)
            return try explainer.explain(request, model: model)
        }
        try CLIError.naming(raw) { try NPY.write(map, path: raw) }
    }

    var layers: [LayerSpec] { layer.isEmpty ? [.auto] : layer.map { LayerSpec($0) } }

    /// The class for the relevance path: an index, or nil for each image's top-1.
    func classTarget() throws -> Int? {
        if target == "top1" { return nil }
        guard let c = Int(target) else { throw ValidationError("--target for \(method) must be a class index or top1") }
        return c
    }

    func resolveTarget(_ model: ExplainModel, _ graph: Graph) throws -> Target {
        guard let metric = SimilarityMetric(rawValue: similarity) else {
            throw ValidationError("--similarity must be one of \(SimilarityMetric.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let r = reference {
            let image = try CLIError.naming(r) { try InputLoader.load(r, for: graph) }
            return try Target.similarity(toImage: image, metric: metric, model: model)
        }
        if let e = referenceEmbedding {
            let v = try CLIError.naming(e) { try NPY.read(path: e).floatValues() }
            return Target.similarity(to: v, metric: metric)
        }
        return try TargetParser.parse(target)
    }

    static let reportProgress: ProgressHandler = { done, total in
        fputs("progress \(done)/\(total)\n", stderr)
    }
}

/// `--target` text: `top1`, `CLASS`, `A-vs-B`, `A-vs-all`.
enum TargetParser {
    static func parse(_ s: String) throws -> Target {
        if s == "top1" { return .top1 }
        if let c = Int(s) { return .classIndex(c) }
        let parts = s.components(separatedBy: "-vs-")
        if parts.count == 2, let a = Int(parts[0]) {
            if parts[1] == "all" { return .contrastAll(a) }
            if let b = Int(parts[1]) { return .contrast(a, b) }
        }
        throw ValidationError("--target '\(s)' is not CLASS, top1, A-vs-B or A-vs-all")
    }
}
