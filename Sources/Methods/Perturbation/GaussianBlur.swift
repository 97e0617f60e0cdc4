import Foundation

/// Separable Gaussian blur of [C, H, W] planes with reflect padding, as kornia's
/// `gaussian_blur2d(input, (size, size), (sigma, sigma), border_type="reflect")` (Group-CAM's blur:
/// 51 x 51, σ = 50). Kernel taps: exp(−x²/(2σ²)) at x = i − size/2 (+0.5 for even sizes),
/// normalised to sum 1; "reflect" mirrors without repeating the edge (torch's `reflect` padding).
public struct GaussianBlur: Sendable {
    /// The `blur-size` and `blur-sigma` parameters of the methods that blend with a blurred input.
    static let parameters: [MethodParameter] = [
        .int("blur-size", default: 51, "Gaussian blur kernel size (odd)"),
        .float("blur-sigma", default: 50, "Gaussian blur standard deviation, in pixels"),
    ]
    public let size: Int
    public let sigma: Double
    let taps: [Float]

    public init(size: Int = 51, sigma: Double = 50) throws {
        guard size > 0, sigma > 0, sigma.isFinite else { throw ExplainError("blur needs size > 0 and σ > 0, got \(size), \(sigma)") }
        self.size = size; self.sigma = sigma
        let half = size / 2
        let xs = (0..<size).map { Double($0 - half) + (size % 2 == 0 ? 0.5 : 0) }
        let g = xs.map { exp(-$0 * $0 / (2 * sigma * sigma)) }
        let s = g.reduce(0, +)
        taps = g.map { Float($0 / s) }
    }

    /// Mirror index into 0..<n (torch "reflect"; folds repeatedly for pads larger than n).
    static func reflect(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        let period = 2 * (n - 1)
        var j = i % period
        if j < 0 { j += period }
        return j < n ? j : period - j
    }

    /// Blurs every h x w plane of `values` (planes stacked).
    public func apply(_ values: [Float], h: Int, w: Int) -> [Float] {
        let planes = values.count / max(h * w, 1)
        let half = size / 2
        var tmp = [Float](repeating: 0, count: values.count)
        var out = [Float](repeating: 0, count: values.count)
        let xIdx = (0..<w).map { x in (0..<size).map { GaussianBlur.reflect(x + $0 - half, w) } }
        let yIdx = (0..<h).map { y in (0..<size).map { GaussianBlur.reflect(y + $0 - half, h) } }
        for p in 0..<planes {
            let o = p * h * w
            for y in 0..<h {
                for x in 0..<w {
                    var s: Float = 0
                    let idx = xIdx[x]
                    for t in 0..<size { s += taps[t] * values[o + y * w + idx[t]] }
                    tmp[o + y * w + x] = s
                }
            }
            for y in 0..<h {
                let idx = yIdx[y]
                for x in 0..<w {
                    var s: Float = 0
                    for t in 0..<size { s += taps[t] * tmp[o + idx[t] * w + x] }
                    out[o + y * w + x] = s
                }
            }
        }
        return out
    }
}
