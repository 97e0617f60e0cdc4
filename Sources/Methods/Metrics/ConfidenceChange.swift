import Graph

/// Average Drop and Increase in Confidence (Grad-CAM++; docs/metrics.md): the input multiplied by
/// the explanation, E = minmax(map) ⊙ X (X normalised, so hidden pixels become the dataset mean
/// colour; the map broadcast over channels), scored against the clean input.
///
/// - `paper` (default): Y and O are probabilities; AD = 100 · max(0, Y − O) / Y, IC = 100 · 1[O > Y].
/// - `pytorch-grad-cam`: `DropInConfidence` = max(0, Y − O), `IncreaseInConfidence` = 1[O − Y > 0],
///   both on the target's raw score unless `score=probability` (`ClassifierOutputSoftmaxTarget`).
public struct ConfidenceChange: ExplanationMetric {
    public enum Variant: String, Sendable, CaseIterable { case paper, pytorchGradCam = "pytorch-grad-cam" }
    public enum Quantity: Sendable { case drop, increase }
    public enum ScoreChoice: String, Sendable, CaseIterable { case auto, probability, logit }

    public let quantity: Quantity
    public let variant: Variant
    public let score: MetricScore

    public init(_ quantity: Quantity, variant: Variant = .paper, score: ScoreChoice = .auto) {
        self.quantity = quantity; self.variant = variant
        switch score {
        case .auto: self.score = variant == .paper ? .probability : .logit
        case .probability: self.score = .probability
        case .logit: self.score = .logit
        }
    }

    public func forwards(height: Int, width: Int) -> Int { 1 }

    /// minmax(map) ⊙ X.
    static func masked(_ sample: MetricSample) throws -> Tensor {
        let m = sample.normalized
        var x = try sample.input.floats()
        let plane = sample.height * sample.width
        for c in 0..<(x.count / plane) { for i in 0..<plane { x[c * plane + i] *= m[i] } }
        return Tensor(unchecked: sample.input.shape, floats: x)
    }

    public func evaluate(_ sample: MetricSample, scorer: MetricScorer) throws -> Double? {
        let y = Double(try scorer.cleanScore(score))
        // The masked input's score is shared by Average Drop and Increase in Confidence.
        let o = try scorer.memo("confidence.masked.\(score.rawValue)") {
            let x = try Self.masked(sample)
            return Double(try scorer.scores(count: 1, score) { _ in x }[0])
        }
        switch (quantity, variant) {
        case (.drop, .paper):
            guard y > 0 else { throw ExplainError("average drop divides by the clean score, which is \(y) (use the pytorch-grad-cam variant for scores that can be <= 0)") }
            return 100 * max(0, y - o) / y
        case (.increase, .paper): return o > y ? 100 : 0
        case (.drop, .pytorchGradCam): return max(0, -(o - y))
        case (.increase, .pytorchGradCam): return o - y > 0 ? 1 : 0
        }
    }
}
