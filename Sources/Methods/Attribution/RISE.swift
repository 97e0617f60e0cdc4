import Graph

/// RISE (Petsiuk et al. 2018; eclique/RISE `explanations.py`): S = Σ_i f(x ⊙ M_i) · M_i / (N · p1)
/// over N random masks (`RISEMasks`) multiplying the (normalised) input, the same masks for every
/// image. Defaults (docs/methods.md, "rise"): N = 4000, s = 7, p1 = 0.5, a fixed seed. f is the objective's
/// `probabilities()` (for a class target its softmax probability: the RISE notebooks wrap the model
/// in a Softmax; other targets keep their own score); `probability: false` uses the raw score
/// (Group-CAM's `cam/rise.py` uses logits). The masked copies are evaluated in
/// chunks of `batching.size` rows with progress after each chunk. Returns [M, 1, H, W].
public struct RISE: InputAttribution {
    public var name: String { "rise" }
    public var masks: Int
    public var cells: Int
    public var p1: Double
    public var seed: UInt64
    public var probability: Bool
    public var mapping: AttributionMapping

    public init(masks: Int = 4000, cells: Int = 7, p1: Double = 0.5, seed: UInt64 = 0, probability: Bool = true,
                mapping: AttributionMapping = .minmax) {
        self.masks = masks; self.cells = cells; self.p1 = p1; self.seed = seed
        self.probability = probability; self.mapping = mapping
    }

    public func attribute(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching) throws -> Tensor {
        _ = try checkRows(x, rows)
        let (n, c, h, w) = try BatchRows.image(of: x, method: name)
        let set = try RISEMasks(count: masks, cells: cells, p1: p1, height: h, width: w, seed: seed)
        let f = probability ? rows.probabilities() : rows
        let hw = h * w, row = c * hw
        let xv = try x.floats()
        var acc = [Double](repeating: 0, count: n * hw)
        let total = masks * n
        // Evaluation e is mask e / n on row e % n.
        for r in BatchRows.chunks(total: total, size: batching.size) {
            var cache: [Int: [Float]] = [:]
            var inp = [Float](repeating: 0, count: r.count * row)
            var imgs: [Int] = []
            for (j, e) in r.enumerated() {
                let i = e / n, m = e % n
                imgs.append(rows.images[m])
                if cache[i] == nil { cache[i] = set.mask(i) }
                guard let mk = cache[i] else { continue }
                for k in 0..<c { for p in 0..<hw { inp[j * row + k * hw + p] = xv[m * row + k * hw + p] * mk[p] } }
            }
            let s = try model.scores(Tensor(unchecked: BatchRows.shape(rows: r.count, like: x), floats: inp), rows: f.with(images: imgs))
            for (j, e) in r.enumerated() {
                let i = e / n, m = e % n
                guard let mk = cache[i] else { continue }
                let v = Double(s[j])
                for p in 0..<hw { acc[m * hw + p] += v * Double(mk[p]) }
            }
            batching.progress?(r.upperBound, total)
        }
        let scale = 1 / (Double(masks) * p1)
        return Tensor(unchecked: [n, 1, h, w], floats: acc.map { Float($0 * scale) })
    }
}
