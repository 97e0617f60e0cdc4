import Graph

/// LRP through a product of a signal and a gate (the `.product` role: Mul, Div; also a MatMul or
/// other linear-role op whose "weight" is computed, as `attention @ V`).
///
/// The gate is held constant and receives no relevance; the signal `s` gets the ε-rule through the
/// linear map `s ↦ y = f(s; gate)`:
///
///     R_s = s ⊙ VJP_s(R / stab(y))
///
/// computed with the op's own VJP, so broadcasting (a squeeze-excite gate [N, C, 1, 1] on
/// [N, C, H, W]) and matrix products need no op-specific code. For an element-wise product the
/// result is `R · y / stab(y)`: relevance passes unchanged (up to ε). This is the treatment of
/// gates in LSTM LRP (Arras et al. 2017, "signal takes all") and of attention and gating in
/// Ali et al. 2022 (the AH-rule: the softmax attention matrix is a constant, relevance flows to V).
///
/// Which operand is the gate:
/// - `gate` given explicitly (a composite entry for the node): that one;
/// - else, resolved per node from the graph: an operand that is a graph constant (a scale); for
///   Div the divisor; otherwise the operand produced by a bounded squashing op, found through
///   reshapes, broadcasts and constant shifts or scales: Sigmoid, HardSigmoid and Softmax rank
///   above Tanh, Erf and a two-sided Clip, which rank above anything else. The strictly
///   higher-ranked operand is the gate (`x * Sigmoid(x)`, squeeze-excite, LSTM gates,
///   `x * HardSigmoid(x)`, Mish `x * Tanh(Softplus(x))`, the decomposed GELU
///   `x * (1 + Erf(x / √2))`).
/// - When both operands carry relevance and neither can be told to be the gate, propagation
///   throws `LRPError.ambiguousGate` naming the node; with only one operand on the relevance path,
///   that one is the signal.
public struct GateRule: LRPRule {
    public var stabilizer: Stabilizer
    /// The operand index that acts as the gate; nil: resolved from the graph per node.
    public var gate: Int?
    /// Filled in by `resolved`: the graph's gate operand, or why none could be identified.
    var identified: GateFinder.Result?

    public init(stabilizer: Stabilizer = Stabilizer(), gate: Int? = nil) {
        self.stabilizer = stabilizer; self.gate = gate
    }

    public var description: String { "Gate(\(stabilizer)\(gate.map { ", gate #\($0)" } ?? ""))" }

    public func resolved(node index: Int, in graph: Graph, registry: OpRegistry) -> any LRPRule {
        guard gate == nil else { return self }
        var r = self
        r.identified = GateFinder(graph: graph, registry: registry).identify(node: index)
        return r
    }

    public func propagate(definition: OpDefinition, context ctx: BackwardContext) throws -> [Tensor?] {
        var result = [Tensor?](repeating: nil, count: ctx.inputs.count)
        guard let r = ctx.outputGrads.first, let y = ctx.outputs.first else { return result }
        let wanted = ctx.needs.indices.filter { ctx.needs[$0] }
        guard !wanted.isEmpty else { return result }
        let signal: Int
        if let gate {
            guard gate < ctx.inputs.count else { throw mismatch(ctx, "gate operand #\(gate) does not exist") }
            guard let s = ctx.inputs.indices.first(where: { $0 != gate && ctx.inputs[$0] != nil }) else {
                throw mismatch(ctx, "no operand besides the gate #\(gate)")
            }
            signal = s
        } else {
            switch identified {
            case .gate(let g)?:
                guard let s = wanted.first(where: { $0 != g }) else { return result }  // only the gate is on the path
                signal = s
            case .unknown(let reason)?:
                guard wanted.count == 1 else {
                    throw LRPError.ambiguousGate(node: ctx.node.name, op: ctx.node.qualifiedOp, reason: reason)
                }
                signal = wanted[0]
            case nil:
                guard wanted.count == 1 else {
                    throw LRPError.ambiguousGate(node: ctx.node.name, op: ctx.node.qualifiedOp,
                                                 reason: "the rule was not resolved against the graph")
                }
                signal = wanted[0]
            }
        }
        guard ctx.needs[signal] else { return result }
        let s = try stabilizer.divide(r, by: y)
        var needs = [Bool](repeating: false, count: ctx.inputs.count)
        needs[signal] = true
        let grads = try vjp(definition, ctx)(ctx.with(outputGrads: [s] + ctx.outputGrads.dropFirst(), needs: needs))
        guard signal < grads.count, let c = grads[signal], let x = ctx.inputs[signal], c.shape == x.shape else {
            throw mismatch(ctx, "the op's VJP gave no gradient for the signal operand #\(signal)")
        }
        result[signal] = try LRPMath.zip(x, c) { $0 * $1 }
        return result
    }
}

/// Finds the gate operand of a product node from the graph's structure (see `GateRule`).
struct GateFinder {
    enum Result: Sendable, Equatable {
        /// This operand is the gate.
        case gate(Int)
        /// Why no operand could be identified.
        case unknown(String)
    }

