import Graph

/// The LRP rules of zennit 0.5.1 (`rules.py`; docs/methods.md, "LRP rules") as `BasicHook`s, plus
/// the parameter-free rules. `zeroBias` is zennit's `zero_params='bias'`; the `stabilizer` is a
/// `Stabilizer`.
public enum LRPRules {
    // MARK: Input and parameter modifiers

    @Sendable static func identity(_ x: Tensor) throws -> Tensor { x }
    @Sendable static func positive(_ x: Tensor) throws -> Tensor { try LRPMath.map(x) { max($0, 0) } }
    @Sendable static func negative(_ x: Tensor) throws -> Tensor { try LRPMath.map(x) { min($0, 0) } }
    @Sendable static func ones(_ x: Tensor) throws -> Tensor { Tensor(unchecked: x.shape, floats: [Float](repeating: 1, count: x.count)) }
    @Sendable static func keep(_ v: Float) -> Float { v }
    @Sendable static func pos(_ v: Float) -> Float { max(v, 0) }
    @Sendable static func neg(_ v: Float) -> Float { min(v, 0) }

    static func sum(_ zs: ArraySlice<Tensor>) throws -> Tensor {
        guard let s = try LRPMath.sum(Array(zs)) else { throw LRPError.invalidParameter("no branch outputs") }
        return s
    }
    /// Σ_m x_m ⊙ c_m over the given branches (nil gradients count as zero), times `scale`.
    static func dot(_ xs: [Tensor], _ cs: [Tensor?], _ range: Range<Int>, scale: Float = 1) throws -> Tensor? {
        var parts: [Tensor] = []
        for m in range { if let c = cs[m] { parts.append(try LRPMath.zip(xs[m], c) { $0 * $1 * scale }) } }
        return try LRPMath.sum(parts)
    }
    static func orZeros(_ t: Tensor?, like x: Tensor) -> Tensor { t ?? Tensor.zeros(x.shape) }

    // MARK: Rules

    /// LRP-ε (`Epsilon`): `R_j = x_j Σ_k W_jk R_k / stab_ε(z_k)`; ε is the rule parameter.
    public static func epsilon(_ epsilon: Float = 1e-6, zeroBias: Bool = false) -> BasicHook {
        self.epsilon(Stabilizer(epsilon: epsilon), zeroBias: zeroBias)
    }

    /// LRP-ε with a full stabiliser (clip / norm_scale options).
    public static func epsilon(_ stab: Stabilizer, zeroBias: Bool = false) -> BasicHook {
        BasicHook(name: "Epsilon(\(stab)\(zeroBias ? ", zero bias" : ""))",
                  branches: [.init(input: identity, weight: keep, bias: zeroBias ? nil : keep)],
                  gradientMapper: { r, z in [try stab.divide(r, by: z[0])] },
                  reducer: { x, c in orZeros(try dot(x, c, 0..<1), like: x[0]) })
    }

    /// Generalised LRP-γ (`Gamma`): five branches, the mask on the sign of the original output.
    public static func gamma(_ gamma: Float = 0.25, stabilizer stab: Stabilizer = Stabilizer(), zeroBias: Bool = false) -> BasicHook {
        let gPos: @Sendable (Float) -> Float = { $0 + gamma * max($0, 0) }
        let gNeg: @Sendable (Float) -> Float = { $0 + gamma * min($0, 0) }
        return BasicHook(
            name: "Gamma(\(gamma), \(stab)\(zeroBias ? ", zero bias" : ""))",
            branches: [.init(input: positive, weight: gPos, bias: zeroBias ? nil : gPos),
                       .init(input: negative, weight: gNeg, bias: nil),
                       .init(input: positive, weight: gNeg, bias: zeroBias ? nil : gNeg),
                       .init(input: negative, weight: gPos, bias: nil),
                       .init(input: identity, weight: keep, bias: keep)],
            gradientMapper: { r, z in
                let up = try LRPMath.zip(r, z[4]) { $1 > 0 ? $0 : 0 }
                let down = try LRPMath.zip(r, z[4]) { $1 < 0 ? $0 : 0 }
                let s1 = try stab.divide(up, by: try sum(z[0..<2]))
                let s3 = try stab.divide(down, by: try sum(z[2..<4]))
                return [s1, s1, s3, s3, nil]
            },
            reducer: { x, c in orZeros(try dot(x, c, 0..<4), like: x[0]) })
    }

    /// LRP-αβ (`AlphaBeta`); throws unless α − β = 1 and α, β ≥ 0 (as zennit).
    public static func alphaBeta(alpha: Float = 2, beta: Float = 1, stabilizer stab: Stabilizer = Stabilizer(),
                                 zeroBias: Bool = false) throws -> BasicHook {
        guard alpha >= 0, beta >= 0 else { throw LRPError.invalidParameter("AlphaBeta: alpha (\(alpha)) and beta (\(beta)) must be >= 0") }
        guard alpha - beta == 1 else { throw LRPError.invalidParameter("AlphaBeta: alpha - beta must equal 1, got \(alpha) - \(beta)") }
        return BasicHook(
            name: "AlphaBeta(\(alpha), \(beta), \(stab)\(zeroBias ? ", zero bias" : ""))",
            branches: [.init(input: positive, weight: pos, bias: zeroBias ? nil : pos),
                       .init(input: negative, weight: neg, bias: nil),
                       .init(input: positive, weight: neg, bias: zeroBias ? nil : neg),
                       .init(input: negative, weight: pos, bias: nil)],
            gradientMapper: { r, z in
                let s1 = try stab.divide(r, by: try sum(z[0..<2]))
                let s3: Tensor? = beta == 0 ? nil : try stab.divide(r, by: try sum(z[2..<4]))
                return [s1, s1, s3, s3]
            },
            reducer: { x, c in
                let a = orZeros(try dot(x, c, 0..<2, scale: alpha), like: x[0])
                guard let b = try dot(x, c, 2..<4, scale: beta) else { return a }
                return try LRPMath.zip(a, b) { $0 - $1 }
            })
    }

