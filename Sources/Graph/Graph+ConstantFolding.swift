/// Constant folding of the shape sub-graphs exporters emit (Shape -> Gather -> Unsqueeze -> Concat
/// -> Reshape, Constant chains, weight-side arithmetic), so the graph methods walk is the network.
///
/// Nodes whose inputs are all constant are evaluated once with their own kernels. `Shape` of a value
/// whose shape is known becomes a constant; a symbolic dimension (the batch) is carried as a
/// sentinel through pure data-movement ops only. A `Reshape` whose target shape then holds the batch
/// symbol at the same position as its input is rewritten to copy that dimension (`0`), which is
/// exact for every batch size; any other use of a symbolic value stays computed at run time.
extension Graph {
    /// Sentinel encoding of symbolic dimension `k` inside folded int64 tensors.
    static func sentinel(_ k: Int) -> Int64 { -7_000_000_000_000 - Int64(k) }
    static func isSentinel(_ v: Int64) -> Bool { v <= -7_000_000_000_000 && v > -7_000_000_001_000 }
    /// Ops that only move int64 elements around, so a sentinel survives them unchanged.
    static let sentinelSafeOps: Set<String> = ["Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Identity", "Reshape", "Flatten"]
    /// Folded tensors larger than this stay computed at run time.
    static let maxFoldedElements = 1 << 24

    /// Folds constant sub-graphs and removes nodes nothing uses. Needs `inferShapes` first for
    /// `Shape` nodes (without it, only all-constant chains fold). Graph outputs are unchanged.
    public mutating func foldConstants(registry: OpRegistry) {
        var known: [String: Tensor] = initializers
        var symbolic = Set<String>()
        var symbolIndex: [String: Int] = [:]
        var folded = Set<Int>()
        for (i, node) in nodes.enumerated() {
            guard node.domain.isEmpty || node.domain == "ai.onnx" else { continue }
            if node.opType == "Shape", node.inputs.count == 1, node.outputs.count == 1,
               let dims = shapeOf(node.inputs[0]) {
                let values = dims.map { d -> Int64 in
                    switch d {
                    case .fixed(let v): return Int64(v)
                    case .symbol(let s):
                        if let k = symbolIndex[s] { return Graph.sentinel(k) }
                        symbolIndex[s] = symbolIndex.count; return Graph.sentinel(symbolIndex[s] ?? 0)
                    }
                }
                guard let sliced = Graph.sliceShape(values, node: node) else { continue }
                known[node.outputs[0]] = Tensor.vector(sliced)
                if sliced.contains(where: Graph.isSentinel) { symbolic.insert(node.outputs[0]) }
                folded.insert(i)
                continue
            }
            let ins = node.inputs.filter { !$0.isEmpty }
            guard !ins.isEmpty || node.opType == "Constant", ins.allSatisfy({ known[$0] != nil }) else { continue }
            let anySymbolic = ins.contains { symbolic.contains($0) }
            if anySymbolic && !Graph.sentinelSafeOps.contains(node.opType) { continue }
            guard let def = registry.lookup(node, in: self) else { continue }
            let args: [Tensor?] = node.inputs.map { $0.isEmpty ? nil : known[$0] }
            guard let outs = try? Executor.call(def, node: node, args: args, threads: 1, opset: opset(of: node.domain)),
                  outs.count >= node.outputs.filter({ !$0.isEmpty }).count,
                  outs.allSatisfy({ $0.count <= Graph.maxFoldedElements }) else { continue }
            if anySymbolic {
                // A sentinel must come out as an int64 element, untouched.
                guard outs.allSatisfy({ $0.dtype == .int64 }) else { continue }
            }
            for (k, o) in node.outputs.enumerated() where !o.isEmpty && k < outs.count {
                known[o] = outs[k]
                if anySymbolic, let v = try? outs[k].ints(), v.contains(where: Graph.isSentinel) { symbolic.insert(o) }
            }
            folded.insert(i)
        }
        guard !folded.isEmpty else { return }
        materialize(known: known, symbolic: symbolic, symbolIndex: symbolIndex, folded: folded)
    }

