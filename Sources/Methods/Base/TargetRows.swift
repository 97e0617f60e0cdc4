import Graph

/// Resolved targets applied to the rows of a batch: row m is scored with `targets[images[m]]`.
///
/// Perturbation and attribution methods evaluate many rows per image (masked, blended, noisy,
/// interpolated copies); the target is resolved once per image on the clean input, so every copy
/// is scored for its own image's class, as pytorch-grad-cam and Captum do.
///
/// `probability`: plain class targets (top-1 or a given class) score softmax(output)[class] (with
/// its gradient); other targets keep their own score. When the output already holds probabilities
/// (a Softmax output explained with `--score probability`) the value is read as it is.
public struct TargetRows: Sendable {
    public var targets: [ResolvedTarget]
    public var images: [Int]
    /// The value the scores read (nil: the model's explained output).
    public var output: String?
    public var probability: Bool

    public init(targets: [ResolvedTarget], images: [Int]? = nil, output: String? = nil, probability: Bool = false) {
        self.targets = targets; self.images = images ?? Array(targets.indices)
        self.output = output; self.probability = probability
    }

    /// Resolves `target` on the model's output for the clean input `x` (one row per image).
    public init(_ target: Target, input x: Tensor, model: ExplainModel) throws {
        let out = try model.forward(x, output: target.output)
        self.init(targets: try target.resolve(outputs: out), output: target.output)
    }

    /// The same targets for other rows.
    public func with(images: [Int]) -> TargetRows {
        TargetRows(targets: targets, images: images, output: output, probability: probability)
    }
    /// Rows `r` of these rows.
    public func slice(_ r: Range<Int>) -> TargetRows { with(images: Array(images[r])) }
    /// The same targets scored as probabilities.
    public func probabilities() -> TargetRows {
        TargetRows(targets: targets, images: images, output: output, probability: true)
    }

    /// Per-row scores and d score / d output (the seed of a backward pass, shaped as `output`).
    public func evaluate(_ output: Tensor, probabilityOutput: Bool = false) throws -> (scores: [Float], seed: Tensor) {
        guard output.rank >= 1, output.shape[0] == images.count, output.count > 0 else {
            throw ExplainError("target: an output of shape \(output.shape) for \(images.count) rows")
        }
        let width = output.count / images.count
        let v = try output.floats()
        var scores = [Float](repeating: 0, count: images.count)
        var seed = [Float](repeating: 0, count: v.count)
        for (m, b) in images.enumerated() {
            guard b >= 0, b < targets.count else {
                throw ExplainError("target: row \(m) refers to image \(b), but targets are resolved for \(targets.count) images")
            }
            let row = Array(v[m * width..<(m + 1) * width])
            let t = targets[b]
            let (s, g): (Float, [Float])
            if probability, !probabilityOutput, t.isPlainClass, let c = t.classIndex {
                guard c >= 0, c < width else { throw ExplainError("target: class \(c) is out of range 0..<\(width)") }
                (s, g) = OutputRows.softmaxScore(row, at: c)
            } else {
                (s, g) = try t.scoreAndGradient(row)
            }
            guard g.count == width else {
                throw ExplainError("target '\(t.label)' gave \(g.count) gradient values for \(width) outputs")
            }
            scores[m] = s
            for j in 0..<width { seed[m * width + j] = g[j] }
        }
        return (scores, Tensor(unchecked: output.shape, floats: seed))
    }
}

extension TargetRows {
    /// Image b explained for class `classes[b]` (its raw score, or with `probability` its softmax
    /// probability).
    public static func classes(_ classes: [Int], probability: Bool = false, output: String? = nil) -> TargetRows {
        TargetRows(targets: classes.map { ResolvedTarget.logit($0) }, output: output, probability: probability)
    }
}
