import Graph

/// The denominator stabiliser of zennit (`core.py: stabilize`).
///
/// `stab(z) = z + ε·σ(z)` with σ(z) = +1 for z ≥ 0 (zero counts as positive) and −1 for z < 0.
/// - `clip`: use `σ(z)·max(|z|, ε)` instead of shifting.
/// - `normScale`: scale ε by `sqrt(mean(z²))`, the mean taken per sample (all axes but the first).
public struct Stabilizer: Sendable, Equatable, CustomStringConvertible {
    public var epsilon: Float
    public var clip: Bool
    public var normScale: Bool

    public init(epsilon: Float = 1e-6, clip: Bool = false, normScale: Bool = false) {
        self.epsilon = epsilon; self.clip = clip; self.normScale = normScale
    }

    public var description: String {
        "\(epsilon)" + (clip ? ", clip" : "") + (normScale ? ", norm_scale" : "")
    }

    /// The stabilised copy of `z` (float32).
    public func callAsFunction(_ z: Tensor) throws -> Tensor {
        var v = try z.floats()
        let batch = z.rank == 0 ? 1 : z.shape[0]
        let per = batch > 0 ? v.count / batch : 0
        for b in 0..<batch {
            let range = (b * per)..<((b + 1) * per)
            var eps = epsilon
            if normScale, per > 0 {
                var sq: Double = 0
                for i in range { sq += Double(v[i]) * Double(v[i]) }
                eps = epsilon * Float((sq / Double(per)).squareRoot())
            }
            for i in range {
                let s: Float = v[i] < 0 ? -1 : 1
                v[i] = clip ? s * max(abs(v[i]), eps) : v[i] + s * eps
            }
        }
        return Tensor(unchecked: z.shape, floats: v)
    }

    /// `r / stab(z)` element-wise.
    public func divide(_ r: Tensor, by z: Tensor) throws -> Tensor {
        try LRPMath.zip(r, try self(z)) { $0 / $1 }
    }
}
