/// `MatMul(A, B) -> Add(·, bias)` run as one step (fast precision), when the product's op has a
/// `BiasedProductKernel`, B is a constant matrix [K, N] (not fed), the bias a constant float
/// vector of N values (not fed), and the product has no other use and is neither fetched nor fed.
/// A bias of another shape (a row bias, a rank that would broadcast the product up) leaves the
/// pair alone. Fast precision only: the kernel adds the bias block by block, in the same float
/// operation as the Add (so the values match, but the reference precision keeps the graph as it is).
extension Executor {
    func biasedProductPattern(step: Int, _ order: [Int], soleUse: (String, Int) -> Int?, feeds: [String: Tensor])
        -> (node: Node, definition: OpDefinition, addStep: Int)? {
        let mm = graph.nodes[order[step]]
        guard precision == .fast, mm.opType == "MatMul", OpRegistry.canonicalDomain(mm.domain) == "",
              mm.inputs.count == 2, mm.outputs.count == 1, let v = mm.outputs.first, !v.isEmpty,
              let kernel = definitions[order[step]].extensions[BiasedProductKernel.extensionKey] as? BiasedProductKernel,
              feeds[mm.inputs[1]] == nil, let w = graph.initializers[mm.inputs[1]], w.rank == 2, w.dtype == .float32,
              let s = soleUse(v, step), case let add = graph.nodes[order[s]],
              add.opType == "Add", OpRegistry.canonicalDomain(add.domain) == "", add.inputs.count == 2,
              add.outputs.count == 1, !add.outputs[0].isEmpty,
              let k = add.inputs.firstIndex(of: v), add.inputs[1 - k] != v, case let biasName = add.inputs[1 - k],
              feeds[biasName] == nil, let bias = graph.initializers[biasName], bias.dtype == .float32,
              bias.rank == 1, bias.count == w.shape[1]
        else { return nil }
        let node = Node(name: mm.name, opType: mm.opType, domain: mm.domain, inputs: [mm.inputs[0], mm.inputs[1], biasName],
                        outputs: add.outputs)
        let definition = OpDefinition(opType: "MatMul") { ctx in [try kernel.forward(ctx)] }
        return (node, definition, s)
    }
}
