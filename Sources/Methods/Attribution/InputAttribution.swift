import Graph

/// An input-space attribution method: attributions shaped like the input, for a batch of rows.
///
/// Implementations: `Saliency` (`saliency`), `InputXGradient` (`inputxgrad`),
/// `IntegratedGradients` (`ig`), `SmoothGrad` (`smoothgrad`, a wrapper around any of these),
/// `Occlusion` (`occlusion`) and `RISE` (`rise`). Each follows Captum 0.9.0 (RISE: eclique/RISE)
/// and documents where it differs.
///
/// Every input attribution is also an `ExplanationMethod`: `explain` resolves the request's target
/// on the clean input, computes the attributions in batches of `request.batchSize` rows and
/// returns the maps [N, H, W] in [0, 1] of `mapping`.
public protocol InputAttribution: ExplanationMethod {
    /// The stable lower-case name (the CLI's `--method`).
    var name: String { get }
    /// How the attributions become a [0, 1] map at the input's height x width (`--raw`).
    var mapping: AttributionMapping { get }
    /// Attributions for the rows of `x` [M, ...]: row m is scored with `rows`' target for image
    /// `rows.images[m]` (`rows.images.count == M`), evaluated `batching.size` rows per pass.
    /// Returns a tensor shaped like `x` (RISE: [M, 1, H, W]).
    func attribute(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching) throws -> Tensor
}

extension InputAttribution {
    /// Attributions for a batch whose row b is image b, with the targets resolved on `x` itself.
    public func attribute(_ x: Tensor, target: Target = .top1, model: ExplainModel, batching: Batching = Batching()) throws -> Tensor {
        try attribute(x, rows: try TargetRows(target, input: x, model: model), model: model, batching: batching)
    }

    /// The explanation-method entry point (see the protocol's documentation).
    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        let a = try attributions(request, model: model)
        return try mapping.apply(a)
    }

    /// The raw attributions for a request (shaped like the input; RISE: [N, 1, H, W]).
    public func attributions(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        _ = try request.inputSize()
        guard request.batchSize >= 1 else { throw ExplainError("\(name): batch size must be at least 1, got \(request.batchSize)") }
        let rows = try TargetRows(request.target, input: request.input, model: model)
        return try attribute(request.input, rows: rows, model: model, batching: request.batching)
    }

    func checkRows(_ x: Tensor, _ rows: TargetRows) throws -> (n: Int, row: Int) {
        let s = try BatchRows.shape(of: x, method: name)
        guard rows.images.count == s.n else {
            throw ExplainError("\(name): \(s.n) input rows but \(rows.images.count) image indices")
        }
        return s
    }
}

/// The reference input of IG and the fill value of occlusion.
public enum AttributionBaseline: Sendable, Equatable {
    /// Every element equal to this value (Captum's default is 0: the mean colour for ImageNet-
    /// normalised inputs, not black).
    case constant(Float)
    /// A tensor shaped like one row [1, ...] (shared by all rows) or like the whole input.
    case tensor(Tensor)

    /// The baseline's values for every row of `x` [M, ...] (row-major, M x row elements).
    func values(for x: Tensor, method: String) throws -> [Float] {
        switch self {
        case .constant(let v):
            return [Float](repeating: v, count: x.count)
        case .tensor(let t):
            let rows = x.shape[0], row = x.count / max(1, rows)
            guard t.dtype == .float32 else { throw ExplainError("\(method): the baseline must be float32, got \(t.dtype)") }
            if t.shape == x.shape { return try t.floats() }
            guard t.shape == [1] + x.shape.dropFirst() else {
                throw ExplainError("\(method): the baseline has shape \(t.shape); expected \(x.shape) or \([1] + x.shape.dropFirst())")
            }
            let one = try t.floats()
            var out = [Float](); out.reserveCapacity(rows * row)
            for _ in 0..<rows { out.append(contentsOf: one) }
            return out
        }
    }
}
