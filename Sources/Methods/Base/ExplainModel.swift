import Graph

/// A model ready to be explained: the graph, its op registry, the thread count, and the names of
/// the input it is fed through and the output targets read by default.
public struct ExplainModel: Sendable {
    public let graph: Graph
    public let registry: OpRegistry
    public let threads: Int
    /// The single graph input images are fed through.
    public let inputName: String
    /// The value targets read unless `Target.output` names another: the first graph output.
    public let outputName: String
    let executor: Executor

    public init(graph: Graph, registry: OpRegistry, threads: Int = Executor.defaultThreads) throws {
        guard graph.feedInputs.count == 1, let input = graph.feedInputs.first?.name else {
            throw ExplainError("explanations need a model with exactly one input, '\(graph.name)' has \(graph.feedInputs.count)")
        }
        guard let output = graph.outputs.first?.name else { throw ExplainError("the model '\(graph.name)' has no output") }
        self.graph = graph; self.registry = registry; self.threads = max(1, threads)
        self.inputName = input; self.outputName = output
        self.executor = try Executor(graph: graph, registry: registry, threads: self.threads)
    }

    /// The value a target reads.
    public func outputName(for target: Target) -> String { target.output ?? outputName }

    /// Runs the model: `fetch` from `feeds` (the input and/or intermediate values to start from).
    public func run(_ feeds: [String: Tensor], fetch: [String]) throws -> [String: Tensor] {
        try executor.run(feeds, fetch: fetch)
    }

    /// The value `output` (default: the first graph output) for an input batch.
    public func forward(_ input: Tensor, output: String? = nil) throws -> Tensor {
        let name = output ?? outputName
        guard let t = try run([inputName: input], fetch: [name])[name] else { throw GraphError.missingValue(name) }
        return t
    }

    /// The output of `output` for a single reference image `[1, C, H, W]` (or `[C, H, W]`), flattened:
    /// the embedding a similarity target compares against.
    public func embedding(of image: Tensor, output: String? = nil) throws -> [Float] {
        let x = image.rank == 3 ? try image.reshaped([1] + image.shape) : image
        guard x.rank == 4, x.shape[0] == 1 else {
            throw ExplainError("a reference image must be [1, C, H, W], got \(image.shape)")
        }
        return try forward(x, output: output).floats()
    }
}

extension Target {
    /// Similarity to the embedding the model computes for a reference image.
    public static func similarity(toImage image: Tensor, metric: SimilarityMetric = .cosine, model: ExplainModel,
                                  output: String? = nil) throws -> Target {
        var t = Target.similarity(to: try model.embedding(of: image, output: output), metric: metric)
        t.output = output
        return t
    }
}
