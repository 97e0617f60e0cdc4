import Foundation
import Graph
import Methods
import Rules

/// Small graphs with hand-derivable attributions: x [N, C, H, W] -> Flatten -> MatMul W [D, K]
/// (+ Tanh and a second MatMul for the smooth one, + a bias for the constant one).
enum ToyModels {
    /// Deterministic weights w[i, k] = sin(0.7 i + 1.3 k) / 2.
    static func weights(_ d: Int, _ k: Int, scale: Float = 0.5) -> Tensor {
        Tensor(unchecked: [d, k], floats: (0..<(d * k)).map { j in scale * Float(sin(0.7 * Double(j / k) + 1.3 * Double(j % k))) })
    }

    /// score_k = Σ_i W[i, k] x_i (linear in the input).
    static func linear(d: Int, k: Int) throws -> AttributionModel {
        let g = Graph(nodes: [
            Node(name: "flat", opType: "Flatten", inputs: ["x"], outputs: ["f"], attributes: ["axis": .int(1)]),
            Node(name: "mm", opType: "MatMul", inputs: ["f", "w"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)], initializers: ["w": weights(d, k)])
        return try AttributionModel(graph: g, registry: standardRegistry(), threads: 1)
    }

    /// y = tanh(x W1) W2: smooth, for IG's completeness.
    static func smooth(d: Int, hidden: Int, k: Int) throws -> AttributionModel {
        let g = Graph(nodes: [
            Node(name: "flat", opType: "Flatten", inputs: ["x"], outputs: ["f"], attributes: ["axis": .int(1)]),
            Node(name: "mm1", opType: "MatMul", inputs: ["f", "w1"], outputs: ["h"]),
            Node(name: "tanh", opType: "Tanh", inputs: ["h"], outputs: ["t"]),
            Node(name: "mm2", opType: "MatMul", inputs: ["t", "w2"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)],
           initializers: ["w1": weights(d, hidden, scale: 0.3), "w2": weights(hidden, k, scale: 1)])
        return try AttributionModel(graph: g, registry: standardRegistry(), threads: 1)
    }

    /// y = (x W0) + c with W0 = 0: the output ignores the input (logits c for every row).
    static func constant(d: Int, logits c: [Float], batchSize: Int = 64) throws -> AttributionModel {
        let g = Graph(nodes: [
            Node(name: "flat", opType: "Flatten", inputs: ["x"], outputs: ["f"], attributes: ["axis": .int(1)]),
            Node(name: "mm", opType: "MatMul", inputs: ["f", "w0"], outputs: ["z"]),
            Node(name: "add", opType: "Add", inputs: ["z", "c"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)],
           initializers: ["w0": Tensor.zeros([d, c.count]), "c": Tensor(unchecked: [c.count], floats: c)])
        return try AttributionModel(graph: g, registry: standardRegistry(), threads: 1, batchSize: batchSize)
    }

    /// Deterministic input values in about [-2, 2].
    static func input(_ shape: [Int], phase: Double = 0) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(unchecked: shape, floats: (0..<n).map { i in Float(2 * sin(0.37 * Double(i) + phase) * cos(0.11 * Double(i))) })
    }
}

/// Collects progress reports (thread-safe box for the @Sendable callback).
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Int)] = []
    var reports: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return items }
    var callback: AttributionProgress { { [self] d, t in lock.lock(); items.append((d, t)); lock.unlock() } }
}
