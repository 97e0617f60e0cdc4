import Graph

/// How many images one run of the graph may carry.
///
/// Many exported graphs fix the batch dimension (`[1, 3, 224, 224]`). Methods still hand the
/// model batches of any size (Score-CAM's masked inputs, IG's steps): `relax` first frees the
/// batch dimension of the input (and of `Reshape` shape constants that repeat it) and keeps that
/// graph only if it really computes each row as the fixed graph does (checked on a seeded random
/// batch); otherwise the model keeps its graph and `ExplainModel.run` evaluates chunks of the fixed
/// size, padding the last chunk, so no user flag is needed either way.
public enum BatchPolicy: Sendable, Equatable {
    /// Any number of rows per run.
    case any
    /// The graph's batch was fixed at this size and relaxed (verified).
    case relaxed(from: Int)
    /// Exactly this many rows per run: batches are evaluated in chunks.
    case chunks(of: Int)

    /// Rows per run, when limited.
    public var limit: Int? { if case .chunks(let b) = self { return b }; return nil }

    public var description: String {
        switch self {
        case .any: return "any batch"
        case .relaxed(let b): return "batch fixed at \(b) in the file, relaxed (checked row by row)"
        case .chunks(let b): return "batch fixed at \(b): evaluated \(b) image(s) at a time"
        }
    }

    /// The graph with a free batch dimension and the policy, or the graph unchanged.
    static func relax(_ graph: Graph, input: String, output: String, registry: OpRegistry, threads: Int) -> (Graph, BatchPolicy) {
        guard let info = graph.inputs.first(where: { $0.name == input }), let dims = info.shape, let first = dims.first,
              case .fixed(let b) = first, b >= 1, info.dtype == .float32,
              let shape = info.concreteShape(symbolValue: 1) else { return (graph, .any) }
        var g = graph
        let symbol = Dim.symbol("N")
        for i in g.inputs.indices where g.inputs[i].name == input { g.inputs[i].shape?[0] = symbol }
        for i in g.outputs.indices where g.outputs[i].shape?.first == first { g.outputs[i].shape?[0] = symbol }
        g.valueInfo = g.valueInfo.filter { $0.value.shape?.first != first }
        // Reshape targets that spell the batch out ([1, -1], [1, 1280]) copy it instead (0).
        for i in g.nodes.indices where g.nodes[i].opType == "Reshape" && g.nodes[i].domain.isEmpty && g.nodes[i].inputs.count > 1 {
            let s = g.nodes[i].inputs[1]
            guard let t = g.initializers[s], t.rank == 1, t.count >= 2, let v = try? t.ints(), v[0] == Int64(b), !v.contains(0),
                  ((try? g.nodes[i].attr("allowzero", default: 0)) ?? 0) == 0 else { continue }
            let name = GraphAdapters.unique("\(s)__any_batch", in: g)
            g.initializers[name] = Tensor.vector([0] + Array(v.dropFirst()))
            g.nodes[i].inputs[1] = name
        }
        do {
            let fixed = try Executor(graph: graph, registry: registry, threads: threads)
            let free = try Executor(graph: g, registry: registry, threads: threads)
            let rows = b + 1
            let per = shape.dropFirst().reduce(1, *)
            var rng = SeededRandom(seed: 0x5EED)
            let x = Tensor(unchecked: [rows] + Array(shape.dropFirst()), floats: (0..<(rows * per)).map { _ in Float(rng.gaussian()) })
            guard let all = try free.run([input: x], fetch: [output])[output], all.rank >= 1, all.shape[0] == rows else {
                return (graph, .chunks(of: b))
            }
            var parts: [Tensor] = []
            for start in stride(from: 0, to: rows, by: b) {
                let r = start..<min(rows, start + b)
                guard let y = try fixed.run([input: try x.rows(r, paddedTo: b)], fetch: [output])[output], y.rank >= 1, y.shape[0] == b else {
                    return (graph, .chunks(of: b))
                }
                parts.append(try y.rows(0..<r.count))
            }
            let want = try Tensor.stack(parts)
            guard want.shape == all.shape else { return (graph, .chunks(of: b)) }
            let a = try all.floats(), w = try want.floats()
            let scale = w.reduce(Float(0)) { max($0, abs($1)) }
            for i in a.indices where !(abs(a[i] - w[i]) <= 1e-4 * scale + 1e-6) { return (graph, .chunks(of: b)) }
            return (g, .relaxed(from: b))
        } catch {
            return (graph, .chunks(of: b))
        }
    }
}
