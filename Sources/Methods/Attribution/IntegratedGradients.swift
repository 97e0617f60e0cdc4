import Graph

/// Integrated Gradients (Sundararajan et al. 2017) as Captum's `IntegratedGradients`:
/// IG(x) = (x − x') ⊙ Σ_k w_k ∇score(x' + α_k (x − x')), with Captum's defaults: baseline 0,
/// 50 steps, Gauss–Legendre points (`IntegrationRule`). The (step, row) evaluations run in chunks of
/// `batching.size` rows (Captum's `internal_batch_size`), with progress after each chunk.
/// Completeness: Σ IG ≈ score(x) − score(x').
public struct IntegratedGradients: InputAttribution {
    public var name: String { "ig" }
    public var steps: Int
    public var rule: IntegrationRule
    public var baseline: AttributionBaseline
    public var mapping: AttributionMapping

    public init(steps: Int = 50, rule: IntegrationRule = .gaussLegendre, baseline: AttributionBaseline = .constant(0),
                mapping: AttributionMapping = .captum) {
        self.steps = steps; self.rule = rule; self.baseline = baseline; self.mapping = mapping
    }

    public func attribute(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching) throws -> Tensor {
        let (n, row) = try checkRows(x, rows)
        let (alphas, weights) = try rule.points(steps)
        let xv = try x.floats()
        let bv = try baseline.values(for: x, method: name)
        var acc = [Double](repeating: 0, count: x.count)
        // Evaluation r is step r / n of row r % n (Captum's order: all rows at α_0, then α_1, ...).
        let total = steps * n
        for r in BatchRows.chunks(total: total, size: batching.size) {
            var inp = [Float](repeating: 0, count: r.count * row)
            var imgs: [Int] = []
            for (j, e) in r.enumerated() {
                let k = e / n, m = e % n
                let a = Float(alphas[k])
                imgs.append(rows.images[m])
                for i in 0..<row { inp[j * row + i] = bv[m * row + i] + a * (xv[m * row + i] - bv[m * row + i]) }
            }
            let g = try model.gradient(Tensor(unchecked: BatchRows.shape(rows: r.count, like: x), floats: inp),
                                       rows: rows.with(images: imgs)).gradient.floats()
            guard g.count == inp.count else { throw ExplainError("\(name): gradient has \(g.count) elements for \(inp.count) inputs") }
            for (j, e) in r.enumerated() {
                let k = e / n, m = e % n
                let w = weights[k]
                for i in 0..<row { acc[m * row + i] += w * Double(g[j * row + i]) }
            }
            batching.progress?(r.upperBound, total)
        }
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<out.count { out[i] = Float(acc[i]) * (xv[i] - bv[i]) }
        return Tensor(unchecked: x.shape, floats: out)
    }
}
