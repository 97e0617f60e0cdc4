import Graph

/// A model ready to be explained, the one model type every method runs on.
///
/// From an imported graph it prepares, once:
/// - the **output** scores are read from (`OutputChoice`: the graph output that looks like class
///   scores, the logits before a final Softmax unless `score` is `.probability`, or `output`);
/// - a **pruned** graph: nodes that the explained output does not depend on (an `ArgMax`
///   post-processing branch, a second head) are dropped before the op support check;
/// - an **NCHW image input**: NHWC inputs get an adapter (`InputLayout`), so every method masks,
///   blends and maps one layout; `layout` overrides the inferred one;
/// - a **batch policy** (`BatchPolicy`): a graph with a fixed batch is relaxed when that provably
///   gives the same rows, else evaluated in chunks of its fixed size.
/// Layer methods add views of channels-last and token feature maps on demand (`withViews(of:)`).
public struct ExplainModel: Sendable {
    /// Choices that shape the prepared graph (the CLI's `--output`, `--score`, `--layout`).
    public struct Options: Sendable, Equatable {
        /// The value to explain; nil: the output that looks like class scores.
        public var output: String?
        public var score: ScoreKind
        /// The input layout; nil: inferred from the graph.
        public var layout: InputLayout?
        /// Values to keep computable besides the output (e.g. an embedding for a similarity target).
        public var keep: [String]

        public init(output: String? = nil, score: ScoreKind = .logit, layout: InputLayout? = nil, keep: [String] = []) {
            self.output = output; self.score = score; self.layout = layout; self.keep = keep
        }
    }

    /// The prepared graph (pruned, NCHW input, batch policy applied, layer views added).
    public let graph: Graph
    public let registry: OpRegistry
    public let threads: Int
    /// The NCHW image input methods feed.
    public let inputName: String
    /// The input as the file declares it, and its layout.
    public let nativeInputName: String
    public let layout: InputLayout
    /// The value targets read unless `Target.output` names another.
    public var outputName: String { output.value }
    public let output: OutputChoice
    public let batch: BatchPolicy
    /// Plain forwards (scores, perturbation batches): the fast kernels.
    let executor: Executor
    /// Forwards whose values a gradient walk reads: `ComputePrecision.reference`, so ReLU and
    /// max-pool routing near float ties follows the reference computation (Winograd's rounding
    /// flipped some on VGG16-BN).
    let walkExecutor: Executor
    let walker: BackwardWalker

    public init(graph: Graph, registry: OpRegistry, threads: Int = Executor.defaultThreads, options: Options = Options()) throws {
        let (pruned, choice) = try ExplainModel.pruned(graph, options: options)
        try self.init(pruned: pruned, choice: choice, registry: registry, threads: threads, layout: options.layout)
    }

    /// From a graph already pruned by `pruned(_:options:)` (and possibly folded since).
    public init(pruned: Graph, choice: OutputChoice, registry: OpRegistry, threads: Int = Executor.defaultThreads,
                layout: InputLayout? = nil) throws {
        let native = try ExplainModel.imageInput(of: pruned)
        let threads = max(1, threads)
        let layout = layout ?? InputLayout.infer(input: native, graph: pruned)
        if let dims = pruned.inputs.first(where: { $0.name == native })?.shape, dims.count != 4 {
            throw ExplainError("the input '\(native)' has shape \(pruned.inputs.first { $0.name == native }?.shapeDescription ?? "?"); explanations need an image batch (rank 4, NCHW or NHWC)")
        }
        let (adapted, input) = GraphAdapters.nchwInput(pruned, input: native, layout: layout)
        try registry.checkSupported(adapted)
        let (relaxed, policy) = BatchPolicy.relax(adapted, input: input, output: choice.value, registry: registry, threads: threads)
        try self.init(prepared: relaxed, registry: registry, threads: threads, input: input, native: native, layout: layout,
                      output: choice, batch: policy)
    }

