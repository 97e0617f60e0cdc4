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
    /// Attributions for the rows of `x` [M, ...]: row m is scored with image `images[m]`'s target
    /// (`images.count == M`). Returns a tensor shaped like `x` (RISE: [M, 1, H, W]).
    func attribute(_ x: Tensor, images: [Int], model: AttributionModel, objective: any AttributionObjective) throws -> Tensor
}

extension InputAttribution {
    /// Attributions for a batch whose row b is image b (the usual call).
    public func attribute(_ x: Tensor, model: AttributionModel, objective: any AttributionObjective) throws -> Tensor {
        let (n, _) = try BatchRows.shape(of: x, method: name)
        return try attribute(x, images: Array(0..<n), model: model, objective: objective)
    }

    /// Attributions reduced to maps [N, H, W] in [0, 1] with this method's `mapping`.
    public func map(_ x: Tensor, model: AttributionModel, objective: any AttributionObjective) throws -> Tensor {
        try mapping.apply(try attribute(x, model: model, objective: objective))
    }

    /// The explanation-method entry point (see the protocol's documentation).
    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        let a = try attributions(request, model: model)
        return try mapping.apply(a)
    }

    /// The raw attributions for a request (shaped like the input; RISE: [N, 1, H, W]).
    public func attributions(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        _ = try request.inputSize()
        let am = try AttributionModel(graph: model.graph, registry: model.registry, threads: model.threads,
                                      batchSize: request.batchSize, progress: request.progress)
        let objective = try TargetObjective(request.target, input: request.input, model: am)
        return try attribute(request.input, model: am, objective: objective)
    }

    func checkRows(_ x: Tensor, _ images: [Int]) throws -> (n: Int, row: Int) {
        let s = try BatchRows.shape(of: x, method: name)
        guard images.count == s.n else {
            throw AttributionError(name, "\(s.n) input rows but \(images.count) image indices")
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
            guard t.dtype == .float32 else { throw AttributionError(method, "the baseline must be float32, got \(t.dtype)") }
            if t.shape == x.shape { return try t.floats() }
            guard t.shape == [1] + x.shape.dropFirst() else {
                throw AttributionError(method, "the baseline has shape \(t.shape); expected \(x.shape) or \([1] + x.shape.dropFirst())")
            }
            let one = try t.floats()
            var out = [Float](); out.reserveCapacity(rows * row)
            for _ in 0..<rows { out.append(contentsOf: one) }
            return out
        }
    }
}
