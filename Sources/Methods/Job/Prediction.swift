import Foundation
import Graph

/// One class of a model's prediction: its raw score and its probability.
public struct Prediction: Sendable, Codable, Equatable {
    public let classIndex: Int
    /// The output value (a logit, or the probability itself for a model that ends in Softmax).
    public let score: Float
    /// softmax(output)[class], or the output itself when it is a probability already.
    public let probability: Float

    public init(classIndex: Int, score: Float, probability: Float) {
        self.classIndex = classIndex; self.score = score; self.probability = probability
    }

    /// The `k` best classes of every row of `outputs` [N, K], best first (ties: lower index first).
    /// `isProbability`: the rows are probabilities already (no softmax on top).
    public static func topK(_ outputs: Tensor, k: Int, isProbability: Bool) throws -> [[Prediction]] {
        let rows = try OutputRows(outputs)
        return (0..<rows.count).map { b in
            let r = rows.row(b)
            let p = isProbability ? r : softmax(r)
            let order = r.indices.sorted { r[$0] != r[$1] ? r[$0] > r[$1] : $0 < $1 }
            return order.prefix(max(0, k)).map { Prediction(classIndex: $0, score: r[$0], probability: p[$0]) }
        }
    }

    static func softmax(_ r: [Float]) -> [Float] {
        guard let m = r.max(), m.isFinite else { return r.map { _ in .nan } }
        let e = r.map { Double(exp($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }
}
