import Graph

/// Insertion and deletion (RISE's `CausalMetric`; docs/metrics.md): pixels in order of decreasing
/// saliency (ties by flat index) are copied `step` at a time from the finish image into the start
/// image (deletion: start X, finish the substrate; insertion: start the substrate, finish X), all
/// channels at once; the target's score is recorded before
/// each copy and after the last: ceil(HW / step) + 1 points. The value is the trapezoid AUC on
/// [0, 1]: (Σ s_i − s_0 / 2 − s_n / 2) / n.
public struct CausalMetric: ExplanationMetric {
    public enum Mode: String, Sendable { case insertion, deletion }
    public let mode: Mode
    public let step: Int
    public let substrate: Substrate
    public let score: MetricScore

    public init(_ mode: Mode, step: Int = 224, substrate: Substrate? = nil, score: MetricScore = .probability) throws {
        guard step > 0 else { throw ExplainError("\(mode.rawValue): step must be positive, got \(step)") }
        self.mode = mode; self.step = step; self.score = score
        self.substrate = substrate ?? (mode == .insertion ? .blurRISE : .zeros)
    }

    public func forwards(height: Int, width: Int) -> Int { (height * width + step - 1) / step + 1 }

    /// Flat pixel indices by decreasing value, ties by increasing index.
    static func order(_ s: [Float]) -> [Int] {
        s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }
    }

    /// The curve's scores (ceil(HW / step) + 1 of them).
    public func curve(_ sample: MetricSample, scorer: MetricScorer) throws -> [Float] {
        let h = sample.height, w = sample.width, plane = h * w
        let x = try sample.input.floats()
        let channels = x.count / plane
        let sub = try substrate.apply(x, h: h, w: w)
        let (start, finish) = mode == .deletion ? (x, sub) : (sub, x)
        let order = Self.order(sample.saliency)
        let n = (plane + step - 1) / step
        var current = start
        var next = 0  // the curve point `current` holds
        let shape = Array(sample.input.shape.dropFirst())
        return try scorer.scores(count: n + 1, score) { r in
            var batch: [Float] = []
            batch.reserveCapacity(r.count * x.count)
            for i in r {
                while next < i {  // copy pixels order[next*step ..< (next+1)*step]
                    for p in order[(next * step)..<min(plane, (next + 1) * step)] {
                        for c in 0..<channels { current[c * plane + p] = finish[c * plane + p] }
                    }
                    next += 1
                }
                batch += current
            }
            return Tensor(unchecked: [r.count] + shape, floats: batch)
        }
    }

    /// The trapezoid AUC of a curve on [0, 1].
    public static func auc(_ s: [Float]) -> Double {
        guard s.count >= 2 else { return s.first.map(Double.init) ?? 0 }
        let sum = s.reduce(0.0) { $0 + Double($1) }
        return (sum - Double(s[0]) / 2 - Double(s[s.count - 1]) / 2) / Double(s.count - 1)
    }

    public func evaluate(_ sample: MetricSample, scorer: MetricScorer) throws -> Double? {
        Self.auc(try curve(sample, scorer: scorer))
    }
}
