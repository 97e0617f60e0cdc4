import ArgumentParser
import Foundation
import Graph
import Importers
import Methods
import Plugins
import Rules
import Runs

/// `cfcam evaluate MODEL DATA --methods a,b --metrics all --out-dir OUT`: explains every image of a
/// dataset (a folder with manifest.json) with each method and scores each map with each metric
/// (`MetricRegistry`). Parsing only; the run is `EvaluateRun`, the metrics live in Methods/Metrics.
struct EvaluateCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Score explanations on a dataset with boxes: Average Drop, insertion / deletion, pointing games, localisation, ROAD.",
        discussion: "Metrics (docs/metrics.md defines each; --metric-param NAME:KEY=VALUE sets a parameter; plugins may add more):\n"
            + MetricRegistry.builtin.entries.map { e in
                "  \(e.name.padding(toLength: 23, withPad: " ", startingAt: 0)) \(e.summary)"
                    + (e.parameters.isEmpty ? "" : "\n" + e.parameters.map { "      \($0.key) \($0.kind.description) (\($0.defaultValue)): \($0.summary)" }.joined(separator: "\n"))
            }.joined(separator: "\n"))

    @OptionGroup var options: ModelOptions

    @Argument(help: "The dataset: a folder with manifest.json (or the manifest file itself).")
    var data: String

    @Option(name: [.customLong("methods"), .customLong("method")], help: ArgumentHelp("Explanation methods, comma-separated (default gradcam).", valueName: "names"),
            completion: .list(MethodRegistry.builtin.names))
    var methods: [String] = []

    @Option(help: ArgumentHelp("Metrics: all (default) or comma-separated names (see below).", valueName: "names"))
    var metrics: String = "all"

    @Option(help: "Metric parameter NAME:KEY=VALUE (repeatable), e.g. insertion:step=448.")
    var metricParam: [String] = []

    @Option(help: "Score maps made elsewhere instead of explaining: DIR/<image file without extension>.npy per image, [H, W] (or [1, H, W]) at the model input's size or any size (resized bilinearly). The method column reads 'maps'.")
    var maps: String?

    @Flag(help: "Also write each scored map as OUT/<file>/<method>.npy ([H, W] at the input's size, as scored).")
    var saveMaps = false

    @Flag(help: "Also score a seeded uniform random map per image (method 'random'): the sanity baseline.")
    var randomBaseline = false

    @Option(help: "Write per-image scores, the index and the summaries here.")
    var outDir: String

    @Option(help: "Layer (value name) for layer methods, or 'auto'. Repeat to aggregate several.")
    var layer: [String] = []

    @Option(help: "CLASS, top1, A-vs-B or A-vs-all (default: each image's manifest label, else top1).")
    var target: String?

    @Option(help: "Reference image (or .npy) for a similarity target (embedding models are evaluated on that similarity).")
    var reference: String?

    @Option(help: "Similarity for --reference: \(SimilarityMetric.allCases.map(\.rawValue).joined(separator: ", ")) (default cosine).")
    var similarity: String?

    @Option(name: .customLong("output"), help: "The model value to explain (default: the graph output that looks like class scores).")
    var outputValue: String?

    @OptionGroup var image: ImageOptions

    @Option(help: "Method parameter KEY=VALUE (repeatable), as for explain.")
    var param: [String] = []

    @Option(help: "Rows per forward pass, for methods and for the metrics' perturbed inputs (default 32).")
    var batchSize: Int = 32

    @Flag(help: "Report progress of the metrics' perturbed forwards on stderr.")
    var progress = false

    @Flag(help: "Redo images already done (default: skip them, as recorded in OUT/index.sqlite).")
    var force = false

    @Option(name: .customLong("shard"), help: "Process shard i of n (0-based, i/n): a deterministic 1/n of the images.")
    var shardFlag: String?

    @Option(help: "The number of shards, the index coming from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID.")
    var shards: Int?

    @Option(help: "Bootstrap resamples for the 95% intervals (default 1000; seeded).")
    var bootstrap: Int = 1000

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be positive") }
        if bootstrap < 0 { throw ValidationError("--bootstrap must be >= 0") }
        if maps != nil && !methods.isEmpty { throw ValidationError("--maps scores the given maps; drop --methods") }
        if target != nil && reference != nil { throw ValidationError("--target picks a class; with --reference the target is the similarity to it") }
        if similarity != nil && reference == nil { throw ValidationError("--similarity needs --reference") }
        _ = try metricParameters()
    }

    /// `--metric-param NAME:KEY=VALUE` grouped by metric.
    func metricParameters() throws -> [String: MethodParameters] {
        var out: [String: [String]] = [:]
        for item in metricParam {
            guard let colon = item.firstIndex(of: ":"), colon != item.startIndex else {
                throw ValidationError("--metric-param '\(item)' is not NAME:KEY=VALUE")
            }
            out[String(item[..<colon]), default: []].append(String(item[item.index(after: colon)...]))
        }
        return try out.mapValues { try MethodParameters(parsing: $0) }
    }

    func run(_ context: CLIContext) throws {
        let registries = context.registries
        let metricEntries = try CLIError.wrap { try registries.metrics.select(metrics) }
        let configured = try CLIError.wrap { try MetricEvaluator.configure(metricEntries, params: try metricParameters()) }
        var steps: [ExplainJob.Step] = []
        if maps == nil {
            let selection = MethodSelection(names: try MethodSelection.split(methods), params: param, composite: nil, contrastMode: nil,
                                            smoothSamples: nil, smoothStdev: nil)
            steps = try selection.steps(usage: MethodRegistry.RequestUsage(layers: !layer.isEmpty, similarity: reference != nil),
                                         registries: registries)
        } else if !param.isEmpty || !layer.isEmpty {
            throw ValidationError("--param and --layer configure methods; --maps scores given maps")
        }
        let manifest = try CLIError.wrap { try EvaluationManifest.load(data) }
        let model = try loadModel(registries)
        fputs("cfcam: \(model.summary)\n", stderr)
        let metadata = try CLIError.naming(options.model) { try ModelMetadata.load(modelPath: options.model, props: model.graph.metadata) }
        let preprocessing = try image.spec(metadata: metadata, model: model)
        let target = try resolveTarget(model, spec: preprocessing, targets: registries.targets)
        var run = EvaluateRun(model: model, steps: steps, metrics: configured, manifest: manifest, preprocessing: preprocessing,
                              target: target, targetGiven: target != nil, layers: layer.isEmpty ? [.auto] : layer.map { LayerSpec($0) },
                              batchSize: batchSize, progress: progress ? ExplainCommand.reportProgress : nil,
                              maps: maps, saveMaps: saveMaps, randomBaseline: randomBaseline, outDir: outDir, force: force,
                              shard: shardFlag, shards: shards, resamples: bootstrap)
        try run.run()
    }

    func loadModel(_ registries: Registries) throws -> ExplainModel {
        var modelOptions = ExplainModel.Options(output: outputValue)
        if let v = try image.layoutFlag() { modelOptions.layout = v }
        return try ExplainModelLoader.load(options.model, weights: options.weights, options: modelOptions,
                                           registries: registries, threads: options.threadCount)
    }

    /// The target given on the command line (nil: each image's label, else its top-1).
    func resolveTarget(_ model: ExplainModel, spec: PreprocessSpec, targets: TargetRegistry) throws -> Target? {
        if let r = reference {
            let metric = try similarity.map { s -> SimilarityMetric in
                guard let m = SimilarityMetric(rawValue: s) else {
                    throw ValidationError("--similarity must be one of \(SimilarityMetric.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return m
            } ?? .cosine
            let input = try CLIError.naming(r) { try InputLoader.load(r, for: model, spec: spec) }
            return try CLIError.naming(r) { try Target.similarity(toImage: input.tensor, metric: metric, model: model) }
        }
        return try target.map { t in do { return try targets.parse(t) } catch { throw ValidationError("--\(error)") } }
    }
}

extension CLIError {
    /// Any error as a CLIError with its message.
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as CLIError { throw e } catch { throw CLIError("\(error)") }
    }
}
