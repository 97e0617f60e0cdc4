/// The pointing game (Zhang et al.; TorchRay's protocol; docs/metrics.md): the map's maximum (the
/// first in row-major order) is a hit (1) when some pixel of a box of the explained class lies at
/// Euclidean distance < `tolerance` pixels, else a miss (0). Not applicable without such a box.
public struct PointingGame: ExplanationMetric {
    public let tolerance: Double
    public init(tolerance: Double = 15) { self.tolerance = tolerance }
    public func forwards(height: Int, width: Int) -> Int { 0 }

    public func evaluate(_ sample: MetricSample, scorer: MetricScorer) throws -> Double? {
        let boxes = sample.classBoxes
        guard !boxes.isEmpty else { return nil }
        var best = 0
        for i in sample.saliency.indices where sample.saliency[i] > sample.saliency[best] { best = i }
        let px = best % sample.width, py = best / sample.width
        for b in boxes {
            let dx = Double(max(b.x0 - px, 0, px - (b.x1 - 1)))
            let dy = Double(max(b.y0 - py, 0, py - (b.y1 - 1)))
            if dx * dx + dy * dy < tolerance * tolerance { return 1 }
        }
        return 0
    }
}

/// The energy-based pointing game (Score-CAM; docs/metrics.md): the share of the normalised map's
/// mass inside the union of the explained class's boxes, Σ_box L / Σ L with L = minmax(map)
/// (0 for a constant map). Not applicable without such a box.
public struct EnergyPointingGame: ExplanationMetric {
    public init() {}
    public func forwards(height: Int, width: Int) -> Int { 0 }

    public func evaluate(_ sample: MetricSample, scorer: MetricScorer) throws -> Double? {
        guard let mask = sample.classMask else { return nil }
        let l = sample.normalized
        var inside = 0.0, total = 0.0
        for i in l.indices { total += Double(l[i]); if mask[i] { inside += Double(l[i]) } }
        return total > 0 ? inside / total : 0
    }
}
