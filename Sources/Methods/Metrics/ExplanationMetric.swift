import Graph

/// A measurement of one explanation of one image (docs/metrics.md). `evaluate` returns the value, or
/// nil when the metric does not apply to the image (a box metric on an image without a box of the
/// explained class). Metrics that perturb the input run their forwards through `scorer`, which
/// batches them and reports progress.
public protocol ExplanationMetric: Sendable {
    /// How many perturbed inputs `evaluate` will send through the model for an image of this size
    /// (what progress counts).
    func forwards(height: Int, width: Int) -> Int
    func evaluate(_ sample: MetricSample, scorer: MetricScorer) throws -> Double?
}

/// How a perturbation metric scores the model's output.
public enum MetricScore: String, Sendable, CaseIterable {
    /// softmax(output)[class] for class targets; a contrast or similarity keeps its own score.
    case probability
    /// The target's raw score (pytorch-grad-cam's `ClassifierOutputTarget`).
    case logit

    var isProbability: Bool { self == .probability }
}
