import Foundation
import Graph

/// The scalar an input-space attribution explains, per row of a batch.
///
/// Attribution methods evaluate many rows per image (noisy copies, integration steps, occluded or
/// masked copies); `images[m]` names the image whose target applies to row `m`. The target is
/// resolved once on the clean input (as Captum's fixed `target=`), so a perturbed copy is always
/// scored for its own image's class.
public protocol AttributionObjective: Sendable {
    /// The model value the score is read from (nil: the graph's first output).
    var output: String? { get }
    /// Per-row scores and d score / d output (the seed of the backward pass, shaped as `output`).
    func evaluate(_ output: Tensor, images: [Int]) throws -> (scores: [Float], seed: Tensor)
    /// The objective methods use when they score probabilities (RISE): by default the softmax of
    /// the output over its last axis (`SoftmaxObjective`).
    func probabilities() -> any AttributionObjective
}

extension AttributionObjective {
    public func probabilities() -> any AttributionObjective { SoftmaxObjective(self) }
}

/// The class score of each image: the raw logit (Captum's default: the model's output at `target`),
/// or with `softmax` the class probability (the RISE notebooks wrap the model in a Softmax).
public struct ClassObjective: AttributionObjective {
    /// The class per image (index into the last axis of the output).
    public var classes: [Int]
    /// Explain softmax(output)[class] instead of output[class].
    public var softmax: Bool
    public var output: String?

    public init(classes: [Int], softmax: Bool = false, output: String? = nil) {
        self.classes = classes; self.softmax = softmax; self.output = output
    }

    /// Resolves a `ClassTarget` (a fixed class, or each image's top-1) on the clean logits [N, K].
    public init(_ target: ClassTarget, logits: Tensor, softmax: Bool = false, output: String? = nil) throws {
        self.init(classes: try target.classes(for: logits), softmax: softmax, output: output)
    }

    /// The same classes scored as probabilities.
    public func probabilities() -> any AttributionObjective {
        ClassObjective(classes: classes, softmax: true, output: output)
    }

    public func evaluate(_ output: Tensor, images: [Int]) throws -> (scores: [Float], seed: Tensor) {
        guard output.rank == 2, output.shape[0] == images.count, output.shape[1] > 0 else {
            throw AttributionError("target", "class scores need an output of shape [\(images.count), classes], got \(output.shape)")
        }
        let k = output.shape[1]
        let z = try output.floats()
        var scores = [Float](repeating: 0, count: images.count)
        var seed = [Float](repeating: 0, count: z.count)
        for (m, b) in images.enumerated() {
            guard b >= 0, b < classes.count else {
                throw AttributionError("target", "row \(m) refers to image \(b), but classes are given for \(classes.count) images")
            }
            let c = classes[b]
            guard c >= 0, c < k else { throw AttributionError("target", "class \(c) is out of range 0..<\(k)") }
            let row = m * k
            if softmax {
                var mx = -Float.infinity
                for j in 0..<k { mx = max(mx, z[row + j]) }
                var sum: Float = 0
                for j in 0..<k { sum += expf(z[row + j] - mx) }
                let p = expf(z[row + c] - mx) / sum
                scores[m] = p
                // d p_c / d z_j = p_c (delta_cj - p_j)
                for j in 0..<k { seed[row + j] = -p * expf(z[row + j] - mx) / sum }
                seed[row + c] += p
            } else {
                scores[m] = z[row + c]
                seed[row + c] = 1
            }
        }
        return (scores, Tensor(unchecked: output.shape, floats: seed))
    }
}

/// Another objective evaluated on softmax(output) over the last axis: scores of probabilities, and
/// the seed mapped back through the softmax (d/dz = p ⊙ (s − ⟨s, p⟩)). RISE uses it to score class
/// probabilities as the RISE notebooks do.
public struct SoftmaxObjective: AttributionObjective {
    public var base: any AttributionObjective
    public var output: String? { base.output }

    public init(_ base: any AttributionObjective) { self.base = base }

    public func evaluate(_ output: Tensor, images: [Int]) throws -> (scores: [Float], seed: Tensor) {
        guard output.rank >= 1, let k = output.shape.last, k > 0 else {
            throw AttributionError("target", "softmax needs an output with a non-empty last axis, got \(output.shape)")
        }
        let z = try output.floats()
        var p = [Float](repeating: 0, count: z.count)
        for r in 0..<(z.count / k) {
            var mx = -Float.infinity
            for j in 0..<k { mx = max(mx, z[r * k + j]) }
            var sum: Float = 0
            for j in 0..<k { let e = expf(z[r * k + j] - mx); p[r * k + j] = e; sum += e }
            for j in 0..<k { p[r * k + j] /= sum }
        }
        let (scores, s) = try base.evaluate(Tensor(unchecked: output.shape, floats: p), images: images)
        let sv = try s.floats()
        guard sv.count == z.count else { throw AttributionError("target", "the objective's seed has \(sv.count) elements for an output of \(z.count)") }
        var seed = [Float](repeating: 0, count: z.count)
        for r in 0..<(z.count / k) {
            var dot: Float = 0
            for j in 0..<k { dot += sv[r * k + j] * p[r * k + j] }
            for j in 0..<k { seed[r * k + j] = p[r * k + j] * (sv[r * k + j] - dot) }
        }
        return (scores, Tensor(unchecked: output.shape, floats: seed))
    }
}
