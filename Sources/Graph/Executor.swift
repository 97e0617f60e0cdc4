import Dispatch

/// Runs a graph forward on a batch.
///
/// One entry point covers what explanation methods need:
/// - keep intermediate values: name them in `fetch`;
/// - start from a given value at any node: put it in `feeds` (only what depends on it, plus
///   any other branch the fetched values need, is computed);
/// - stop early: fetch only the value you need; nothing past it runs.
/// Intermediate values are freed after their last use unless fetched.
public struct Executor: Sendable {
    public let graph: Graph
    public let registry: OpRegistry
    public var threads: Int
    /// The kernels' arithmetic (see `ComputePrecision`); `.fast` unless an explanation walk asks
    /// for `.reference`.
    public var precision: ComputePrecision
    /// Called after each node runs with the node and its wall time in seconds (profiling).
    public var nodeTimer: (@Sendable (Node, Double) -> Void)?
    let definitions: [OpDefinition]
    /// Conv weights and biases with a following per-channel Mul / Add folded in, per node.
    let foldCache = AffineFoldCache()
    /// Run plans by (targets, fed names, precision).
    let planCache = RunPlanCache()

    public init(graph: Graph, registry: OpRegistry, threads: Int = Executor.defaultThreads,
                precision: ComputePrecision = .fast) throws {
        try registry.checkSupported(graph)
        self.graph = graph
        self.registry = registry
        self.threads = max(1, threads)
        self.precision = precision
        self.definitions = graph.nodes.compactMap { registry.lookup($0, in: graph) }
    }

    /// Default thread count: `CFCAM_THREADS` when set, else every core.
    public static var defaultThreads: Int {
        if let s = getenvString("CFCAM_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, activeProcessorCount())
    }

    /// Computes `fetch` (default: the graph outputs) from `feeds` (graph inputs and/or any
    /// intermediate values to start from).
    public func run(_ feeds: [String: Tensor], fetch: [String]? = nil) throws -> [String: Tensor] {
        let targets = fetch ?? graph.outputs.map(\.name)
        try checkFeeds(feeds)
        let (order, lastUse, keep, fused) = plan(targets: targets, feeds: feeds)

        var env = feeds
        for (step, i) in order.enumerated() {
            if fused.skipped.contains(step) { continue }
            if let (node, definition) = fused.replaced[step] {
                let t0 = nodeTimer == nil ? 0 : monotonicSeconds()
                let results = try Executor.call(definition, node: node, args: try arguments(node, env), threads: threads,
                                                opset: max(20, graph.opset(of: node.domain)), precision: precision)
                for (k, o) in node.outputs.enumerated() where !o.isEmpty && k < results.count { env[o] = results[k] }
                if let nodeTimer { nodeTimer(node, monotonicSeconds() - t0) }
                for v in node.inputs where !v.isEmpty && lastUse[v] == step && !keep.contains(v) && feeds[v] == nil {
                    env[v] = nil
                }
                continue
            }
            let node = fused.rewritten[step] ?? graph.nodes[i]
            let into = fused.activation[step], affine = fused.affine[step]
            if into == nil, affine == nil, fused.rewritten[step] == nil,
               try runInPlace(i, step: step, env: &env, lastUse: lastUse, keep: keep, feeds: feeds) { continue }
            var args = try arguments(node, env)
            let opset = graph.opset(of: node.domain)
            var constants = constants(node, env)
            let t0 = nodeTimer == nil ? 0 : monotonicSeconds()
            if into != nil || affine != nil {
                // The op applies the folded Mul / Add and the activation itself; its result is the
                // last absorbed node's output.
                var runNode = node
                if let affine {
                    let folded = try Executor.inNode(node) {
                        try foldCache.folded(node: i, args: args, affine, scale: affine.scale.flatMap { graph.initializers[$0] },
                                             shift: affine.shift.flatMap { graph.initializers[$0] })
                    }
                    args = [args[0], folded.weight, folded.bias]
                    constants = [constants.first ?? false, true, true]
                    runNode.inputs = [node.inputs[0], node.inputs[1], node.inputs.count > 2 && !node.inputs[2].isEmpty
                                      ? node.inputs[2] : node.inputs[1] + ".folded_bias"]
                }
                let ctx = OpContext(node: runNode, inputs: args, threads: threads, opset: opset, constants: constants,
                                    precision: precision)
                let out = into.map { graph.nodes[$0.node].outputs[0] } ?? affine?.output ?? node.outputs[0]
                if let kernel = definitions[i].extensions[FusedActivation.extensionKey] as? FusedActivationKernel {
                    env[out] = try Executor.inNode(node) { try kernel.forward(ctx, into?.activation) }
                } else if let forwardReLU = definitions[i].forwardReLU {
                    env[out] = try Executor.inNode(node) { try forwardReLU(ctx) }
                }
            } else {
                let results = try Executor.call(definitions[i], node: node, args: args, threads: threads,
                                                opset: opset, constants: constants, precision: precision)
                for (k, o) in node.outputs.enumerated() where !o.isEmpty && k < results.count { env[o] = results[k] }
            }
            if let nodeTimer { nodeTimer(node, monotonicSeconds() - t0) }
            for v in node.inputs where !v.isEmpty && lastUse[v] == step && !keep.contains(v) && feeds[v] == nil {
                env[v] = nil
            }
        }
        var out: [String: Tensor] = [:]
        for t in targets {
            guard let v = env[t] ?? graph.initializers[t] else { throw GraphError.missingValue(t) }
            out[t] = v
        }
        return out
    }

    /// The nodes to run, each value's last use, the values kept and the fusions for `targets` from
    /// `feeds` (by name): planned once per (targets, fed names, precision) and cached, since a
    /// method runs the same plan hundreds of times.
    private func plan(targets: [String], feeds: [String: Tensor])
        -> (order: [Int], lastUse: [String: Int], keep: Set<String>, fused: FusionPlan) {
        let key = RunPlanCache.Key(targets: targets, feeds: feeds.keys.sorted(), precision: precision)
        if let hit = planCache.get(key) { return (hit.order, hit.lastUse, hit.keep, hit.fused) }
        let order = graph.nodesNeeded(for: Set(targets), given: Set(feeds.keys))
        // Last use and number of uses of each value among the nodes that run, so it can be freed
        // (and a Conv -> activation pair fused).
        var lastUse: [String: Int] = [:], uses: [String: Int] = [:]
        for (step, i) in order.enumerated() {
            for v in graph.nodes[i].inputs where !v.isEmpty { lastUse[v] = step; uses[v, default: 0] += 1 }
        }
        let keep = Set(targets)
        let fused = planFusions(order, lastUse: &lastUse, uses: uses, keep: keep, feeds: feeds)
        planCache.put(key, RunPlanCache.Plan(order: order, lastUse: lastUse, keep: keep, fused: fused))
        return (order, lastUse, keep, fused)
    }

    /// The node's input values (nil for omitted optional inputs), from `env` or the initializers.
    private func arguments(_ node: Node, _ env: [String: Tensor]) throws -> [Tensor?] {
        try node.inputs.map { v in
            if v.isEmpty { return nil }
            guard let t = env[v] ?? graph.initializers[v] else {
                if graph.inputs.contains(where: { $0.name == v }) { throw GraphError.missingInput(v) }
                throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: .missingValue(v))
            }
            return t
        }
    }

