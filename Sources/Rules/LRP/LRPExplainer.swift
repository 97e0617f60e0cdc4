import Graph

/// Layer-wise Relevance Propagation over a generic graph: canonizes the graph once, resolves the
/// composite's rule for every node, then propagates relevance from seeds at any values (usually
/// the logits) back to any values to read (the input, or any intermediate layer).
///
/// Relevance at a value is the signal arriving there in the reverse walk (`BackwardWalker`), as
/// zennit reads it from the gradient of a module's output. Where a value feeds several nodes,
/// their relevances add up.
///
/// `precision` (default `.reference`) is the arithmetic of every forward the explainer runs: the
/// forward pass whose values the rules divide by and the rules' own modified-weight forwards
/// (Conv then accumulates in float64 instead of Winograd / cfcam's own SGEMM; see
/// `ComputePrecision`). Plain inference and perturbation forwards (`Executor`) stay `.fast`.
public struct LRPExplainer: Sendable {
    /// The canonized graph (value names unchanged from the original).
    public let graph: Graph
    public let registry: OpRegistry
    public let composite: Composite
    /// The rule of every node that has one, by node name.
    public let rules: [String: any LRPRule]
    public var threads: Int
    public var precision: ComputePrecision

    public init(graph: Graph, registry: OpRegistry, composite: Composite,
                canonizers: [any Canonizer] = [MergeBatchNorm()], threads: Int = Executor.defaultThreads,
                precision: ComputePrecision = .reference) throws {
        var g = graph
        for c in canonizers { g = try c.apply(to: g) }
        self.graph = g; self.registry = registry; self.composite = composite; self.threads = max(1, threads)
        self.precision = precision
        self.rules = try composite.resolve(graph: g, registry: registry)
    }

    /// Runs the forward pass and keeps every value the backward walk from `seedValues` to `read`
    /// needs (plus the seed and read values themselves, e.g. the logits to build seeds from).
    public func forward(feeds: [String: Tensor], seedValues: Set<String>, read: Set<String>) throws -> [String: Tensor] {
        let walker = BackwardWalker(graph: graph, registry: registry, threads: threads, precision: precision)
        let nodes = walker.nodesBetween(from: read, to: seedValues)
        let wanted = Set(walker.forwardValuesNeeded(nodes: nodes)).union(seedValues).union(read)
        let fetch = wanted.filter { graph.initializers[$0] == nil && feeds[$0] == nil }
        let exec = try Executor(graph: graph, registry: registry, threads: threads, precision: precision)
        let values = fetch.isEmpty ? [:] : try exec.run(feeds, fetch: Array(fetch))
        return values.merging(feeds) { a, _ in a }
    }

    /// Propagates `seeds` (initial relevance, one tensor per value, shaped like it) back to `read`,
    /// given the forward `values` from `forward(feeds:seedValues:read:)`.
    public func backward(values: [String: Tensor], seeds: [String: Tensor], read: Set<String>) throws -> [String: Tensor] {
        for (name, s) in seeds {
            guard let v = values[name] else { throw LRPError.invalidRequest("seed value '\(name)' was not computed by the forward pass") }
            guard v.shape == s.shape, s.dtype == .float32 else {
                throw LRPError.invalidRequest("seed for '\(name)' has shape \(s.shape) (\(s.dtype)); the value has shape \(v.shape)")
            }
        }
        let walker = BackwardWalker(graph: graph, registry: registry, threads: threads, precision: precision)
        let rules = self.rules
        return try walker.walk(values: values, seeds: seeds, read: read) { node, def, ctx in
            guard let rule = rules[node.name] else { throw LRPError.noRule(node: node.name, op: node.qualifiedOp) }
            return try rule.propagate(definition: def, context: ctx)
        }
    }

    /// Forward and backward in one call.
    public func relevance(feeds: [String: Tensor], seeds: [String: Tensor], read: Set<String>) throws -> [String: Tensor] {
        let values = try forward(feeds: feeds, seedValues: Set(seeds.keys), read: read)
        return try backward(values: values, seeds: seeds, read: read)
    }
}