    /// `graph` without the nodes the explained output (and `options.keep`) does not depend on,
    /// and the output choice. `init` prunes the same way; a loader prunes first when the dropped
    /// nodes might use ops the registry lacks (`ModelLoader.prepare` checks support afterwards).
    public static func pruned(_ graph: Graph, options: Options = Options()) throws -> (Graph, OutputChoice) {
        let native = try imageInput(of: graph)
        let choice = try OutputChoice.choose(in: graph, requested: options.output, score: options.score)
        for k in options.keep where graph.producers()[k] == nil {
            throw ExplainError("value '\(k)' is not computed by the graph '\(graph.name)'")
        }
        var pruned = graph
        let needed = graph.nodesNeeded(for: Set([choice.value] + options.keep), given: [native])
        pruned.nodes = needed.map { graph.nodes[$0] }
        let computed = Set(pruned.nodes.flatMap(\.outputs))
        pruned.outputs = graph.outputs.filter { computed.contains($0.name) }
        if !pruned.outputs.contains(where: { $0.name == choice.value }) {
            pruned.outputs.append(ValueInfo(name: choice.value, dtype: .float32, shape: graph.shapeOf(choice.value)))
        }
        return (pruned, choice)
    }

    /// The graph's single feed input.
    static func imageInput(of graph: Graph) throws -> String {
        guard graph.feedInputs.count == 1, let native = graph.feedInputs.first?.name else {
            throw ExplainError("explanations need a model with exactly one input, '\(graph.name)' has \(graph.feedInputs.count) (\(graph.feedInputs.map(\.name).joined(separator: ", ")))")
        }
        return native
    }

    init(prepared graph: Graph, registry: OpRegistry, threads: Int, input: String, native: String, layout: InputLayout,
         output: OutputChoice, batch: BatchPolicy) throws {
        self.graph = graph; self.registry = registry; self.threads = threads
        self.inputName = input; self.nativeInputName = native; self.layout = layout
        self.output = output; self.batch = batch
        self.executor = try Executor(graph: graph, registry: registry, threads: threads)
        self.walkExecutor = try Executor(graph: graph, registry: registry, threads: threads, precision: .reference)
        self.walker = BackwardWalker(graph: graph, registry: registry, threads: threads)
    }

    /// The same model on a rewritten graph (layer views).
    func replacingGraph(_ g: Graph) throws -> ExplainModel {
        try ExplainModel(prepared: g, registry: registry, threads: threads, input: inputName, native: nativeInputName,
                         layout: layout, output: output, batch: batch)
    }

    /// One line for users: what is explained and how the graph was prepared.
    public var summary: String {
        "explaining \(output.description); input '\(nativeInputName)' \(layout); \(batch.description)"
    }

    /// The input [N, C, H, W] size the model expects (symbolic dims: nil).
    public var inputDims: [Int?] {
        (graph.inputs.first { $0.name == inputName }?.shape ?? []).map(\.value)
    }

    /// The value a target reads.
    public func outputName(for target: Target) -> String { target.output ?? outputName }

    /// Whether the values of `output` are probabilities already (no softmax on top).
    public func isProbability(_ output: String) -> Bool { output == self.output.value && self.output.isProbability }

    /// Runs the model: `fetch` from `feeds` (the input and/or intermediate values to start from).
    /// A fixed-batch graph runs the rows in chunks of its batch size.
    public func run(_ feeds: [String: Tensor], fetch: [String]) throws -> [String: Tensor] {
        guard batch.limit != nil, let rows = feeds.values.first?.shape.first else { return try executor.run(feeds, fetch: fetch) }
        return try perChunk(rows) { r in
            try unpadded(try executor.run(try feeds.mapValues { try padded($0, r) }, fetch: fetch), rows: r.count)
        }
    }