    /// Which of the node's inputs are graph initializers (not overridden by a fed or computed value).
    private func constants(_ node: Node, _ env: [String: Tensor]) -> [Bool] {
        node.inputs.map { !$0.isEmpty && env[$0] == nil && graph.initializers[$0] != nil }
    }

    /// Runs node `i` in place on its first input when its op allows it and that input is an
    /// intermediate value at its last use (not fetched, fed or a weight). Returns false otherwise.
    private func runInPlace(_ i: Int, step: Int, env: inout [String: Tensor], lastUse: [String: Int],
                            keep: Set<String>, feeds: [String: Tensor]) throws -> Bool {
        let node = graph.nodes[i]
        guard let inPlace = definitions[i].inPlace, let v = node.inputs.first, !v.isEmpty,
              node.outputs.count == 1, !node.outputs[0].isEmpty,
              lastUse[v] == step, !keep.contains(v), feeds[v] == nil, graph.initializers[v] == nil,
              !node.inputs.dropFirst().contains(v), var t = env[v] else { return false }
        let others: [Tensor?] = [nil] + node.inputs.dropFirst().map { $0.isEmpty ? nil : (env[$0] ?? graph.initializers[$0]) }
        env[v] = nil
        let t0 = nodeTimer == nil ? 0 : monotonicSeconds()
        let ctx = OpContext(node: node, inputs: others, threads: threads, opset: graph.opset(of: node.domain),
                            precision: precision)
        let done: Bool
        do { done = try inPlace(&t, ctx) } catch let e as GraphError {
            if case .inNode = e { throw e }
            throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: e)
        }
        if !done { env[v] = t; return false }
        env[node.outputs[0]] = t
        if let nodeTimer { nodeTimer(node, monotonicSeconds() - t0) }
        for u in node.inputs.dropFirst() where !u.isEmpty && lastUse[u] == step && !keep.contains(u) && feeds[u] == nil {
            env[u] = nil
        }
        return true
    }

    /// Runs one node's kernel, wrapping any failure with the node's name and op.
    public static func call(_ def: OpDefinition, node: Node, args: [Tensor?], threads: Int, opset: Int,
                            constants: [Bool] = [], precision: ComputePrecision = .fast) throws -> [Tensor] {
        try inNode(node) {
            try def.forward(OpContext(node: node, inputs: args, threads: threads, opset: opset, constants: constants,
                                      precision: precision))
        }
    }

    /// Runs `body`, wrapping any failure with the node's name and op.
    private static func inNode<R>(_ node: Node, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let e as GraphError {
            if case .inNode = e { throw e }
            throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: e)
        } catch {
            throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: .kernel("\(error)"))
        }
    }

    /// Checks fed graph inputs against their declared dtype, rank and fixed dimensions.
    private func checkFeeds(_ feeds: [String: Tensor]) throws {
        for info in graph.feedInputs {
            guard let t = feeds[info.name] else { continue }
            guard let dims = info.shape else { continue }
            let ok = dims.count == t.rank && zip(dims, t.shape).allSatisfy { d, s in d.value.map { $0 == s } ?? true }
            if !ok {
                throw GraphError.invalidShape("input '\(info.name)' expects \(info.shapeDescription), got \(t.shape)")
            }
            if t.dtype != info.dtype {
                throw GraphError.invalidShape("input '\(info.name)' expects \(info.dtype), got \(t.dtype)")
            }
        }
    }
}