    let graph: Graph
    let registry: OpRegistry
    let producers: [String: Int]
    let constants: Set<String>

    init(graph: Graph, registry: OpRegistry) {
        self.graph = graph; self.registry = registry
        producers = graph.producers()
        constants = GateFinder.constantValues(graph)
    }

    /// Values computed from initializers alone (initializers, Constant nodes and ops on them).
    /// Nodes are in topological order.
    static func constantValues(_ graph: Graph) -> Set<String> {
        var c = Set(graph.initializers.keys)
        let fed = Set(graph.inputs.map(\.name))
        c.subtract(fed)
        for n in graph.nodes where n.inputs.allSatisfy({ $0.isEmpty || c.contains($0) }) {
            for o in n.outputs where !o.isEmpty { c.insert(o) }
        }
        return c
    }

    /// Ops that pass values through unchanged up to shape (followed when looking for the gate).
    static let transparent: Set<String> = ["Reshape", "Unsqueeze", "Squeeze", "Flatten", "Expand", "Tile",
                                           "Identity", "Dropout", "Transpose", "Cast"]
    /// Binary ops that, with one constant operand, only shift or scale the other.
    static let affine: Set<String> = ["Add", "Sub", "Mul", "Div"]

    func identify(node index: Int) -> Result {
        let node = graph.nodes[index]
        let role = registry.lookup(node, in: graph)?.lrp
        let operands = node.inputs.indices.filter { !node.inputs[$0].isEmpty }
        let signals: [Int]
        switch role {
        case .product(let s)?: signals = s
        case .linear(let w, _)?: signals = [0, w]
        default: signals = operands.count == 2 ? operands : []
        }
        guard operands.count >= 2 else { return .unknown("it has \(operands.count) operand(s), a product needs two") }
        if signals.count == 1, let g = operands.first(where: { $0 != signals[0] }) { return .gate(g) }
        let variable = operands.filter { !constants.contains(node.inputs[$0]) }
        if variable.count < operands.count, let g = operands.first(where: { constants.contains(node.inputs[$0]) }) {
            return .gate(g)
        }
        guard variable.count == 2 else { return .unknown("\(variable.count) of its operands are computed") }
        let ranked = variable.map { (operand: $0, rank: gateRank(node.inputs[$0])) }
        let (a, b) = (ranked[0], ranked[1])
        if a.rank.rank != b.rank.rank { return .gate(a.rank.rank > b.rank.rank ? a.operand : b.operand) }
        let what = a.rank.rank == 0 ? "neither operand comes from a gating op (Sigmoid, HardSigmoid, Softmax, Tanh, Erf, Clip)"
            : "both operands come from gating ops (\(a.rank.op ?? "?"), \(b.rank.op ?? "?"))"
        return .unknown(what)
    }

    /// How gate-like the op producing `value` is, looking through transparent and affine ops:
    /// 2 for [0, 1]-valued gates, 1 for other bounded squashing ops, 0 otherwise.
    func gateRank(_ value: String) -> (rank: Int, op: String?) {
        var v = value
        for _ in 0..<64 {
            guard let p = producers[v] else { return (0, nil) }
            let n = graph.nodes[p]
            let op = OpRegistry.canonicalDomain(n.domain).isEmpty ? n.opType : n.qualifiedOp
            switch op {
            case "Sigmoid", "HardSigmoid", "Softmax": return (2, op)
            case "Tanh", "Erf": return (1, op)
            case "Clip":
                let bounded = n.inputs.count >= 3 && !n.inputs[1].isEmpty && !n.inputs[2].isEmpty
                    || n.attributes["min"] != nil && n.attributes["max"] != nil
                return bounded ? (1, op) : (0, op)
            default:
                if GateFinder.transparent.contains(op), let x = n.inputs.first, !x.isEmpty { v = x; continue }
                if GateFinder.affine.contains(op), n.inputs.count == 2 {
                    let free = n.inputs.filter { !$0.isEmpty && !constants.contains($0) }
                    // For Div only the numerator counts (x / c); c / x is not a shift or scale.
                    if free.count == 1, op != "Div" || free[0] == n.inputs[0] { v = free[0]; continue }
                }
                return (0, op)
            }
        }
        return (0, nil)
    }
}
