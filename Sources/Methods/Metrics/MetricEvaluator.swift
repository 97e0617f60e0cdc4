import Graph

/// Scores one explanation of one image with several metrics: one `MetricScorer` per image, so the
/// clean scores and ROAD's averages are computed once and shared; progress counts every
/// perturbed forward of the image's metrics.
public struct MetricEvaluator: Sendable {
    public struct Configured: Sendable {
        public let entry: MetricRegistry.Entry
        public let metric: any ExplanationMetric
        public init(entry: MetricRegistry.Entry, metric: any ExplanationMetric) { self.entry = entry; self.metric = metric }
        public var name: String { entry.name }
    }

    public let model: ExplainModel
    public let metrics: [Configured]
    public var batchSize: Int
    public var progress: ProgressHandler?

    public init(model: ExplainModel, metrics: [Configured], batchSize: Int = 32, progress: ProgressHandler? = nil) {
        self.model = model; self.metrics = metrics; self.batchSize = batchSize; self.progress = progress
    }

    /// Metrics by name with per-metric parameters (`params[name]`).
    public static func configure(_ entries: [MetricRegistry.Entry], params: [String: MethodParameters] = [:]) throws -> [Configured] {
        for name in params.keys where !entries.contains(where: { $0.name == name }) {
            throw ExplainError("a parameter is given for metric '\(name)', which is not evaluated")
        }
        return try entries.map { Configured(entry: $0, metric: try $0.metric(params[$0.name] ?? MethodParameters())) }
    }

    /// One value per metric (nil: not applicable to this image), in `metrics` order, and the
    /// number of rows run through the model.
    public func evaluate(_ sample: MetricSample) throws -> (values: [(name: String, value: Double?)], forwards: Int) {
        let total = metrics.reduce(0) { $0 + $1.metric.forwards(height: sample.height, width: sample.width) }
        let scorer = try MetricScorer(model: model, sample: sample, batchSize: batchSize, total: total, progress: progress)
        var out: [(String, Double?)] = []
        for m in metrics {
            do {
                out.append((m.name, try m.metric.evaluate(sample, scorer: scorer)))
            } catch {
                throw ExplainError("metric \(m.name): \(error)")
            }
        }
        return (out, scorer.forwardRows)
    }

    /// A uniform random map in [0, 1) seeded by `seed`: the sanity baseline every explanation should beat.
    public static func randomMap(height: Int, width: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed ^ 0x52414E44)
        return (0..<(height * width)).map { _ in Float(rng.uniform()) }
    }
}
