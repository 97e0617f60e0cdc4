import Foundation
import Graph

/// ROAD, RemOve And Debias (Rong et al. 2022, as pytorch-grad-cam's `ROADMostRelevantFirstAverage`,
/// `ROADLeastRelevantFirstAverage`, `ROADCombined`; docs/metrics.md). At percentile p, MoRF keeps
/// the pixels whose map value is below the p-th percentile of the map (numpy's linear
/// interpolation) and imputes the rest; LeRF does the same on 1 − map. Ties are broken by pixel
/// order so that a map keeps as many pixels as a map without ties would (`kept`). The value at p is the
/// score change (imputed − clean); MoRF and LeRF average it over the percentiles, and combined is
/// (LeRF − MoRF) / 2. MoRF: lower is better; LeRF and combined: higher is better.
public struct ROAD: ExplanationMetric {
    public enum Order: String, Sendable { case morf, lerf, combined }
    public let order: Order
    public let percentiles: [Double]
    public let imputer: NoisyLinearImputer
    public let score: MetricScore

    public init(_ order: Order, percentiles: [Double] = [10, 20, 30, 40, 50, 60, 70, 80, 90], noise: Float = 0.01,
                score: MetricScore = .logit) throws {
        guard !percentiles.isEmpty, percentiles.allSatisfy({ $0 >= 0 && $0 <= 100 }) else {
            throw ExplainError("ROAD percentiles must be in [0, 100], got \(percentiles)")
        }
        guard noise >= 0, noise.isFinite else { throw ExplainError("ROAD noise must be finite and >= 0, got \(noise)") }
        self.order = order; self.percentiles = percentiles; self.imputer = NoisyLinearImputer(noise: noise); self.score = score
    }

    /// Parses "10,20,30".
    public static func parsePercentiles(_ s: String) throws -> [Double] {
        let v = s.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.allSatisfy({ $0 != nil }) else { throw ExplainError("percentiles '\(s)' are not comma-separated numbers") }
        return v.compactMap { $0 }
    }

    public func forwards(height: Int, width: Int) -> Int { percentiles.count * (order == .combined ? 2 : 1) }

    /// numpy.percentile(v, p) with linear interpolation.
    static func percentile(_ v: [Float], _ p: Double) -> Double {
        let s = v.map(Double.init).sorted()
        let pos = p / 100 * Double(s.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (pos - Double(lo)) * (s[hi] - s[lo])
    }

    /// The pixels kept at percentile p: the k smallest values of `v` (ties broken by pixel index),
    /// where k is the number of values below numpy's p-th percentile in a map without ties. Without
    /// ties this is pytorch-grad-cam's `v < percentile(v, p)` exactly; with ties (a CAM is 0 over
    /// much of the image after its ReLU) `v < t` would keep fewer pixels, and none at all once more
    /// than p% of the map shares its smallest value, leaving nothing to impute from.
    static func kept(_ v: [Float], order: [Int], percentile p: Double) -> [Bool] {
        let pos = p / 100 * Double(v.count - 1)
        let k = pos == pos.rounded(.down) ? Int(pos) : Int(pos.rounded(.down)) + 1
        var keep = [Bool](repeating: false, count: v.count)
        for i in order.prefix(k) { keep[i] = true }
        return keep
    }

    /// Pixel indices by increasing value, ties by index.
    static func ascending(_ v: [Float]) -> [Int] {
        v.indices.sorted { v[$0] != v[$1] ? v[$0] < v[$1] : $0 < $1 }
    }

    /// The mean score change over the percentiles for one removal order.
    func average(_ o: Order, _ sample: MetricSample, scorer: MetricScorer) throws -> Double {
        let key = "road.\(o.rawValue).\(percentiles).\(imputer.noise).\(score.rawValue)"
        return try scorer.memo(key) {
            let y = Double(try scorer.cleanScore(score))
            let v = o == .morf ? sample.saliency : sample.saliency.map { 1 - $0 }
            let order = Self.ascending(v)
            let x = try sample.input.floats()
            var rng = SeededRandom(seed: sample.seed &+ (o == .morf ? 0x6D6F7266 : 0x6C657266))
            // Imputations are made per batch, so a batch's images are in memory at once.
            let shape = Array(sample.input.shape.dropFirst())
            let s = try scorer.scores(count: percentiles.count, score) { r in
                var batch: [Float] = []
                for i in r {
                    let keep = Self.kept(v, order: order, percentile: percentiles[i])
                    batch += try imputer.impute(x, keep: keep, height: sample.height, width: sample.width, rng: &rng)
                }
                return Tensor(unchecked: [r.count] + shape, floats: batch)
            }
            return s.reduce(0.0) { $0 + Double($1) - y } / Double(s.count)
        }
    }

    public func evaluate(_ sample: MetricSample, scorer: MetricScorer) throws -> Double? {
        switch order {
        case .morf: return try average(.morf, sample, scorer: scorer)
        case .lerf: return try average(.lerf, sample, scorer: scorer)
        case .combined:
            return (try average(.lerf, sample, scorer: scorer) - (try average(.morf, sample, scorer: scorer))) / 2
        }
    }
}
