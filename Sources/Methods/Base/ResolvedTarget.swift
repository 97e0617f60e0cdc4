import Foundation
import Graph

/// One image's score function: score and d score / d output values for that image's output row.
public struct ResolvedTarget: Sendable {
    /// For messages and metadata: "class 243", "class 3 vs 5", "cosine similarity".
    public let label: String
    /// The class explained, when the target is a class or contrast.
    public let classIndex: Int?
    /// True when the score is one class's raw output (top-1 or a given class), so methods that
    /// score with probabilities (official Score-CAM, Group-CAM) may use softmax(output)[class].
    public let isPlainClass: Bool
    private let evaluate: @Sendable ([Float]) throws -> (Float, [Float])

    public init(label: String, classIndex: Int?, isPlainClass: Bool = false,
                evaluate: @escaping @Sendable ([Float]) throws -> (Float, [Float])) {
        self.label = label; self.classIndex = classIndex; self.isPlainClass = isPlainClass; self.evaluate = evaluate
    }

    /// The raw output of class `c` (an error when the output has no class `c`).
    static func logit(_ c: Int, count: Int? = nil) -> ResolvedTarget {
        ResolvedTarget(label: "class \(c)", classIndex: c, isPlainClass: true) { r in
            guard c >= 0, c < r.count else { throw ExplainError("target class \(c) is out of range 0..<\(r.count)") }
            var g = [Float](repeating: 0, count: r.count); g[c] = 1
            return (r[c], g)
        }
    }

    /// The number of output values per image the target was resolved on (nil: any).
    public var width: Int? = nil

    public func scoreAndGradient(_ row: [Float]) throws -> (score: Float, gradient: [Float]) {
        if let width, row.count != width {
            throw ExplainError("target '\(label)' was resolved on \(width) outputs per image, got \(row.count)")
        }
        let (s, g) = try evaluate(row)
        return (s, g)
    }
    public func score(_ row: [Float]) throws -> Float { try scoreAndGradient(row).score }

    /// Scores of every row of `outputs` (e.g. a batch of masked versions of this target's image).
    /// `probability`: for a plain class target, softmax(row)[class] instead of the raw output
    /// (other targets keep their own score).
    /// `probabilityOutput`: the rows are probabilities already (read as they are).
    public func scores(_ outputs: Tensor, probability: Bool = false, probabilityOutput: Bool = false) throws -> [Float] {
        let rows = try OutputRows(outputs)
        return try (0..<rows.count).map { b in
            let r = rows.row(b)
            if probability, !probabilityOutput, isPlainClass, let c = classIndex, c < r.count { return OutputRows.softmax(r, at: c) }
            return try score(r)
        }
    }
}

extension Array where Element == ResolvedTarget {
    /// Per-image scores and the seed d(Σ_b score_b) / d outputs for a batch whose image b is
    /// explained by target b.
    public func seed(for outputs: Tensor) throws -> (scores: [Float], seed: Tensor) {
        let rows = try OutputRows(outputs)
        guard rows.count == count else {
            throw ExplainError("\(count) targets for an output batch of \(rows.count)")
        }
        var seed = [Float](repeating: 0, count: outputs.count)
        var scores: [Float] = []
        for b in 0..<count {
            let (s, g) = try self[b].scoreAndGradient(rows.row(b))
            scores.append(s)
            for j in 0..<rows.width { seed[b * rows.width + j] = g[j] }
        }
        return (scores, Tensor(unchecked: outputs.shape, floats: seed))
    }
}

/// An output value `[N, ...]` seen as N flattened rows.
struct OutputRows {
    let values: [Float]
    let count: Int
    let width: Int

    init(_ t: Tensor) throws {
        guard t.rank >= 1, t.shape[0] > 0 else { throw ExplainError("target output must be [N, ...], got \(t.shape)") }
        values = try t.floats()
        count = t.shape[0]
        width = t.count / count
        guard width > 0 else { throw ExplainError("target output \(t.shape) has no values per image") }
    }

    func row(_ b: Int) -> [Float] { Array(values[(b * width)..<((b + 1) * width)]) }

    /// softmax(r)[c], computed stably in double precision.
    static func softmax(_ r: [Float], at c: Int) -> Float { softmaxScore(r, at: c).score }

    /// p_c = softmax(r)[c] and d p_c / d r_j = p_c (δ_cj − p_j), in double precision.
    static func softmaxScore(_ r: [Float], at c: Int) -> (score: Float, gradient: [Float]) {
        let m = Double(r.max() ?? 0)
        let e = r.map { exp(Double($0) - m) }
        let z = e.reduce(0, +)
        let pc = e[c] / z
        var g = e.map { Float(-pc * $0 / z) }
        g[c] += Float(pc)
        return (Float(pc), g)
    }

    /// First index of the largest value (numpy argmax; NaN never wins).
    static func argmax(_ r: [Float]) -> Int {
        var best = 0
        for j in r.indices.dropFirst() where r[j] > r[best] || r[best].isNaN { best = j }
        return best
    }
}
