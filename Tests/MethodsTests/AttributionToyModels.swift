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
    static func linear(d: Int, k: Int) throws -> AttributionRig {
        let g = Graph(nodes: [
            Node(name: "flat", opType: "Flatten", inputs: ["x"], outputs: ["f"], attributes: ["axis": .int(1)]),
            Node(name: "mm", opType: "MatMul", inputs: ["f", "w"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)], initializers: ["w": weights(d, k)])
        return try AttributionRig(graph: g, registry: standardRegistry(), threads: 1)
    }

    /// y = tanh(x W1) W2: smooth, for IG's completeness.
    static func smooth(d: Int, hidden: Int, k: Int) throws -> AttributionRig {
        let g = Graph(nodes: [
            Node(name: "flat", opType: "Flatten", inputs: ["x"], outputs: ["f"], attributes: ["axis": .int(1)]),
            Node(name: "mm1", opType: "MatMul", inputs: ["f", "w1"], outputs: ["h"]),
            Node(name: "tanh", opType: "Tanh", inputs: ["h"], outputs: ["t"]),
            Node(name: "mm2", opType: "MatMul", inputs: ["t", "w2"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)],
           initializers: ["w1": weights(d, hidden, scale: 0.3), "w2": weights(hidden, k, scale: 1)])
        return try AttributionRig(graph: g, registry: standardRegistry(), threads: 1)
    }

    /// y = (x W0) + c with W0 = 0: the output ignores the input (logits c for every row).
    static func constant(d: Int, logits c: [Float], batchSize: Int = 64) throws -> AttributionRig {
        let g = Graph(nodes: [
            Node(name: "flat", opType: "Flatten", inputs: ["x"], outputs: ["f"], attributes: ["axis": .int(1)]),
            Node(name: "mm", opType: "MatMul", inputs: ["f", "w0"], outputs: ["z"]),
            Node(name: "add", opType: "Add", inputs: ["z", "c"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)],
           initializers: ["w0": Tensor.zeros([d, c.count]), "c": Tensor(unchecked: [c.count], floats: c)])
        return try AttributionRig(graph: g, registry: standardRegistry(), threads: 1, batchSize: batchSize)
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
    var callback: ProgressHandler { { [self] d, t in lock.lock(); items.append((d, t)); lock.unlock() } }
}

/// An `ExplainModel` with the batch size and progress handler the attribution tests vary, and the
/// call shapes they use (`attribute(x, model:objective:)`).
struct AttributionRig {
    let model: ExplainModel
    var batchSize: Int
    var progress: ProgressHandler?

    init(graph: Graph, registry: OpRegistry, threads: Int = 2, batchSize: Int = 16, progress: ProgressHandler? = nil) throws {
        model = try ExplainModel(graph: graph, registry: registry, threads: threads)
        self.batchSize = batchSize; self.progress = progress
    }
    var batching: Batching { Batching(size: batchSize, progress: progress) }

    func forward(_ x: Tensor) throws -> Tensor { try model.forward(x) }
    func scores(_ x: Tensor, images: [Int], objective: TargetRows) throws -> [Float] {
        try model.scores(x, rows: objective.with(images: images))
    }
    func gradient(_ x: Tensor, images: [Int], objective: TargetRows) throws -> (gradient: Tensor, scores: [Float]) {
        try model.gradient(x, rows: objective.with(images: images))
    }
}

extension InputAttribution {
    func attribute(_ x: Tensor, model: AttributionRig, objective: TargetRows) throws -> Tensor {
        try attribute(x, rows: objective, model: model.model, batching: model.batching)
    }
    func attribute(_ x: Tensor, images: [Int], model: AttributionRig, objective: TargetRows) throws -> Tensor {
        try attribute(x, rows: objective.with(images: images), model: model.model, batching: model.batching)
    }
}
