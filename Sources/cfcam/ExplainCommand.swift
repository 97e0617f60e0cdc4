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
/// Every method comes from `MethodRegistry`; this command only parses arguments, turns them into
/// an `ExplainModel` and an `ExplainRequest`, and writes the map. Options that do not apply to the
/// chosen method are errors (`MethodRegistry.Entry.checkApplicable`, unknown `--param` keys).
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain a model's decision on an input and write the raw map as .npy.",
        discussion: "Methods (cfcam methods lists their parameters):\n"
            + MethodRegistry.entries.map { "  \($0.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \($0.summary)" }.joined(separator: "\n"))

    @OptionGroup var options: ModelOptions

    @Argument(help: "An image (.png, resized and ImageNet-normalised) or a .npy tensor in the model's own layout.")
    var input: String

    @Option(help: ArgumentHelp("Explanation method (default gradcam; see the list below).", valueName: "name"),
            completion: .list(MethodRegistry.names))
    var method: [String] = []

    @Option(help: "Layer (value name) for layer methods, or 'auto' (the last spatial feature map on the way to the output; the choice is printed). Repeat to aggregate several.")
    var layer: [String] = []

    @Option(help: "CLASS, top1 (default), A-vs-B, or A-vs-all.")
    var target: String?

    @Option(help: "Reference image (.png or .npy) for a similarity target (FC-less embedding models).")
    var reference: String?

    @Option(help: "Reference embedding (.npy) for a similarity target.")
    var referenceEmbedding: String?

    @Option(help: "Similarity for reference targets: \(SimilarityMetric.allCases.map(\.rawValue).joined(separator: ", ")) (default cosine).")
    var similarity: String?

    @Option(name: .customLong("output"), help: "The model value to explain (default: the graph output that looks like class scores).")
    var outputValue: String?

    @Option(help: "Explain the logits before a final Softmax (logit, default) or its probabilities (probability).")
    var score: String?

    @Option(help: "The model's input layout: nchw or nhwc (default: inferred from the graph).")
    var layout: String?

    @Option(help: "Method parameter KEY=VALUE (repeatable), e.g. steps=32 for ig; cfcam methods lists them.")
    var param: [String] = []

    @Option(help: "Rows per forward pass for methods that evaluate many (default 32).")
    var batchSize: Int?

    @Option(help: "SmoothGrad around the method: average its maps over this many noisy copies of the input.")
    var smoothSamples: Int?

    @Option(help: "Noise standard deviation for --smooth-samples, in input units, as Captum's stdevs (default 0.15).")
    var smoothStdev: Float?

    @Flag(help: "Report progress of methods that evaluate many rows on stderr.")
    var progress = false

    @Option(help: "LRP composite (the composite parameter of lrp, clrp, sglrp): \(Composite.Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var composite: String?

    @Option(help: "Contrastive variant (the contrast parameter of clrp, sglrp, relevancecam, cfcam): \(ContrastiveMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var contrastMode: String?

    @Option(help: "Where to write the raw map (.npy); written only when the method succeeds.")
    var raw: String

    func validate() throws {
        guard method.count <= 1 else {
            throw ValidationError("--method given \(method.count) times (\(method.joined(separator: ", "))); explain runs one method")
        }
        if let b = batchSize, b < 1 { throw ValidationError("--batch-size must be positive") }
        if reference != nil && referenceEmbedding != nil {
            throw ValidationError("give --reference or --reference-embedding, not both")
        }
        if target != nil && (reference != nil || referenceEmbedding != nil) {
            throw ValidationError("--target picks a class; with --reference / --reference-embedding the target is the similarity to it")
        }
        if similarity != nil && reference == nil && referenceEmbedding == nil {
            throw ValidationError("--similarity needs --reference or --reference-embedding")
        }
        if let s = smoothSamples, s < 1 { throw ValidationError("--smooth-samples must be at least 1") }
        if smoothStdev != nil && smoothSamples == nil { throw ValidationError("--smooth-stdev needs --smooth-samples") }
        if let s = smoothStdev, !(s >= 0 && s.isFinite) { throw ValidationError("--smooth-stdev must be finite and >= 0") }
    }

    func run() throws {
        let name = method.first ?? "gradcam"
        let entry = try MethodRegistry.entry(named: name)
        let parameters = try methodParameters(for: entry)
        try entry.checkApplicable(MethodRegistry.RequestUsage(layers: !layer.isEmpty, batchSize: batchSize != nil, progress: progress,
                                                             similarity: reference != nil || referenceEmbedding != nil))
        var explainer = try entry.method(parameters)
        if let s = smoothSamples { explainer = try entry.smoothed(parameters, samples: s, stdev: smoothStdev ?? 0.15) }

        let model = try loadModel()
        fputs("cfcam: \(model.summary)\n", stderr)
        let x = try CLIError.naming(input) { try InputLoader.load(input, for: model) }
        let request = ExplainRequest(input: x, target: try resolveTarget(model), layers: layers, batchSize: batchSize ?? 32,
                                     progress: progress ? Self.reportProgress : nil, warn: Self.reportWarning)
        let map = try CLIError.naming(options.model) { () throws -> Tensor in
            if entry.kind == .layer, layers.contains(.auto) {
                let picked = try LayerResolver.resolve([.auto], model: model, output: model.outputName(for: request.target))
                fputs("cfcam: --layer auto picked '\(picked.joined(separator: ", "))'\n", stderr)
            }
            return try explainer.explain(request, model: model)
        }
        try CLIError.naming(raw) { try NPY.write(map, path: raw) }
    }

    var layers: [LayerSpec] { layer.isEmpty ? [.auto] : layer.map { LayerSpec($0) } }

    /// `--param` items plus `--composite` / `--contrast-mode`, which are the `composite` and
    /// `contrast` parameters of the methods that have them.
    func methodParameters(for entry: MethodRegistry.Entry) throws -> MethodParameters {
        var p = try MethodParameters(parsing: param)
        for (flag, key, value) in [("--composite", "composite", composite), ("--contrast-mode", "contrast", contrastMode)] {
            guard let value else { continue }
            guard entry.parameters.contains(where: { $0.key == key }) else {
                let takers = MethodRegistry.entries.filter { $0.parameters.contains { $0.key == key } }.map(\.name)
                throw ValidationError("\(flag) does not apply to \(entry.name); it sets the \(key) parameter of \(takers.joined(separator: ", "))")
            }
            if let given = p.values[key], given != value { throw ValidationError("\(flag) \(value) and --param \(key)=\(given) disagree") }
            p.values[key] = value
        }
        return p
    }

    /// Loads the graph, keeps what the explained output needs, checks op support and prepares the model.
    func loadModel() throws -> ExplainModel {
        var modelOptions = ExplainModel.Options(output: outputValue)
        if let s = score {
            guard let k = ScoreKind(rawValue: s) else { throw ValidationError("--score must be logit or probability, got '\(s)'") }
            modelOptions.score = k
        }
        if let l = layout {
            guard let v = InputLayout(rawValue: l.lowercased()) else { throw ValidationError("--layout must be nchw or nhwc, got '\(l)'") }
            modelOptions.layout = v
        }
        let registry = standardRegistry()
        BLAS.setThreads(options.threadCount)
        return try CLIError.naming(options.model) {
            let graph = try ModelLoader.load(options.model, registry: nil, weights: options.weights)
            var (pruned, choice) = try ExplainModel.pruned(graph, options: modelOptions)
            try ModelLoader.prepare(&pruned, registry: registry, file: options.model)
            return try ExplainModel(pruned: pruned, choice: choice, registry: registry, threads: options.threadCount,
                                    layout: modelOptions.layout)
        }
    }

    func resolveTarget(_ model: ExplainModel) throws -> Target {
        let metric = try similarity.map { s -> SimilarityMetric in
            guard let m = SimilarityMetric(rawValue: s) else {
                throw ValidationError("--similarity must be one of \(SimilarityMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return m
        } ?? .cosine
        if let r = reference {
            let image = try CLIError.naming(r) { try InputLoader.load(r, for: model) }
            return try CLIError.naming(r) { try Target.similarity(toImage: image, metric: metric, model: model) }
        }
        if let e = referenceEmbedding {
            let v = try CLIError.naming(e) { try NPY.read(path: e).floatValues() }
            return Target.similarity(to: v, metric: metric)
        }
        return try TargetParser.parse(target ?? "top1")
    }

    static let reportProgress: ProgressHandler = { done, total in
        fputs("progress \(done)/\(total)\n", stderr)
    }
    static let reportWarning: WarningHandler = { message in
        fputs("warning: \(message)\n", stderr)
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
