/// The exact GELU as PyTorch exports it at opsets below 20:
/// `Div(x, √2) -> Erf -> Add(·, 1) -> Mul(x, ·) -> Mul(·, 0.5)`, five passes over the tensor, run as
/// one `Gelu` node (the registry's, which vectorises erf at the fast precision). Fast precision
/// only: `0.5·x·(1 + erf(x·(1/√2)))` rounds differently from the chain. Every intermediate value
/// must have a single use and be neither fetched nor fed; the constants must be graph initializers.
extension Executor {
    func geluPattern(step: Int, _ order: [Int], soleUse: (String, Int) -> Int?, feeds: [String: Tensor])
        -> (node: Node, definition: OpDefinition, steps: [Int], x: String)? {
        let div = graph.nodes[order[step]]
        guard precision == .fast, isOp(div, "Div"), div.inputs.count == 2, let x = div.inputs.first, !x.isEmpty,
              scalar(div.inputs[1], feeds, near: 1.4142135623730951),
              let s1 = soleUse(div.outputs[0], step), case let erf = graph.nodes[order[s1]],
              isOp(erf, "Erf"), erf.inputs == [div.outputs[0]],
              let s2 = soleUse(erf.outputs[0], s1), case let add = graph.nodes[order[s2]],
              isOp(add, "Add"), other(add, erf.outputs[0]).map({ scalar($0, feeds, near: 1) }) == true,
              let s3 = soleUse(add.outputs[0], s2), case let mul = graph.nodes[order[s3]],
              isOp(mul, "Mul"), other(mul, add.outputs[0]) == x,
              let s4 = soleUse(mul.outputs[0], s3), case let half = graph.nodes[order[s4]],
              isOp(half, "Mul"), other(half, mul.outputs[0]).map({ scalar($0, feeds, near: 0.5) }) == true,
              let definition = registry.lookup(domain: "", opType: "Gelu", opset: max(20, graph.opset(of: "")))
        else { return nil }
        let node = Node(name: div.name, opType: "Gelu", inputs: [x], outputs: half.outputs)
        return (node, definition, [s1, s2, s3, s4], x)
    }

    /// A default-domain node of type `op` with one output.
    private func isOp(_ n: Node, _ op: String) -> Bool {
        n.opType == op && OpRegistry.canonicalDomain(n.domain) == "" && n.outputs.count == 1 && !n.outputs[0].isEmpty
    }

    /// The other input of a two-input node, one of whose inputs is `v`.
    private func other(_ n: Node, _ v: String) -> String? {
        guard n.inputs.count == 2 else { return nil }
        if n.inputs[0] == v && n.inputs[1] != v { return n.inputs[1] }
        if n.inputs[1] == v && n.inputs[0] != v { return n.inputs[0] }
        return nil
    }

    /// Whether `name` is a float32 scalar initializer (not fed) within float rounding of `value`.
    private func scalar(_ name: String, _ feeds: [String: Tensor], near value: Double) -> Bool {
        guard feeds[name] == nil, let t = graph.initializers[name], t.dtype == .float32, t.count == 1,
              let v = try? t.floats().first else { return false }
        return abs(Double(v) - value) <= 1e-6 * abs(value)
    }
}
