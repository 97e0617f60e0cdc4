import Graph

/// The `Target` of the explanation base (class, contrast, similarity, any scalar function),
/// resolved once per image on the clean input, as an attribution objective: row m is scored with
/// `targets[images[m]]`.
///
/// `probability`: plain class targets (top-1 or a given class) score softmax(output)[class] (with
/// its gradient); every other target keeps its own score, as `ResolvedTarget.scores(probability:)`.
public struct TargetObjective: AttributionObjective {
    public var targets: [ResolvedTarget]
    public var output: String?
    public var probability: Bool

    public init(targets: [ResolvedTarget], output: String? = nil, probability: Bool = false) {
        self.targets = targets; self.output = output; self.probability = probability
    }

    /// Resolves `target` on the model's output for the clean input `x`.
    public init(_ target: Target, input x: Tensor, model: AttributionModel) throws {
        let out = try model.forward(x, value: target.output)
        self.init(targets: try target.resolve(outputs: out), output: target.output)
    }

    public func probabilities() -> any AttributionObjective {
        TargetObjective(targets: targets, output: output, probability: true)
    }

    public func evaluate(_ output: Tensor, images: [Int]) throws -> (scores: [Float], seed: Tensor) {
        guard output.rank >= 1, output.shape[0] == images.count, output.count > 0 else {
            throw AttributionError("target", "an output of \(output.shape) for \(images.count) rows")
        }
        let width = output.count / images.count
        let v = try output.floats()
        var scores = [Float](repeating: 0, count: images.count)
        var seed = [Float](repeating: 0, count: v.count)
        for (m, b) in images.enumerated() {
            guard b >= 0, b < targets.count else {
                throw AttributionError("target", "row \(m) refers to image \(b), but targets are resolved for \(targets.count) images")
            }
            let row = Array(v[m * width..<(m + 1) * width])
            let t = targets[b]
            if probability, t.isPlainClass, let c = t.classIndex {
                guard c >= 0, c < width else { throw AttributionError("target", "class \(c) is out of range 0..<\(width)") }
                let (s, g) = try ClassObjective(classes: [c], softmax: true)
                    .evaluate(Tensor(unchecked: [1, width], floats: row), images: [0])
                scores[m] = s[0]
                let gv = try g.floats()
                for j in 0..<width { seed[m * width + j] = gv[j] }
                continue
            }
            let (s, g) = try t.scoreAndGradient(row)
            guard g.count == width else {
                throw AttributionError("target", "the target '\(t.label)' gave \(g.count) gradient values for \(width) outputs")
            }
            scores[m] = s
            for j in 0..<width { seed[m * width + j] = g[j] }
        }
        return (scores, Tensor(unchecked: output.shape, floats: seed))
    }
}
