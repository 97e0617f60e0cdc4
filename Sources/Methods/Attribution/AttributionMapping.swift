import Graph

/// How attributions [N, C, H, W] become one map per image [N, H, W] in [0, 1] (the CLI's `--raw`).
///
/// No reference fixes a visualisation for input-space attributions, so the default (`.captum`) is
/// Captum's `visualize_image_attr` with its defaults (sign "absolute_value", outlier_perc 2): sum
/// over channels, absolute value, divide by the value at which the cumulative sum of the sorted
/// values reaches 98 % of the total, clip to [0, 1]. `.minmax` uses the shared min-max
/// (docs/methods.md, "Conventions": δ = 1e-7; a map with max − min < 1e-12 is all zeros) and is
/// RISE's default.
public struct AttributionMapping: Sendable, Equatable {
    /// How the channels of each pixel are combined.
    public enum Channels: String, Sendable, Equatable, CaseIterable {
        /// |Σ_c a_c| (Captum's visualisation with sign "absolute_value").
        case absoluteSum = "abs-sum"
        /// max_c |a_c| (Simonyan et al.'s saliency map).
        case maxAbsolute = "max-abs"
        /// Σ_c a_c, signed (negative values end at 0 after scaling).
        case sum = "sum"
    }
    /// How the per-image map is brought to [0, 1].
    public enum Scaling: Sendable, Equatable {
        /// Divide by Captum's cumulative-sum threshold at (100 − percent) % and clip to [0, 1].
        case outlierClip(percent: Double)
        /// (M − min) / (max − min + 1e-7), per image.
        case minmax
    }

    public var channels: Channels
    public var scaling: Scaling

    public init(channels: Channels, scaling: Scaling) { self.channels = channels; self.scaling = scaling }

    /// Captum's heat-map default (absolute value, 2 % outliers).
    public static let captum = AttributionMapping(channels: .absoluteSum, scaling: .outlierClip(percent: 2))
    /// |Σ_c a_c| then the shared min-max (docs/methods.md, "Conventions").
    public static let minmax = AttributionMapping(channels: .absoluteSum, scaling: .minmax)

    /// Maps [N, C, H, W] (or [N, H, W]) attributions to float32 maps [N, H, W] in [0, 1].
    public func apply(_ a: Tensor) throws -> Tensor {
        guard a.dtype == .float32, a.rank == 4 || a.rank == 3, a.count > 0 else {
            throw ExplainError("map: attributions must be a non-empty float32 [N, C, H, W] or [N, H, W], got \(a.dtype) \(a.shape)")
        }
        let n = a.shape[0], c = a.rank == 4 ? a.shape[1] : 1
        let h = a.shape[a.rank - 2], w = a.shape[a.rank - 1], hw = h * w
        let v = try a.floats()
        var out = [Float](repeating: 0, count: n * hw)
        for b in 0..<n {
            var m = [Float](repeating: 0, count: hw)
            for p in 0..<hw {
                var s: Float = 0
                for k in 0..<c {
                    let x = v[(b * c + k) * hw + p]
                    switch channels {
                    case .absoluteSum, .sum: s += x
                    case .maxAbsolute: s = Swift.max(s, abs(x))
                    }
                }
                m[p] = channels == .absoluteSum ? abs(s) : s
            }
            let scaled = scale(m)
            for p in 0..<hw { out[b * hw + p] = scaled[p] }
        }
        return Tensor(unchecked: [n, h, w], floats: out)
    }

    func scale(_ m: [Float]) -> [Float] {
        switch scaling {
        case .minmax:
            let lo = m.min() ?? 0, hi = m.max() ?? 0
            guard hi - lo >= 1e-12, lo.isFinite, hi.isFinite else { return [Float](repeating: 0, count: m.count) }
            return m.map { ($0 - lo) / (hi - lo + 1e-7) }
        case .outlierClip(let percent):
            let t = AttributionMapping.cumulativeSumThreshold(m.map { abs($0) }, percentile: 100 - percent)
            guard t > 0, t.isFinite else { return [Float](repeating: 0, count: m.count) }
            return m.map { Swift.min(Swift.max($0 / t, 0), 1) }
        }
    }

    /// Captum `_cumulative_sum_threshold`: the smallest sorted value at which the running sum
    /// reaches `percentile` % of the total.
    static func cumulativeSumThreshold(_ values: [Float], percentile: Double) -> Float {
        let sorted = values.sorted()
        let total = sorted.reduce(0.0) { $0 + Double($1) }
        let goal = total * 0.01 * Swift.min(Swift.max(percentile, 0), 100)
        var run = 0.0
        for v in sorted {
            run += Double(v)
            if run >= goal { return v }
        }
        return sorted.last ?? 0
    }
}
