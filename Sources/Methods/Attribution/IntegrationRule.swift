import Foundation

/// Quadrature rules for the path integral of Integrated Gradients, exactly as Captum's
/// `approximation_methods.py`: points α_k in [0, 1] and weights w_k with
/// ∫₀¹ g(α) dα ≈ Σ_k w_k g(α_k).
public enum IntegrationRule: String, Sendable, CaseIterable {
    /// α_k = k/(n−1) (k = 0..n−1), w = 1/n with the first and last halved (Captum
    /// `riemann_trapezoid`; note the weights sum to 1 − 1/n, as in Captum).
    case riemannTrapezoid = "riemann_trapezoid"
    /// α_k = k/n, w = 1/n (`riemann_left`).
    case riemannLeft = "riemann_left"
    /// α_k = (k+1)/n, w = 1/n (`riemann_right`, zennit's rule).
    case riemannRight = "riemann_right"
    /// α_k = (2k+1)/(2n), w = 1/n (`riemann_middle`).
    case riemannMiddle = "riemann_middle"
    /// n-point Gauss–Legendre nodes and weights mapped from [−1, 1] to [0, 1] (Captum's default,
    /// `gausslegendre`, numpy `leggauss`).
    case gaussLegendre = "gausslegendre"

    /// The points and weights for `n` steps. Riemann rules need n > 1 and Gauss–Legendre n > 0 (as Captum).
    public func points(_ n: Int) throws -> (alphas: [Double], weights: [Double]) {
        switch self {
        case .gaussLegendre:
            guard n > 0 else { throw ExplainError("ig: the number of steps must be at least 1, got \(n)") }
            let (x, w) = IntegrationRule.legendre(n)
            return (x.map { 0.5 * (1 + $0) }, w.map { 0.5 * $0 })
        default:
            guard n > 1 else { throw ExplainError("ig: Riemann rules need more than one step, got \(n)") }
            let d = Double(n)
            var w = [Double](repeating: 1 / d, count: n)
            let a: [Double]
            switch self {
            case .riemannTrapezoid:
                w[0] /= 2; w[n - 1] /= 2
                a = IntegrationRule.linspace(0, 1, n)
            case .riemannLeft: a = IntegrationRule.linspace(0, 1 - 1 / d, n)
            case .riemannRight: a = IntegrationRule.linspace(1 / d, 1, n)
            default: a = IntegrationRule.linspace(1 / (2 * d), 1 - 1 / (2 * d), n)
            }
            return (a, w)
        }
    }

    /// torch.linspace's evaluation order (the first half counted from `start`, the second from `end`).
    static func linspace(_ start: Double, _ end: Double, _ n: Int) -> [Double] {
        let step = (end - start) / Double(n - 1)
        return (0..<n).map { i in i < n / 2 ? start + Double(i) * step : end - Double(n - 1 - i) * step }
    }

    /// Gauss–Legendre nodes (ascending, in [−1, 1]) and weights: Newton's method on P_n from the
    /// Chebyshev-like initial guess, to double precision.
    static func legendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        var x = [Double](repeating: 0, count: n), w = [Double](repeating: 0, count: n)
        let m = (n + 1) / 2
        for i in 0..<m {
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var dp = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = 0.0
                for j in 1...n {  // recurrence: j P_j = (2j−1) z P_{j−1} − (j−1) P_{j−2}
                    let p2 = p1; p1 = p0
                    p0 = ((2 * Double(j) - 1) * z * p1 - (Double(j) - 1) * p2) / Double(j)
                }
                dp = Double(n) * (z * p0 - p1) / (z * z - 1)
                let dz = p0 / dp
                z -= dz
                if abs(dz) < 1e-15 { break }
            }
            // Re-evaluate the derivative at the converged root.
            var p0 = 1.0, p1 = 0.0
            for j in 1...n {
                let p2 = p1; p1 = p0
                p0 = ((2 * Double(j) - 1) * z * p1 - (Double(j) - 1) * p2) / Double(j)
            }
            dp = Double(n) * (z * p0 - p1) / (z * z - 1)
            let wi = 2 / ((1 - z * z) * dp * dp)
            x[i] = -z; x[n - 1 - i] = z
            w[i] = wi; w[n - 1 - i] = wi
        }
        return (x, w)
    }
}