    /// z⁺ (`ZPlus`), identical to AlphaBeta(1, 0): positive bias part in the denominator.
    public static func zPlus(stabilizer stab: Stabilizer = Stabilizer(), zeroBias: Bool = false) -> BasicHook {
        BasicHook(name: "ZPlus(\(stab)\(zeroBias ? ", zero bias" : ""))",
                  branches: [.init(input: positive, weight: pos, bias: zeroBias ? nil : pos),
                             .init(input: negative, weight: neg, bias: nil)],
                  gradientMapper: { r, z in
                      let s = try stab.divide(r, by: try sum(z[0..<2]))
                      return [s, s]
                  },
                  reducer: { x, c in orZeros(try dot(x, c, 0..<2), like: x[0]) })
    }

    /// z^B box rule (`ZBox`) for the input layer. `low` and `high` are scalars or per-channel
    /// tensors ([C], [1, C, 1, 1], ...) broadcast to the input.
    public static func zBox(low: Tensor, high: Tensor, stabilizer stab: Stabilizer = Stabilizer(), zeroBias: Bool = false) -> BasicHook {
        let lowIn: @Sendable (Tensor) throws -> Tensor = { try LRPMath.expand(low, to: $0.shape) }
        let highIn: @Sendable (Tensor) throws -> Tensor = { try LRPMath.expand(high, to: $0.shape) }
        return BasicHook(
            name: "ZBox(low: \(low.floatValues().count == 1 ? "\(low.floatValues()[0])" : "\(low.shape)"), high: \(high.floatValues().count == 1 ? "\(high.floatValues()[0])" : "\(high.shape)"), \(stab))",
            branches: [.init(input: identity, weight: keep, bias: zeroBias ? nil : keep),
                       .init(input: lowIn, weight: pos, bias: zeroBias ? nil : pos),
                       .init(input: highIn, weight: neg, bias: zeroBias ? nil : neg)],
            gradientMapper: { r, z in
                let d = try LRPMath.zip(try LRPMath.zip(z[0], z[1]) { $0 - $1 }, z[2]) { $0 - $1 }
                let s = try stab.divide(r, by: d)
                return [s, s, s]
            },
            reducer: { x, c in
                guard let c0 = c[0], let c1 = c[1], let c2 = c[2] else { throw LRPError.invalidParameter("ZBox: missing branch gradient") }
                let a = try LRPMath.zip(x[0], c0) { $0 * $1 }
                let l = try LRPMath.zip(x[1], c1) { $0 * $1 }
                let h = try LRPMath.zip(x[2], c2) { $0 * $1 }
                return try LRPMath.zip(try LRPMath.zip(a, l) { $0 - $1 }, h) { $0 - $1 }
            })
    }

    /// z^B with scalar bounds.
    public static func zBox(low: Float, high: Float, stabilizer: Stabilizer = Stabilizer(), zeroBias: Bool = false) -> BasicHook {
        zBox(low: .scalar(low), high: .scalar(high), stabilizer: stabilizer, zeroBias: zeroBias)
    }

    /// Flat (`Flat`): inputs and weights replaced by ones, no bias; `R_in` is the back-projection alone.
    public static func flat(stabilizer stab: Stabilizer = Stabilizer()) -> BasicHook {
        BasicHook(name: "Flat(\(stab))",
                  branches: [.init(input: ones, weight: { _ in 1 }, bias: nil)],
                  gradientMapper: { r, z in [try stab.divide(r, by: z[0])] },
                  reducer: { x, c in orZeros(c[0], like: x[0]) })
    }

    /// w² (`WSquare`): inputs replaced by ones, parameters squared (bias² kept unless `zeroBias`).
    public static func wSquare(stabilizer stab: Stabilizer = Stabilizer(), zeroBias: Bool = false) -> BasicHook {
        let square: @Sendable (Float) -> Float = { $0 * $0 }
        return BasicHook(name: "WSquare(\(stab)\(zeroBias ? ", zero bias" : ""))",
                  branches: [.init(input: ones, weight: square, bias: zeroBias ? nil : square)],
                  gradientMapper: { r, z in [try stab.divide(r, by: z[0])] },
                  reducer: { x, c in orZeros(c[0], like: x[0]) })
    }

    /// `Pass`: relevance unchanged (element-wise ops).
    public static var pass: PassRule { PassRule() }
    /// `Norm`: proportional split for sums and averages.
    public static func norm(stabilizer: Stabilizer = Stabilizer()) -> NormRule { NormRule(stabilizer: stabilizer) }
    /// The op's true gradient (routing ops; zennit's behaviour for layers without a rule).
    public static var gradient: GradientRule { GradientRule() }
}
