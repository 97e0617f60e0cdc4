import Graph

/// Runs a metric's perturbed inputs through the model `batchSize` at a time (a fixed-batch graph in
/// padded chunks of its own size, through `ExplainModel.run`), scores them for the sample's target,
/// and reports progress over every forward of an image's metrics. The clean input's scores are
/// computed once per image and score kind and shared by the metrics (reuse).
public final class MetricScorer: @unchecked Sendable {
    public let model: ExplainModel
    public let batchSize: Int
    public let progress: ProgressHandler?
    public let total: Int
    public private(set) var done = 0
    /// Forwards actually run (clean scores included), for benchmarks.
    public private(set) var forwardRows = 0
    private var clean: [Bool: Float] = [:]
    private var memos: [String: Double] = [:]
    private let sample: MetricSample

    public init(model: ExplainModel, sample: MetricSample, batchSize: Int = 32, total: Int = 0, progress: ProgressHandler? = nil) throws {
        guard batchSize > 0 else { throw ExplainError("batch size must be positive, got \(batchSize)") }
        self.model = model; self.sample = sample; self.batchSize = batchSize; self.total = total; self.progress = progress
    }

    /// The target's score on the unperturbed input.
    public func cleanScore(_ kind: MetricScore) throws -> Float {
        if let s = clean[kind.isProbability] { return s }
        let s = try score(sample.input, kind)[0]
        clean[kind.isProbability] = s
        return s
    }

    /// A value computed once per image under `key` (ROAD's MoRF / LeRF averages, shared by combined).
    public func memo(_ key: String, _ compute: () throws -> Double) rethrows -> Double {
        if let v = memos[key] { return v }
        let v = try compute()
        memos[key] = v
        return v
    }

    /// Scores of `count` perturbed inputs; `make(range)` builds items `range` as [r.count, C, H, W].
    public func scores(count: Int, _ kind: MetricScore, make: (Range<Int>) throws -> Tensor) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(count)
        var start = 0
        while start < count {
            let r = start..<min(count, start + batchSize)
            let x = try make(r)
            guard x.rank == 4, x.shape[0] == r.count else {
                throw ExplainError("a metric built \(x.shape) for \(r.count) perturbed inputs")
            }
            out += try score(x, kind)
            done += r.count
            progress?(done, max(total, done))
            start = r.upperBound
        }
        return out
    }

    private func score(_ x: Tensor, _ kind: MetricScore) throws -> [Float] {
        let name = model.outputName(for: Target(.top1, output: sample.output))
        guard let y = try model.run([model.inputName: x], fetch: [name])[name] else { throw GraphError.missingValue(name) }
        forwardRows += x.shape[0]
        let s = try sample.target.scores(y, probability: kind.isProbability, probabilityOutput: model.isProbability(name))
        guard s.count == x.shape[0] else { throw ExplainError("\(x.shape[0]) perturbed inputs gave \(s.count) scores") }
        return s
    }
}
