extension Graph {
    /// Orders `nodes` so every node comes after the producers of its inputs (stable: keeps the file's
    /// order where it is already valid). Throws for cycles, values produced twice, and inputs that
    /// nothing provides, naming the nodes involved.
    public mutating func sort() throws {
        var available = Set(inputs.map(\.name)).union(initializers.keys)
        available.insert("")
        var producer: [String: Int] = [:]
        for (i, n) in nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if producer[o] != nil || available.contains(o) {
                    throw GraphError.inNode(node: n.name, op: n.qualifiedOp,
                                            underlying: .invalidGraph("value '\(o)' is produced more than once"))
                }
                producer[o] = i
            }
        }
        for n in nodes {
            for v in n.inputs where !available.contains(v) && producer[v] == nil {
                throw GraphError.inNode(node: n.name, op: n.qualifiedOp,
                                        underlying: .invalidGraph("input '\(v)' is not a graph input, initializer or node output"))
            }
        }
        // Kahn's algorithm, picking the lowest original index first.
        var pending = [Int](repeating: 0, count: nodes.count)
        var dependents: [[Int]] = Array(repeating: [], count: nodes.count)
        for (i, n) in nodes.enumerated() {
            for v in Set(n.inputs) where !available.contains(v) {
                if let p = producer[v] { pending[i] += 1; dependents[p].append(i) }
            }
        }
        var ready = MinHeap<Int>()
        for i in nodes.indices where pending[i] == 0 { ready.push(i) }
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        while let i = ready.pop() {
            order.append(i)
            for d in dependents[i] { pending[d] -= 1; if pending[d] == 0 { ready.push(d) } }
        }
        if order.count != nodes.count {
            let stuck = nodes.indices.filter { pending[$0] > 0 }.prefix(8).map { nodes[$0].name }
            throw GraphError.invalidGraph("the graph has a cycle through nodes \(stuck.joined(separator: ", "))")
        }
        nodes = order.map { nodes[$0] }
        for o in outputs where !available.contains(o.name) && producer[o.name] == nil {
            throw GraphError.invalidGraph("graph output '\(o.name)' is not produced by any node")
        }
    }

    /// Indices of the nodes needed to compute `targets` when the values in `given` are supplied.
    /// Nodes are returned in graph order.
    public func nodesNeeded(for targets: Set<String>, given: Set<String>) -> [Int] {
        let producer = producers()
        var needed = Set<Int>()
        var stack = Array(targets)
        var seen = Set<String>()
        while let v = stack.popLast() {
            guard !v.isEmpty, !seen.contains(v) else { continue }
            seen.insert(v)
            if given.contains(v) || initializers[v] != nil { continue }
            guard let p = producer[v] else { continue }
            if needed.insert(p).inserted { stack.append(contentsOf: nodes[p].inputs) }
        }
        return needed.sorted()
    }
}

/// Small binary min-heap (used by the topological sort).
struct MinHeap<T: Comparable> {
    private var a: [T] = []
    mutating func push(_ x: T) {
        a.append(x); var i = a.count - 1
        while i > 0 { let p = (i - 1) / 2; if a[p] <= a[i] { break }; a.swapAt(p, i); i = p }
    }
    mutating func pop() -> T? {
        guard !a.isEmpty else { return nil }
        a.swapAt(0, a.count - 1); let top = a.removeLast(); var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1; var m = i
            if l < a.count && a[l] < a[m] { m = l }
            if r < a.count && a[r] < a[m] { m = r }
            if m == i { break }
            a.swapAt(i, m); i = m
        }
        return top
    }
}
