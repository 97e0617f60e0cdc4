import Foundation
import Graph

/// Shared machinery of perturbation methods: build perturbed batches, run them through the model
/// `batchSize` at a time, score them, and report progress.
struct PerturbationBatches {
    let model: ExplainModel
    let output: String
    let batchSize: Int
    let progress: ProgressHandler?
    let total: Int
    private(set) var done = 0

    init(model: ExplainModel, request: ExplainRequest, total: Int) throws {
        guard request.batchSize > 0 else { throw ExplainError("batch size must be positive, got \(request.batchSize)") }
        self.model = model
        self.output = model.outputName(for: request.target)
        self.batchSize = request.batchSize
        self.progress = request.progress
        self.total = total
    }

    /// Scores of `count` perturbed inputs for one image's target: `make(range)` builds the feeds of
    /// items `range` (the input, or an intermediate value to start from).
    mutating func scores(count: Int, target: ResolvedTarget, probability: Bool = false,
                         make: (Range<Int>) throws -> [String: Tensor]) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(count)
        var start = 0
        while start < count {
            let range = start..<min(count, start + batchSize)
            let feeds = try make(range)
            guard let y = try model.run(feeds, fetch: [output])[output] else { throw GraphError.missingValue(output) }
            let s = try target.scores(y, probability: probability, probabilityOutput: model.isProbability(output))
            guard s.count == range.count else {
                throw ExplainError("a batch of \(range.count) perturbed inputs gave \(s.count) outputs")
            }
            out += s
            done += range.count
            progress?(done, total)
            start = range.upperBound
        }
        return out
    }

    /// Image `b` of `input` [N, C, H, W] as a flat array.
    static func image(_ input: Tensor, _ b: Int) throws -> [Float] {
        let per = input.count / max(input.shape[0], 1)
        return Array(try input.floats()[(b * per)..<((b + 1) * per)])
    }

    /// Whether running the graph from `value` to `output` still needs the graph input (a branch
    /// that bypasses `value`).
    static func needsInput(model: ExplainModel, from value: String, output: String) -> Bool {
        let nodes = model.graph.nodesNeeded(for: [output], given: [value])
        return nodes.contains { model.graph.nodes[$0].inputs.contains(model.inputName) }
    }

    /// `times` copies of a flat item of shape `shape` stacked into [times] + shape.
    static func repeated(_ item: [Float], shape: [Int], times: Int) -> Tensor {
        var v: [Float] = []
        v.reserveCapacity(item.count * times)
        for _ in 0..<times { v += item }
        return Tensor(unchecked: [times] + shape, floats: v)
    }
}

/// Softmax over a vector (Score-CAM's channel softmax), in double precision.
func softmax(_ x: [Float]) -> [Float] {
    guard let m = x.max() else { return [] }
    let e = x.map { exp(Double($0 - m)) }
    let z = e.reduce(0, +)
    return e.map { Float($0 / z) }
}
