/// Static shape inference by example.
///
/// cfcam infers the type and shape of every value by running the graph's own kernels on example
/// inputs (zeros) instead of keeping a second, hand-written shape function per op that could drift
/// from the kernel. Symbolic input dimensions are tried at two sizes; an inferred dimension that
/// differs between the two runs is symbolic (named after the input symbol when it equals it,
/// "?" otherwise). Custom ops get shape inference for free.
extension Graph {
    /// Example sizes for symbolic dims: the batch-like first dim, and any other dim.
    static let exampleSizes: [(batch: Int, other: Int)] = [(1, 224), (2, 256)]

    /// Infers every value's dtype and shape; fills `valueInfo`. Throws what the kernels throw
    /// (with node context) when the graph cannot run on inputs of the declared shapes.
    /// `values` limits the work to what those values need (the executor stops there); default: all.
    public mutating func inferShapes(registry: OpRegistry, threads: Int = 1, values: [String]? = nil) throws {
        let exec = try Executor(graph: self, registry: registry, threads: threads)
        let everything = values ?? Array(Set(nodes.flatMap(\.outputs).filter { !$0.isEmpty }))
        let hasSymbols = feedInputs.contains { $0.shape?.contains { $0.value == nil } ?? true }
        var runs: [[String: Tensor]] = []
        var feedsUsed: [[String: Tensor]] = []
        for sizes in Graph.exampleSizes.prefix(hasSymbols ? 2 : 1) {
            var feeds: [String: Tensor] = [:]
            for info in feedInputs {
                guard let dims = info.shape else {
                    throw GraphError.invalidGraph("input '\(info.name)' has unknown rank; give its shape to infer shapes")
                }
                let shape = dims.enumerated().map { i, d in d.value ?? (i == 0 ? sizes.batch : sizes.other) }
                feeds[info.name] = Tensor.zeros(shape, dtype: info.dtype)
            }
            runs.append(try exec.run(feeds, fetch: everything))
            feedsUsed.append(feeds)
        }
        // Which example value stands for which symbol.
        var symbolOf: [[Int: String]] = Array(repeating: [:], count: runs.count)
        for info in feedInputs {
            for (i, d) in (info.shape ?? []).enumerated() {
                guard case .symbol(let s) = d else { continue }
                for r in runs.indices { if let t = feedsUsed[r][info.name] { symbolOf[r][t.shape[i]] = s } }
            }
        }
        var info: [String: ValueInfo] = valueInfo
        for name in everything {
            guard let first = runs[0][name] else { continue }
            var dims = first.shape.map { Dim.fixed($0) }
            if runs.count > 1, let second = runs[1][name], second.rank == first.rank {
                for i in dims.indices where first.shape[i] != second.shape[i] {
                    let a = symbolOf[0][first.shape[i]], b = symbolOf[1][second.shape[i]]
                    if let a, a == b { dims[i] = .symbol(a) } else { dims[i] = .symbol("?") }
                }
            }
            info[name] = ValueInfo(name: name, dtype: first.dtype, shape: dims)
        }
        valueInfo = info
    }

    /// The inferred or declared shape of a value, if known.
    public func shapeOf(_ value: String) -> [Dim]? {
        if let t = initializers[value] { return t.shape.map { .fixed($0) } }
        if let v = valueInfo[value] { return v.shape }
        return inputs.first { $0.name == value }?.shape
    }
}
