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
        let plan = compiledPlan(targets: targets, feeds: feeds)
        var env = [Tensor?](repeating: nil, count: plan.slots.count)
        for (name, t) in feeds { if let s = plan.slots[name] { env[s] = t } }
        for step in plan.steps {
            let t0 = nodeTimer == nil ? 0 : monotonicSeconds()
            try execute(step, &env)
            if let nodeTimer { nodeTimer(step.node, monotonicSeconds() - t0) }
            for s in step.frees { env[s] = nil }
        }
        var out: [String: Tensor] = [:]
        for t in targets {
            guard let v = plan.slots[t].flatMap({ env[$0] }) ?? graph.initializers[t] else { throw GraphError.missingValue(t) }
            out[t] = v
        }
        return out
    }

    /// Runs one compiled step, writing its outputs into `env`.
    private func execute(_ step: CompiledPlan.Step, _ env: inout [Tensor?]) throws {
        if step.inPlace, try runInPlace(step, &env) { return }
        var args = try arguments(step, env)
        var constants = step.inputs.indices.map { k in
            step.inputs[k] >= 0 && env[step.inputs[k]] == nil && step.initializers[k] != nil
        }
        let node = step.node
        switch step.kind {
        case .plain:
            let ctx = OpContext(node: node, inputs: args, threads: threads, opset: step.opset, constants: constants,
                                precision: precision, memo: step.memo)
            store(try Executor.inNode(node) { try step.forward(ctx) }, step, &env)
        case .replaced:
            let ctx = OpContext(node: node, inputs: args, threads: threads, opset: step.opset, precision: precision)
            store(try Executor.inNode(node) { try step.forward(ctx) }, step, &env)
        case let .fused(activation, affine, scale, shift, runNode):
            // The op applies the folded Mul / Add and the activation itself; its result is the
            // last absorbed node's output.
            if let affine {
                let folded = try step.folded.withLock { kept in
                    if let kept { return kept }
                    let made = try Executor.inNode(node) {
                        try foldCache.folded(node: step.index, args: args, affine, scale: scale, shift: shift)
                    }
                    kept = made
                    return made
                }
                args = [args[0], folded.weight, folded.bias]
                constants = [constants.first ?? false, true, true]
            }
            let ctx = OpContext(node: runNode, inputs: args, threads: threads, opset: step.opset, constants: constants,
                                precision: precision, memo: step.memo)
            if let fusedForward = step.fusedForward {
                env[step.outputs[0]] = try Executor.inNode(node) { try fusedForward(ctx, activation) }
            }
        }
    }

    private func store(_ results: [Tensor], _ step: CompiledPlan.Step, _ env: inout [Tensor?]) {
        for (k, s) in step.outputs.enumerated() where s >= 0 && k < results.count { env[s] = results[k] }
    }

    /// The step's input values (nil for omitted optional inputs): the slot's value, else the
    /// graph initializer of that name.
    private func arguments(_ step: CompiledPlan.Step, _ env: [Tensor?]) throws -> [Tensor?] {
        try step.inputs.indices.map { k in
            let s = step.inputs[k]
            if s < 0 { return nil }
            guard let t = env[s] ?? step.initializers[k] else {
                let v = step.node.inputs[k]
                if graph.inputs.contains(where: { $0.name == v }) { throw GraphError.missingInput(v) }
                throw GraphError.inNode(node: step.node.name, op: step.node.qualifiedOp, underlying: .missingValue(v))
            }
            return t
        }
    }

    /// Runs the step in place on its first input (planned as eligible: an intermediate value at its
    /// last use). Returns false when the op declines or the value is absent.
    private func runInPlace(_ step: CompiledPlan.Step, _ env: inout [Tensor?]) throws -> Bool {
        let node = step.node, slot = step.inputs[0]
        guard let inPlace = definitions[step.index].inPlace, var t = env[slot] else { return false }
        var others: [Tensor?] = [nil]
        for k in step.inputs.indices.dropFirst() {
            others.append(step.inputs[k] < 0 ? nil : env[step.inputs[k]] ?? step.initializers[k])
        }
        env[slot] = nil
        let ctx = OpContext(node: node, inputs: others, threads: threads, opset: step.opset, precision: precision)
        let done: Bool
        do { done = try inPlace(&t, ctx) } catch let e as GraphError {
            if case .inNode = e { throw e }
            throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: e)
        }
        if !done { env[slot] = t; return false }
        env[step.outputs[0]] = t
        return true
    }

    /// Runs one node's kernel, wrapping any failure with the node's name and op.
    public static func call(_ def: OpDefinition, node: Node, args: [Tensor?], threads: Int, opset: Int,
                            constants: [Bool] = [], precision: ComputePrecision = .fast, memo: OpMemo? = nil) throws -> [Tensor] {
        try inNode(node) {
            try def.forward(OpContext(node: node, inputs: args, threads: threads, opset: opset, constants: constants,
                                      precision: precision, memo: memo))
        }
    }

    /// Runs `body`, wrapping any failure with the node's name and op.
    static func inNode<R>(_ node: Node, _ body: () throws -> R) throws -> R {
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
