import Graph

/// The class a map explains, per image: a given index, or the top prediction (the default, as in
/// pytorch-grad-cam's `ClassifierOutputTarget` on argmax). The score is the raw logit.
public struct ClassTarget: Sendable, Equatable {
    /// nil: each image's top-1 class.
    public var classIndex: Int?

    public init(_ classIndex: Int? = nil) { self.classIndex = classIndex }

    /// The same target as a general `Target`.
    public var target: Target { classIndex.map { Target.classIndex($0) } ?? .top1 }

    /// The class per image for logits [N, classes].
    public func classes(for logits: Tensor) throws -> [Int] {
        guard logits.rank == 2, logits.shape[1] > 0 else {
            throw GraphError.invalidShape("class targets need logits of shape [N, classes], got \(logits.shape)")
        }
        let n = logits.shape[0], k = logits.shape[1]
        if let c = classIndex {
            guard c >= 0 && c < k else { throw GraphError.invalidShape("target class \(c) is out of range 0..<\(k)") }
            return Array(repeating: c, count: n)
        }
        let v = try logits.floats()
        return (0..<n).map { b in
            var best = 0
            for j in 1..<k where v[b * k + j] > v[b * k + best] { best = j }
            return best
        }
    }

    /// One-hot seeds [N, classes] selecting each image's class (d score / d logits).
    public func seed(for logits: Tensor) throws -> (seed: Tensor, classes: [Int]) {
        let cls = try classes(for: logits)
        let k = logits.shape[1]
        var s = [Float](repeating: 0, count: logits.count)
        for (b, c) in cls.enumerated() { s[b * k + c] = 1 }
        return (Tensor(unchecked: logits.shape, floats: s), cls)
    }
}