    /// Per-chunk results stacked along the batch axis (values without a batch axis: the first).
    func merge(_ parts: [[String: Tensor]], rows: Int) throws -> [String: Tensor] {
        guard let first = parts.first else { return [:] }
        var out: [String: Tensor] = [:]
        for (k, v) in first {
            let pieces = parts.compactMap { $0[k] }
            let batched = pieces.count == parts.count && pieces.reduce(0) { $0 + ($1.shape.first ?? 0) } == rows
                && pieces.allSatisfy { $0.rank >= 1 }
            out[k] = batched && parts.count > 1 ? try Tensor.stack(pieces) : v
        }
        return out
    }

    /// Runs `body` on row chunks the graph accepts (the whole batch unless it is fixed) and
    /// stacks what it returns.
    func perChunk(_ rows: Int, _ body: (Range<Int>) throws -> [String: Tensor]) throws -> [String: Tensor] {
        guard let b = batch.limit, rows != b else { return try body(0..<rows) }
        return try merge(try BatchRows.chunks(total: rows, size: b).map(body), rows: rows)
    }

    /// Rows `r` of `x`, padded to the fixed batch when the graph has one.
    func padded(_ x: Tensor, _ r: Range<Int>) throws -> Tensor {
        if r.count == x.shape[0] && r.count == (batch.limit ?? r.count) { return x }
        if let b = batch.limit { return try x.rows(r, paddedTo: b) }
        return try x.rows(r)
    }

    /// A seed for the first rows of `like`, with zero rows for the padding.
    func zeroPadded(_ seed: Tensor, like y: Tensor) throws -> Tensor {
        guard y.rank >= 1, seed.rank >= 1, seed.shape[0] < y.shape[0] else { return seed }
        return try Tensor.stack([seed, Tensor.zeros([y.shape[0] - seed.shape[0]] + Array(y.shape.dropFirst()))])
    }

    /// Each batched value cut back to its first `rows` rows (the padding dropped).
    func unpadded(_ values: [String: Tensor], rows: Int) throws -> [String: Tensor] {
        guard let b = batch.limit, rows < b else { return values }
        var out = values
        for (k, v) in values where v.rank >= 1 && v.shape[0] == b { out[k] = try v.rows(0..<rows) }
        return out
    }

    /// The value `output` (default: the explained output) for an input batch [N, C, H, W].
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

    /// The scores of every row of `x` (rows explained by `targets.images`).
    public func scores(_ x: Tensor, rows: TargetRows) throws -> [Float] {
        let out = try forward(x, output: rows.output)
        return try rows.evaluate(out, probabilityOutput: isProbability(rows.output ?? outputName)).scores
    }

    /// d score / d input for every row of `x`, and the scores (one forward plus one backward pass
    /// per chunk the graph accepts).
    public func gradient(_ x: Tensor, rows: TargetRows) throws -> (gradient: Tensor, scores: [Float]) {
        let out = rows.output ?? outputName
        let nodes = walker.nodesBetween(from: [inputName], to: [out])
        if nodes.isEmpty {  // the output ignores the input: the gradient is zero
            return (Tensor.zeros(x.shape), try scores(x, rows: rows))
        }
        let fetch = Array(Set(walker.forwardValuesNeeded(nodes: nodes) + [out]).filter { graph.initializers[$0] == nil && $0 != inputName })
        var scores: [Float] = []
        let g = try perChunk(x.shape[0]) { r in
            let xr = try padded(x, r)
            var values = try walkExecutor.run([inputName: xr], fetch: fetch)
            values[inputName] = xr
            guard let y = values[out] else { throw GraphError.missingValue(out) }
            let (s, seed) = try rows.slice(r).evaluate(try y.rows(0..<r.count), probabilityOutput: isProbability(out))
            scores += s
            let grads = try walker.walk(values: values, seeds: [out: try zeroPadded(seed, like: y)], read: [inputName]) { _, def, ctx in
                guard let vjp = def.vjp else { throw GraphError.kernel("op has no gradient (VJP) registered") }
                return try vjp(ctx)
            }
            return try unpadded(grads, rows: r.count)
        }
        guard let grad = g[inputName] else { throw GraphError.missingValue(inputName) }
        return (grad, scores)
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
