import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Graph
import Importers
import Methods
import Plugins
import Rules

/// `cfcam explain MODEL INPUT... --method a,b [--overlay OUT.png] [--raw MAP.npy] [--json OUT.json]`
/// or, for folders, globs and several files, `--out-dir OUT`.
///
/// Every method comes from `MethodRegistry`; this command only parses arguments, turns them into
/// an `ExplainModel`, an `ExplainJob` and output paths, and writes what the job returns. Options
/// that do not apply to a chosen method are errors (`MethodRegistry.Entry.checkApplicable`,
/// unknown `--param` keys).
struct ExplainCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain a model's decision on images (or .npy tensors): maps, overlays, a JSON report.",
        discussion: "Methods (cfcam methods lists their parameters, and those plugins add):\n"
            + MethodRegistry.builtin.entries.map { "  \($0.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \($0.summary)" }.joined(separator: "\n"))

    @OptionGroup var options: ModelOptions

    @Argument(help: "Images (\(ImageFormat.extensionList)), folders, glob patterns, or .npy tensors in the model's own layout.")
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Explanation methods, comma-separated or repeated (default gradcam; see the list below).", valueName: "names"),
            completion: .list(MethodRegistry.builtin.names))
    var method: [String] = []

    @Option(help: "Layer (value name) for layer methods, or 'auto' (the last spatial feature map on the way to the output; the choice is printed). Repeat to aggregate several.")
    var layer: [String] = []

    @Option(help: "\(TargetRegistry.builtin.entries.map(\.syntax).joined(separator: ", ")) (default top1), or a syntax a plugin adds.")
    var target: String?

    @Option(help: "Reference image (or .npy) for a similarity target (FC-less embedding models).")
    var reference: String?

    @Option(help: "Reference embedding (.npy) for a similarity target.")
    var referenceEmbedding: String?

    @Option(help: "Similarity for reference targets: \(SimilarityMetric.allCases.map(\.rawValue).joined(separator: ", ")) (default cosine).")
    var similarity: String?

    @Option(name: .customLong("output"), help: "The model value to explain (default: the graph output that looks like class scores).")
    var outputValue: String?

    @Option(help: "Explain the logits before a final Softmax (logit, default) or its probabilities (probability).")
    var score: String?

    @OptionGroup var image: ImageOptions

    @Option(help: "Method parameter KEY=VALUE (repeatable), e.g. steps=32 for ig; cfcam methods lists them.")
    var param: [String] = []

    @Option(help: "Rows per forward pass for methods that evaluate many (default 32).")
    var batchSize: Int?

    @Option(help: "SmoothGrad around the method: average its maps over this many noisy copies of the input.")
    var smoothSamples: Int?

    @Option(help: "Noise standard deviation for --smooth-samples, in input units, as Captum's stdevs (default 0.15).")
    var smoothStdev: Float?

    @Flag(help: "Test-time augmentation as pytorch-grad-cam's aug_smooth: horizontal flips x brightness 0.9 / 1 / 1.1, de-augmented and averaged.")
    var augSmooth = false

    @Flag(help: "pytorch-grad-cam's eigen_smooth: the first principal component of the weighted activations instead of their sum (CAM methods).")
    var eigenSmooth = false

    @Flag(help: "Report progress of methods that evaluate many rows on stderr.")
    var progress = false

    @Option(help: "LRP composite (the composite parameter of lrp, clrp, sglrp): \(Composite.Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var composite: String?

    @Option(help: "Contrastive variant (the contrast parameter of clrp, sglrp, relevancecam, cfcam): \(ContrastiveMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var contrastMode: String?

    @OptionGroup var outputs: ExplainOutputOptions

    func validate() throws {
        _ = try MethodSelection.split(method)
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
        try outputs.validate(inputs: inputs)
    }

    func run(_ context: CLIContext) throws {
        let registries = context.registries
        let selection = MethodSelection(names: try MethodSelection.split(method), params: param, composite: composite,
                                        contrastMode: contrastMode, smoothSamples: smoothSamples, smoothStdev: smoothStdev,
                                        augSmooth: augSmooth, eigenSmooth: eigenSmooth)
        let steps = try selection.steps(usage: MethodRegistry.RequestUsage(
            layers: !layer.isEmpty, batchSize: batchSize != nil, progress: progress,
            similarity: reference != nil || referenceEmbedding != nil), registries: registries)
        let colormaps = try outputs.colormaps(for: steps)
        if outputs.outDir == nil { try outputs.checkSingleOutputs(steps: steps, dumpInput: image.dumpInput) }

        let model = try loadModel(registries)
        fputs("cfcam: \(model.summary)\n", stderr)
        let metadata = try CLIError.naming(options.model) { try ModelMetadata.load(modelPath: options.model, props: model.graph.metadata) }
        let labels = try image.labels(metadata: metadata)
        let preprocessing = try image.spec(metadata: metadata, model: model)
        let job = ExplainJob(target: try resolveTarget(model, spec: preprocessing, targets: registries.targets), layers: layers, batchSize: batchSize ?? 32, topK: 5,
                             progress: progress ? Self.reportProgress : nil, warn: Self.reportWarning)
        let explainer = ImageExplainer(model: model, job: job, steps: steps, labels: labels, preprocessing: preprocessing,
                                       colormaps: colormaps, alpha: outputs.alpha, modelPath: options.model,
                                       options: optionSummary(steps))
        if let outDir = outputs.outDir {
            var run = FolderRun(explainer: explainer, outDir: outDir, force: outputs.force, shard: outputs.shardFlag,
                                shards: outputs.shards, imageBatch: outputs.imageBatch)
            try run.run(inputs)
        } else {
            try explainer.explainSingle(inputs[0], outputs: outputs, dumpInput: image.dumpInput)
        }
    }

    var layers: [LayerSpec] { layer.isEmpty ? [.auto] : layer.map { LayerSpec($0) } }

    /// The options a report records (what was asked, in the user's words).
    func optionSummary(_ steps: [ExplainJob.Step]) -> [String: String] {
        var o: [String: String] = ["methods": steps.map(\.name).joined(separator: ","), "target": target ?? (reference != nil || referenceEmbedding != nil ? "similarity" : "top1"),
                                   "layers": layer.isEmpty ? "auto" : layer.joined(separator: ","), "score": score ?? "logit"]
        if !param.isEmpty { o["params"] = param.joined(separator: " ") }
        if let c = composite { o["composite"] = c }
        if let c = contrastMode { o["contrast"] = c }
        if let s = smoothSamples { o["smooth_samples"] = "\(s)"; o["smooth_stdev"] = "\(smoothStdev ?? 0.15)" }
        if augSmooth { o["aug_smooth"] = "true" }
        if eigenSmooth { o["eigen_smooth"] = "true" }
        if let r = reference { o["reference"] = r }
        if let r = referenceEmbedding { o["reference_embedding"] = r }
        return o
    }

    /// Loads the graph, keeps what the explained output needs, checks op support and prepares the model.
    func loadModel(_ registries: Registries) throws -> ExplainModel {
        var modelOptions = ExplainModel.Options(output: outputValue)
        if let s = score {
            guard let k = ScoreKind(rawValue: s) else { throw ValidationError("--score must be logit or probability, got '\(s)'") }
            modelOptions.score = k
        }
        if let v = try image.layoutFlag() { modelOptions.layout = v }
        return try ExplainModelLoader.load(options.model, weights: options.weights, options: modelOptions,
                                           registries: registries, threads: options.threadCount)
    }

    func resolveTarget(_ model: ExplainModel, spec: PreprocessSpec, targets: TargetRegistry) throws -> Target {
        let metric = try similarity.map { s -> SimilarityMetric in
            guard let m = SimilarityMetric(rawValue: s) else {
                throw ValidationError("--similarity must be one of \(SimilarityMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return m
        } ?? .cosine
        if let r = reference {
            let input = try CLIError.naming(r) { try InputLoader.load(r, for: model, spec: spec) }
            return try CLIError.naming(r) { try Target.similarity(toImage: input.tensor, metric: metric, model: model) }
        }
        if let e = referenceEmbedding {
            let v = try CLIError.naming(e) { try NPY.read(path: e).floatValues() }
            return Target.similarity(to: v, metric: metric)
        }
        do { return try targets.parse(target ?? "top1") } catch { throw ValidationError("--\(error)") }
    }

    static let reportProgress: ProgressHandler = { done, total in
        fputs("progress \(done)/\(total)\n", stderr)
    }
    static let reportWarning: WarningHandler = { message in
        fputs("warning: \(message)\n", stderr)
    }
}
