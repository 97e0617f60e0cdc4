import Graph

/// What a map explains: one scalar score per image, read from one output value of the model.
///
/// Class scores are raw outputs (logits), as pytorch-grad-cam's `ClassifierOutputTarget`
/// (docs/methods.md, "Targets").
/// A target is *resolved* once per image on the unperturbed input (`resolve(outputs:)`): the
/// top-1 class is fixed there, so perturbation methods score every masked input against the same
/// class, as pytorch-grad-cam does.
public struct Target: Sendable {
    public enum Kind: Sendable {
        /// Each image's top prediction (the default).
        case top1
        /// A given class index.
        case classIndex(Int)
        /// Class A against class B: z_A − z_B.
        case contrast(Int, Int)
        /// Class A (nil: each image's top-1) against all others: z_A − mean_{j≠A} z_j.
        case contrastAll(Int?)
        /// Similarity of the image's output (an embedding, flattened per image) to a reference vector.
        case similarity(reference: [Float], metric: SimilarityMetric)
        /// Any scalar function of the output value, with its gradient.
        case function(ScalarFunction)
    }

    public var kind: Kind
    /// The value the score reads; nil: the model's first graph output.
    public var output: String?

    public init(_ kind: Kind, output: String? = nil) { self.kind = kind; self.output = output }

    public static var top1: Target { Target(.top1) }
    public static func classIndex(_ c: Int) -> Target { Target(.classIndex(c)) }
    public static func contrast(_ a: Int, _ b: Int) -> Target { Target(.contrast(a, b)) }
    public static func contrastAll(_ a: Int? = nil) -> Target { Target(.contrastAll(a)) }
    public static func similarity(to reference: [Float], metric: SimilarityMetric = .cosine) -> Target {
        Target(.similarity(reference: reference, metric: metric))
    }
    public static func function(_ f: ScalarFunction) -> Target { Target(.function(f)) }

    /// The per-image score functions, fixed from the unperturbed outputs `[N, ...]`.
    public func resolve(outputs: Tensor) throws -> [ResolvedTarget] {
        let rows = try OutputRows(outputs)
        return try (0..<rows.count).map { b in
            var t = try resolve(row: rows.row(b), image: b)
            t.width = rows.width
            return t
        }
    }

    private func resolve(row: [Float], image: Int) throws -> ResolvedTarget {
        let k = row.count
        func checked(_ c: Int) throws -> Int {
            guard c >= 0 && c < k else { throw ExplainError("target class \(c) is out of range 0..<\(k)") }
            return c
        }
        switch kind {
        case .top1:
            return ResolvedTarget.logit(try checked(OutputRows.argmax(row)), count: k)
        case .classIndex(let c):
            return ResolvedTarget.logit(try checked(c), count: k)
        case .contrast(let a, let b):
            let a = try checked(a), b = try checked(b)
            guard a != b else { throw ExplainError("a contrast needs two different classes, got \(a) twice") }
            return ResolvedTarget(label: "class \(a) vs \(b)", classIndex: a) { r in
                var g = [Float](repeating: 0, count: r.count); g[a] = 1; g[b] = -1
                return (r[a] - r[b], g)
            }
        case .contrastAll(let a):
            let a = try checked(a ?? OutputRows.argmax(row))
            guard k >= 2 else { throw ExplainError("a contrast against all others needs at least 2 classes") }
            let w = Float(1) / Float(k - 1)
            return ResolvedTarget(label: "class \(a) vs all", classIndex: a) { r in
                var g = [Float](repeating: -w, count: r.count); g[a] = 1
                var rest: Double = 0
                for (j, v) in r.enumerated() where j != a { rest += Double(v) }
                return (r[a] - Float(rest) * w, g)
            }
        case .similarity(let reference, let metric):
            guard reference.count == k else {
                throw ExplainError("the reference embedding has \(reference.count) values, the output has \(k) per image")
            }
            return ResolvedTarget(label: "\(metric.rawValue) similarity", classIndex: nil) { r in
                metric.scoreAndGradient(r, reference)
            }
        case .function(let f):
            return ResolvedTarget(label: f.name, classIndex: nil) { r in
                let (s, g) = try f.evaluate(r, image)
                guard g.count == r.count else {
                    throw ExplainError("target function '\(f.name)' returned \(g.count) gradient values for \(r.count) outputs")
                }
                return (s, g)
            }
        }
    }
}

/// A user-defined scalar score of one image's output values (flattened), with d score / d values.
public struct ScalarFunction: Sendable {
    public var name: String
    public var evaluate: @Sendable (_ values: [Float], _ image: Int) throws -> (score: Float, gradient: [Float])

    public init(name: String, evaluate: @escaping @Sendable (_ values: [Float], _ image: Int) throws -> (score: Float, gradient: [Float])) {
        self.name = name; self.evaluate = evaluate
    }
}
