import Graph

/// Gradient saliency (Simonyan et al. 2014; Captum `Saliency`): d score / d input, by default its
/// absolute value (Captum's `abs=True`). One forward plus one backward per chunk of rows.
public struct Saliency: InputAttribution {
    public var name: String { "saliency" }
    /// Take |gradient| (Captum's default). false: the signed gradient.
    public var absolute: Bool
    public var mapping: AttributionMapping

    public init(absolute: Bool = true, mapping: AttributionMapping = .captum) {
        self.absolute = absolute; self.mapping = mapping
    }

    public func attribute(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching) throws -> Tensor {
        try GradientRows.map(x, rows: rows, model: model, batching: batching, method: name) { _, g in
            absolute ? abs(g) : g
        }
    }
}

/// Input x gradient (Shrikumar et al. 2016; Captum `InputXGradient`): input ⊙ d score / d input.
public struct InputXGradient: InputAttribution {
    public var name: String { "inputxgrad" }
    public var mapping: AttributionMapping

    public init(mapping: AttributionMapping = .captum) { self.mapping = mapping }

    public func attribute(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching) throws -> Tensor {
        try GradientRows.map(x, rows: rows, model: model, batching: batching, method: name) { v, g in v * g }
    }
}

/// Runs the gradient of every row in chunks of `batching.size` and combines each element of the
/// input with its gradient.
enum GradientRows {
    static func map(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching,
                    method: String, _ combine: (Float, Float) -> Float) throws -> Tensor {
        let (n, row) = try BatchRows.shape(of: x, method: method)
        guard rows.images.count == n else { throw ExplainError("\(method): \(n) input rows but \(rows.images.count) image indices") }
        let xv = try x.floats()
        var out = [Float](repeating: 0, count: x.count)
        for r in BatchRows.chunks(total: n, size: batching.size) {
            let chunk = Tensor(unchecked: BatchRows.shape(rows: r.count, like: x), floats: Array(xv[r.lowerBound * row..<r.upperBound * row]))
            let g = try model.gradient(chunk, rows: rows.slice(r)).gradient.floats()
            guard g.count == chunk.count else { throw ExplainError("\(method): gradient has \(g.count) elements for \(chunk.count) inputs") }
            let base = r.lowerBound * row
            for i in 0..<g.count { out[base + i] = combine(xv[base + i], g[i]) }
            batching.progress?(r.upperBound, n)
        }
        return Tensor(unchecked: x.shape, floats: out)
    }
}
