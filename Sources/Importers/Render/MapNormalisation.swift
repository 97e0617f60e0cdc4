/// How an explanation map's raw values become colormap positions in [0, 1].
///
/// - `minMax`: pytorch-grad-cam's `scale_cam_image`, in single precision as it computes:
///   `(v - min) / (1e-7 + (max - min))`. The 1e-7 keeps an all-equal map at 0 (no division by zero)
///   and, as in pytorch-grad-cam, leaves the maximum just under 1 (so it gets colormap entry 254).
/// - `symmetric`: `0.5 + 0.5 * v / max|v|` (0 -> 0.5, the middle of a diverging map; an all-zero
///   map is 0.5 everywhere).
/// - `none`: the values clamped to [0, 1].
///
/// NaN becomes 0 in every mode. Minimum and maximum are taken over the finite values only; +inf goes
/// to 1 and -inf to 0. Results are clamped to [0, 1].
public enum MapNormalisation: String, Sendable, CaseIterable {
    case minMax, symmetric, none

    public func apply(_ values: [Float]) -> [Float] {
        func clamp(_ v: Float) -> Float { v.isNaN ? 0 : min(max(v, 0), 1) }
        switch self {
        case .none:
            return values.map(clamp)
        case .minMax:
            var lo = Float.infinity, hi = -Float.infinity
            for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
            guard lo <= hi else { return values.map { $0 == .infinity ? 1 : 0 } }
            let denominator = Float(1e-7) + (hi - lo)
            return values.map { v in
                v.isFinite ? clamp((v - lo) / denominator) : (v == .infinity ? 1 : 0)
            }
        case .symmetric:
            var m: Float = 0
            for v in values where v.isFinite { m = max(m, abs(v)) }
            return values.map { v in
                if v.isNaN { return 0 }
                if v.isInfinite { return v > 0 ? 1 : 0 }
                return m > 0 ? clamp(0.5 + 0.5 * (v / m)) : 0.5
            }
        }
    }
}