    /// Shape's start / end attributes applied to the dims.
    private static func sliceShape(_ dims: [Int64], node: Node) -> [Int64]? {
        let r = dims.count
        guard let s0 = try? node.attr("start", default: 0), let e0 = try? node.attr("end", default: r) else { return nil }
        let s = min(max(s0 < 0 ? s0 + r : s0, 0), r), e = min(max(e0 < 0 ? e0 + r : e0, 0), r)
        return s < e ? Array(dims[s..<e]) : []
    }

    /// Turns folded values used by remaining nodes into initializers, rewrites symbolic Reshape
    /// targets, keeps the producers of symbolic values that can't be rewritten, then prunes.
    private mutating func materialize(known: [String: Tensor], symbolic: Set<String>, symbolIndex: [String: Int], folded: Set<Int>) {
        let symbolName = Dictionary(uniqueKeysWithValues: symbolIndex.map { (Graph.sentinel($0.value), $0.key) })
        let producer = producers()
        var keepRuntime = Set<Int>()
        var newInitializers: [String: Tensor] = [:]
        func keepChain(_ v: String) {
            guard let p = producer[v], folded.contains(p), keepRuntime.insert(p).inserted else { return }
            for u in nodes[p].inputs where symbolic.contains(u) { keepChain(u) }
        }
        for (i, node) in nodes.enumerated() where !folded.contains(i) {
            for (k, v) in node.inputs.enumerated() where known[v] != nil && initializers[v] == nil {
                guard let t = known[v] else { continue }
                if !symbolic.contains(v) { newInitializers[v] = t; continue }
                if node.opType == "Reshape", k == 1, let rewritten = reshapeTarget(t, node: node, symbolName: symbolName) {
                    let name = "\(node.name)__folded_shape"
                    newInitializers[name] = rewritten
                    nodes[i].inputs[1] = name
                } else {
                    keepChain(v)
                }
            }
        }
        // Values the kept runtime chains need from folded non-symbolic nodes.
        for p in keepRuntime {
            for v in nodes[p].inputs where known[v] != nil && !symbolic.contains(v) && initializers[v] == nil {
                newInitializers[v] = known[v]
            }
        }
        for o in outputs where known[o.name] != nil && !symbolic.contains(o.name) { newInitializers[o.name] = known[o.name] }
        for (k, v) in newInitializers { initializers[k] = v }
        nodes = nodes.enumerated().filter { !folded.contains($0.offset) || keepRuntime.contains($0.offset) }.map(\.element)
        prune()
    }

    /// The Reshape target with each symbolic entry replaced by 0 ("copy the input's dim"), when the
    /// input has the same symbol at that position and allowzero is off; nil otherwise.
    private func reshapeTarget(_ t: Tensor, node: Node, symbolName: [Int64: String]) -> Tensor? {
        guard let v = try? t.ints(), (try? node.attr("allowzero", default: 0)) == 0,
              let inDims = shapeOf(node.inputs[0]) else { return nil }
        var out = v
        for (j, e) in v.enumerated() where Graph.isSentinel(e) {
            guard j < inDims.count, case .symbol(let s) = inDims[j], s != "?", symbolName[e] == s else { return nil }
            out[j] = 0
        }
        return Tensor(unchecked: t.shape, ints: out)
    }

    /// Removes nodes whose outputs nothing uses, and initializers nothing reads (graph inputs stay).
    public mutating func prune() {
        var used = Set(outputs.map(\.name))
        var keep = [Bool](repeating: false, count: nodes.count)
        for i in nodes.indices.reversed() {
            let n = nodes[i]
            if n.outputs.contains(where: { used.contains($0) }) {
                keep[i] = true
                for v in n.inputs where !v.isEmpty { used.insert(v) }
            }
        }
        nodes = nodes.indices.filter { keep[$0] }.map { nodes[$0] }
        let inputNames = Set(inputs.map(\.name))
        initializers = initializers.filter { used.contains($0.key) || inputNames.contains($0.key) }
    }
}
