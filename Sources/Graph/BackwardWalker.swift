/// The reverse walk shared by gradients and Layer-wise Relevance Propagation.
///
/// Given forward values (every input and output of the nodes on the path), seeds (the signal at
/// chosen values: dObjective/dValue for gradients, initial relevance for LRP) and the values to
/// read, it visits only the nodes on a path from a read value to a seed, in reverse order, asks
/// `step` for the signal at each node's inputs, and sums signals where a value fans out.
public struct BackwardWalker: Sendable {
    public let graph: Graph
    public let registry: OpRegistry
    public var threads: Int
    /// Carried into every `BackwardContext` (rules re-running forwards read it).
    public var precision: ComputePrecision

    public init(graph: Graph, registry: OpRegistry, threads: Int = Executor.defaultThreads,
                precision: ComputePrecision = .fast) {
        self.graph = graph; self.registry = registry; self.threads = max(1, threads); self.precision = precision
    }

    /// One node's backward step: the signal at each input (nil = none), given its context.
    public typealias Step = (Node, OpDefinition, BackwardContext) throws -> [Tensor?]

    /// Nodes that lie on a path from any of `from` (values) to any of `to` (values), in graph order.
    public func nodesBetween(from: Set<String>, to: Set<String>) -> [Int] {
        // Forward reachability from `from`.
        var reach = from
        var forward = Set<Int>()
        for (i, n) in graph.nodes.enumerated() where n.inputs.contains(where: { reach.contains($0) }) {
            forward.insert(i)
            for o in n.outputs where !o.isEmpty { reach.insert(o) }
        }
        // Backward reachability from `to` among those.
        var back = to
        var both: [Int] = []
        for i in graph.nodes.indices.reversed() where forward.contains(i) {
            let n = graph.nodes[i]
            if n.outputs.contains(where: { back.contains($0) }) {
                both.append(i)
                for v in n.inputs where !v.isEmpty { back.insert(v) }
            }
        }
        return both.reversed()
    }

    /// The values the walk needs from the forward pass to run `nodes` backwards.
    public func forwardValuesNeeded(nodes: [Int]) -> [String] {
        var s = Set<String>()
        for i in nodes { for v in graph.nodes[i].inputs + graph.nodes[i].outputs where !v.isEmpty { s.insert(v) } }
        return Array(s)
    }

    /// Runs the walk. `values` holds forward tensors (missing initializers are read from the graph).
    /// Returns the accumulated signal at every value in `read` (zeros where nothing arrives).
    public func walk(values: [String: Tensor], seeds: [String: Tensor], read: Set<String>, step: Step) throws -> [String: Tensor] {
        let order = nodesBetween(from: read, to: Set(seeds.keys))
        // Values downstream of a read value: only these (and the read values) need a signal.
        var onPath = read
        for i in order { for v in graph.nodes[i].outputs where !v.isEmpty { onPath.insert(v) } }
        var signal = seeds
        // Values produced after the last use are freed as the walk passes.
        for i in order.reversed() {
            let node = graph.nodes[i]
            let produced = node.outputs.filter { !$0.isEmpty }
            let grads = produced.map { signal[$0] }
            guard grads.contains(where: { $0 != nil }) else { continue }
            guard let def = registry.lookup(node, in: graph) else {
                throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: .kernel("no definition registered"))
            }
            let inputs: [Tensor?] = node.inputs.map { $0.isEmpty ? nil : (values[$0] ?? graph.initializers[$0]) }
            var outputs: [Tensor] = []
            for o in produced {
                guard let t = values[o] else {
                    throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: .missingValue(o))
                }
                outputs.append(t)
            }
            let outGrads = zip(grads, outputs).map { g, t in g ?? Tensor.zeros(t.shape, dtype: t.dtype) }
            let needs = node.inputs.map { !$0.isEmpty && onPath.contains($0) }
            let ctx = BackwardContext(node: node, inputs: inputs, outputs: outputs, outputGrads: outGrads, needs: needs,
                                      threads: threads, opset: graph.opset(of: node.domain), precision: precision)
            let result: [Tensor?]
            do { result = try step(node, def, ctx) } catch let e as GraphError {
                if case .inNode = e { throw e }
                throw GraphError.inNode(node: node.name, op: node.qualifiedOp, underlying: e)
            }
            for (k, v) in node.inputs.enumerated() where !v.isEmpty && k < result.count && needs[k] {
                guard let g = result[k] else { continue }
                if let prev = signal[v] { signal[v] = try Tensor.add(prev, g) } else { signal[v] = g }
            }
            for o in node.outputs where !read.contains(o) { signal[o] = nil }
        }
        var out: [String: Tensor] = [:]
        for r in read {
            if let s = signal[r] { out[r] = s; continue }
            guard let v = values[r] ?? graph.initializers[r] else { throw GraphError.missingValue(r) }
            out[r] = Tensor.zeros(v.shape, dtype: .float32)
        }
        return out
    }

    /// Gradients of `seeds` (dObjective/dValue at chosen values, usually graph outputs) with respect
    /// to every value in `read`, using each op's VJP. `feeds` are the graph inputs; the forward runs
    /// at the walker's `precision`.
    public func gradients(feeds: [String: Tensor], seeds: [String: Tensor], read: Set<String>) throws -> [String: Tensor] {
        let nodes = nodesBetween(from: read, to: Set(seeds.keys))
        let exec = try Executor(graph: graph, registry: registry, threads: threads, precision: precision)
        let values = try exec.run(feeds, fetch: forwardValuesNeeded(nodes: nodes).filter { graph.initializers[$0] == nil } + Array(read.filter { graph.initializers[$0] == nil }))
        return try walk(values: values.merging(feeds) { a, _ in a }, seeds: seeds, read: read) { node, def, ctx in
            guard let vjp = def.vjp else {
                throw GraphError.kernel("op has no gradient (VJP) registered")
            }
            return try vjp(ctx)
        }
    }
}

extension Tensor {
    /// Element-wise sum of two float tensors of the same shape (signal accumulation at fan-out).
    public static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.shape == b.shape else { throw GraphError.invalidShape("cannot accumulate \(a.shape) and \(b.shape)") }
        let x = try a.floats(), y = try b.floats()
        var r = x
        r.withUnsafeMutableBufferPointer { rp in y.withUnsafeBufferPointer { yp in for i in 0..<rp.count { rp[i] += yp[i] } } }
        return Tensor(unchecked: a.shape, floats: r)
    }
}
