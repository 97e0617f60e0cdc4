import Graph

/// Progress of a method that evaluates many rows: `done` of `total` rows evaluated so far.
public typealias AttributionProgress = @Sendable (_ done: Int, _ total: Int) -> Void

/// A graph prepared for input-space attributions: one forward, or one forward plus one backward,
/// on a batch of rows. Methods split their rows into chunks of `batchSize` (the CLI's
/// `--batch-size`) and report progress after each chunk.
public struct AttributionModel: Sendable {
    public let graph: Graph
    public let registry: OpRegistry
    /// The graph's single feed input (the image tensor).
    public let inputName: String
    /// Rows per forward (and backward) pass.
    public var batchSize: Int
    /// Called after each evaluated chunk by the perturbation methods and by IG / SmoothGrad.
    public var progress: AttributionProgress?
    private let executor: Executor
    private let walker: BackwardWalker

    /// Fails when the graph has no single feed input or no output.
    public init(graph: Graph, registry: OpRegistry, threads: Int = Executor.defaultThreads,
                batchSize: Int = 16, progress: AttributionProgress? = nil) throws {
        guard graph.feedInputs.count == 1, let input = graph.feedInputs.first?.name else {
            throw AttributionError("attribution", "input attributions need a model with exactly one input, this one has \(graph.feedInputs.map(\.name))")
        }
        guard !graph.outputs.isEmpty else { throw AttributionError("attribution", "the model has no output") }
        guard batchSize >= 1 else { throw AttributionError("attribution", "batch size must be at least 1, got \(batchSize)") }
        self.graph = graph; self.registry = registry; self.inputName = input
        self.batchSize = batchSize; self.progress = progress
        self.executor = try Executor(graph: graph, registry: registry, threads: threads)
        self.walker = BackwardWalker(graph: graph, registry: registry, threads: threads)
    }

    /// The value an objective reads (its own, or the graph's first output).
    public func outputName(for objective: any AttributionObjective) throws -> String {
        if let o = objective.output { return o }
        guard let o = graph.outputs.first?.name else { throw AttributionError("attribution", "the model has no output") }
        return o
    }

    /// The value `name` for a batch of inputs (one forward pass, no chunking).
    public func forward(_ x: Tensor, value name: String? = nil) throws -> Tensor {
        guard let name = name ?? graph.outputs.first?.name else { throw AttributionError("attribution", "the model has no output") }
        let r = try executor.run([inputName: x], fetch: [name])
        guard let v = r[name] else { throw GraphError.missingValue(name) }
        return v
    }

    /// The objective's score for every row of `x` (one forward pass, no chunking).
    public func scores(_ x: Tensor, images: [Int], objective: any AttributionObjective) throws -> [Float] {
        let out = try forward(x, value: try outputName(for: objective))
        return try objective.evaluate(out, images: images).scores
    }

    /// d score / d input for every row of `x`, and the scores (one forward plus one backward pass).
    public func gradient(_ x: Tensor, images: [Int], objective: any AttributionObjective) throws -> (gradient: Tensor, scores: [Float]) {
        let out = try outputName(for: objective)
        let nodes = walker.nodesBetween(from: [inputName], to: [out])
        if nodes.isEmpty {  // the output ignores the input: the gradient is zero
            let scores = try objective.evaluate(try forward(x, value: out), images: images).scores
            return (Tensor.zeros(x.shape), scores)
        }
        let fetch = Set(walker.forwardValuesNeeded(nodes: nodes) + [out]).filter { graph.initializers[$0] == nil && $0 != inputName }
        var values = try executor.run([inputName: x], fetch: Array(fetch))
        values[inputName] = x
        guard let y = values[out] else { throw GraphError.missingValue(out) }
        let (scores, seed) = try objective.evaluate(y, images: images)
        let grads = try walker.walk(values: values, seeds: [out: seed], read: [inputName]) { _, def, ctx in
            guard let vjp = def.vjp else { throw GraphError.kernel("op has no gradient (VJP) registered") }
            return try vjp(ctx)
        }
        guard let g = grads[inputName] else { throw GraphError.missingValue(inputName) }
        return (g, scores)
    }
}
