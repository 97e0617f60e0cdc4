import Foundation

/// What insertion / deletion copy pixels from (docs/metrics.md, "Insertion and deletion").
public enum Substrate: String, Sendable, CaseIterable {
    /// Zeros in normalised space (the dataset mean colour): RISE's deletion substrate.
    case zeros
    /// RISE's `gkern(11, 5)` blur: per channel, 11 x 11 kernel outer(k, k) with k the 11 taps of
    /// scipy's `gaussian_filter` (σ = 5, truncate 4, mode reflect) applied to a centred delta;
    /// applied as a convolution with zero padding 5. RISE's insertion substrate.
    case blurRISE = "blur-rise"
    /// Group-CAM's `gaussian_blur2d((51, 51), (50, 50))` with reflect borders (kornia).
    case blurGroupCAM = "blur-groupcam"

    /// The substrate of a [C, H, W] image, flat.
    public func apply(_ x: [Float], h: Int, w: Int) throws -> [Float] {
        switch self {
        case .zeros: return [Float](repeating: 0, count: x.count)
        case .blurRISE: return RISEBlur.apply(x, h: h, w: w)
        case .blurGroupCAM: return try GaussianBlur(size: 51, sigma: 50).apply(x, h: h, w: w)
        }
    }
}

/// RISE's insertion blur (see `Substrate.blurRISE`).
enum RISEBlur {
    static let size = 11
    static let sigma = 5.0

    /// The 1-D taps: scipy.ndimage.gaussian_filter1d of a delta at the centre of `size` samples.
    /// scipy's kernel has radius int(4σ + 0.5) = 20, wider than the 11 samples, so its "reflect"
    /// extension (d c b a | a b c d | d c b a, period 2n) folds the tails back in; the taps sum to 1.
    static let taps: [Double] = {
        let r = Int(4 * sigma + 0.5)
        var g = (-r...r).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let s = g.reduce(0, +)
        g = g.map { $0 / s }
        let c = size / 2
        func reflect(_ i: Int) -> Int {
            let p = 2 * size
            var j = i % p
            if j < 0 { j += p }
            return j < size ? j : p - 1 - j
        }
        return (0..<size).map { i in (-r...r).reduce(0.0) { acc, k in reflect(i + k) == c ? acc + g[k + r] : acc } }
    }()

    /// Separable convolution of every h x w plane with outer(taps, taps), zero padding size / 2.
    static func apply(_ x: [Float], h: Int, w: Int) -> [Float] {
        let half = size / 2
        let k = taps
        let planes = x.count / max(h * w, 1)
        var tmp = [Double](repeating: 0, count: x.count)
        var out = [Float](repeating: 0, count: x.count)
        for p in 0..<planes {
            let o = p * h * w
            for y in 0..<h {
                for xx in 0..<w {
                    var s = 0.0
                    for t in 0..<size { let j = xx + t - half; if j >= 0 && j < w { s += k[t] * Double(x[o + y * w + j]) } }
                    tmp[o + y * w + xx] = s
                }
            }
            for y in 0..<h {
                for xx in 0..<w {
                    var s = 0.0
                    for t in 0..<size { let i = y + t - half; if i >= 0 && i < h { s += k[t] * tmp[o + i * w + xx] } }
                    out[o + y * w + xx] = Float(s)
                }
            }
        }
        return out
    }
}
