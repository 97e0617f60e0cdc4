import Graph

/// SmoothGrad around any explanation method (a CAM, CF-CAM, an LRP-based map, ...): the method's
/// maps averaged over `samples` noisy copies of the input (Smilkov et al. 2017; the noise tunnel of
/// `SmoothGrad.run`, so noise, seeding and Captum's `stdevs` convention are the same).
///
/// Each image is explained for one class across all its noisy copies: a `top1` target is resolved
/// on the clean image first (otherwise the noise could change which class every copy explains).
/// Maps of methods that return [0, 1] maps are averaged and min-maxed again (δ = 1e-7); the
/// signed relevance of `lrp` / `clrp` / `sglrp` and the raw `gradient` are averaged only
/// (`renormalise: false`, what `MethodRegistry.Entry.smoothed` chooses from the entry's output).
public struct SmoothedMethod: ExplanationMethod {
    public var base: any ExplanationMethod
    public var samples: Int
    public var noise: SmoothGrad.Noise
    public var seed: UInt64
    /// Min-max the averaged map again (for [0, 1] maps).
    public var renormalise: Bool

    public init(base: any ExplanationMethod, samples: Int = 5, noise: SmoothGrad.Noise = .absolute(1), seed: UInt64 = 0,
                renormalise: Bool = true) {
        self.base = base; self.samples = samples; self.noise = noise; self.seed = seed; self.renormalise = renormalise
    }

    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        let (n, _, _) = try request.inputSize()
        var maps: [Float] = []
        var shape: [Int] = []
        for b in 0..<n {
            let image = try PerturbationBatches.image(request.input, b)
            let x = try Tensor(shape: [1] + Array(request.input.shape.dropFirst()), floats: image)
            var target = request.target
            if case .top1 = target.kind {
                let z = try model.forward(x, output: target.output).floats()
                guard let best = z.indices.max(by: { z[$0] < z[$1] }) else { throw ExplainError("the model produced no scores") }
                target = Target(.classIndex(best), output: target.output)
            }
            let fixed = target
            let averaged = try SmoothGrad.run(x, images: [0], samples: samples, noise: noise, seed: seed &+ UInt64(b)) { rows, _ in
                var r = request
                r.input = rows; r.target = fixed
                return try base.explain(r, model: model)
            }
            let normalised = renormalise ? try MapBatch(averaged).minmax().tensor : averaged
            shape = Array(normalised.shape.dropFirst())
            maps += try normalised.floats()
        }
        return try Tensor(shape: [n] + shape, floats: maps)
    }
}

extension MethodRegistry.Entry {
    /// This entry's method wrapped in SmoothGrad (`samples` noisy copies, σ in input units).
    public func smoothed(_ parameters: MethodParameters = MethodParameters(), samples: Int, stdev: Float) throws -> any ExplanationMethod {
        guard samples >= 1, stdev >= 0, stdev.isFinite else {
            throw ExplainError("SmoothGrad around \(name) needs samples >= 1 and a finite stdev >= 0, got \(samples) and \(stdev)")
        }
        return SmoothedMethod(base: try method(parameters), samples: samples, noise: .absolute(stdev), renormalise: output == .map)
    }
}
