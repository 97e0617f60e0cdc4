import Graph

/// The LN-rule of Ali et al. 2022 ("XAI for Transformers: better explanations through conservative
/// propagation") for the `.normalization` role (LayerNormalization, InstanceNormalization).
///
/// Per normalised group (a LayerNormalization row, an InstanceNormalization (n, c) plane) the op is
/// `y_j = (x_j − mean(x)) · a_j + b_j` with `a_j = γ_j / σ(x)`. Holding σ constant makes `x ↦ y` an
/// affine map (centering, then a diagonal scale), and relevance follows it with the ε-rule:
///
///     q = R / stab(y)              (stab(z) with `zeroBias`, z = y − β)
///     R_x_i = x_i · (a_i q_i − mean_j(a_j q_j))
///
/// `Σ_i R_x_i = Σ_j R_j · z_j / stab(·)`: with `zeroBias` (or β = 0) relevance is conserved up
/// to ε; otherwise β absorbs its share, as the bias of any ε-rule layer (the default, matching the
/// presets' treatment of Conv / Gemm biases). Centering can move relevance between the group's
/// elements and flip signs, as in the reference method.
public struct LayerNormRule: LRPRule {
    public var stabilizer: Stabilizer
    /// Leave β out of the denominator (β then receives no relevance): conservation.
    public var zeroBias: Bool

    public init(stabilizer: Stabilizer = Stabilizer(), zeroBias: Bool = false) {
        self.stabilizer = stabilizer; self.zeroBias = zeroBias
    }

    public var description: String { "LN(\(stabilizer)\(zeroBias ? ", zero bias" : ""))" }

    /// Rows of the normalisation and each element's (gain without 1/σ, bias), by op.
    private struct Layout {
        var rows: Int, size: Int, eps: Float
        var param: (Int, Int) -> (Float, Float)
    }

    public func propagate(definition: OpDefinition, context ctx: BackwardContext) throws -> [Tensor?] {
        var result = [Tensor?](repeating: nil, count: ctx.inputs.count)
        guard ctx.needs.first == true, let r = ctx.outputGrads.first, let y = ctx.outputs.first else { return result }
        if let i = ctx.needs.indices.dropFirst().first(where: { ctx.needs[$0] }) {
            throw mismatch(ctx, "parameter input #\(i) is not a constant (it depends on the explained input)")
        }
        let fctx = ctx.forwardContext()
        let x: [Float], layout: Layout
        switch ctx.node.qualifiedOp {
        case "LayerNormalization":
            let p = try NNNormalization.LayerSetup(fctx)
            var b = [Float](repeating: 0, count: p.size)
            if let (bs, bv) = try fctx.nnOptionalFloat(2, "B") { b = try NNNormalization.broadcastTo(bs, bv, p.inner, what: "B") }
            let s = p.s
            x = p.x
            layout = Layout(rows: p.rows, size: p.size, eps: p.eps) { _, i in (s[i], b[i]) }
        case "InstanceNormalization":
            let p = try NNNormalization.InstanceSetup(fctx)
            let (c, scale, bias) = (p.c, p.scale, p.bias)
            x = p.x
            layout = Layout(rows: p.rows, size: p.size, eps: p.eps) { row, _ in (scale[row % c], bias[row % c]) }
        default:
            throw mismatch(ctx, "the LN-rule knows LayerNormalization and InstanceNormalization only")
        }
        guard r.shape == y.shape, y.count == x.count else {
            throw mismatch(ctx, "relevance \(r.shape) and output \(y.shape) do not match the input (\(x.count) elements)")
        }
        // Gains a_j = γ_j / σ, and the denominator (y, or y − β with zeroBias).
        var gain = [Float](repeating: 0, count: x.count)
        var den = try y.floats()
        x.withUnsafeBufferPointer { xb in
            guard let xp = xb.baseAddress else { return }
            for row in 0..<layout.rows {
                let invStd = Float(NNNormalization.rowStatistics(xp + row * layout.size, size: layout.size, eps: layout.eps).invStd)
                for i in 0..<layout.size {
                    let (s, b) = layout.param(row, i), k = row * layout.size + i
                    gain[k] = s * invStd
                    if zeroBias { den[k] -= b }
                }
            }
        }
        let q = try stabilizer.divide(r, by: Tensor(unchecked: y.shape, floats: den)).floats()
        var out = [Float](repeating: 0, count: x.count)
        for row in 0..<layout.rows {
            let lo = row * layout.size, hi = lo + layout.size
            var mean: Double = 0
            for k in lo..<hi { mean += Double(gain[k] * q[k]) }
            let m = Float(mean / Double(max(layout.size, 1)))
            for k in lo..<hi { out[k] = x[k] * (gain[k] * q[k] - m) }
        }
        result[0] = Tensor(unchecked: y.shape, floats: out)
        return result
    }
}
