import Graph

/// zennit's `BasicHook` (docs/methods.md, "LRP rules") for nodes with the LRP role `.linear(weight:bias:)`:
///
/// 1. for each branch m, modified input `x_m`, weight `W_m` and bias `b_m`; run the op's own
///    forward: `z_m = op(x_m; W_m, b_m)`;
/// 2. gradient mapper: output-side signals `s_m = g_m(R_out, z_1..z_M)`;
/// 3. back-projection with the op's own VJP w.r.t. input 0 under the modified parameters:
///    `c_m = VJP_m(s_m)`;
/// 4. reducer: `R_in = reduce(x_1..x_M, c_1..c_M)`.
///
/// Because steps 1 and 3 call the op's registered forward and VJP, every rule works for any op
/// with the `.linear` role (Conv, ConvTranspose, Gemm, MatMul, custom ops) without op-specific code.
public struct BasicHook: LRPRule {
    /// How one branch modifies the input and the parameters.
    public struct Branch: Sendable {
        /// x -> x_m (the tensor has the batch dimension first).
        public var input: @Sendable (Tensor) throws -> Tensor
        /// Element-wise weight modifier.
        public var weight: @Sendable (Float) -> Float
        /// Element-wise bias modifier; nil sets the bias to zero in this branch.
        public var bias: (@Sendable (Float) -> Float)?

        public init(input: @escaping @Sendable (Tensor) throws -> Tensor, weight: @escaping @Sendable (Float) -> Float,
                    bias: (@Sendable (Float) -> Float)?) {
            self.input = input; self.weight = weight; self.bias = bias
        }
    }
    /// (R_out, [z_m]) -> [s_m]; nil where a branch's signal is zero (its back-projection is skipped).
    public typealias GradientMapper = @Sendable (_ relevance: Tensor, _ outputs: [Tensor]) throws -> [Tensor?]
    /// ([x_m], [c_m]) -> R_in; c_m is nil where the branch's signal was nil (read it as zero).
    public typealias Reducer = @Sendable (_ inputs: [Tensor], _ gradients: [Tensor?]) throws -> Tensor

    public var name: String
    public var branches: [Branch]
    public var gradientMapper: GradientMapper
    public var reducer: Reducer

    public init(name: String, branches: [Branch], gradientMapper: @escaping GradientMapper, reducer: @escaping Reducer) {
        self.name = name; self.branches = branches; self.gradientMapper = gradientMapper; self.reducer = reducer
    }

    public var description: String { name }

    /// A linear-role node whose weight is computed from the input (`softmax(QKᵀ) @ V`, a dynamic
    /// kernel) is a product of two signals, not a layer with parameters: it gets `GateRule`
    /// (ε = 1e-6) instead, which holds the gate operand constant.
    public func resolved(node index: Int, in graph: Graph, registry: OpRegistry) -> any LRPRule {
        let node = graph.nodes[index]
        guard case .linear(let wi, _)? = registry.lookup(node, in: graph)?.lrp, wi < node.inputs.count,
              !node.inputs[wi].isEmpty, graph.initializers[node.inputs[wi]] == nil,
              !GateFinder.constantValues(graph).contains(node.inputs[wi]) else { return self }
        return GateRule().resolved(node: index, in: graph, registry: registry)
    }

    public func propagate(definition: OpDefinition, context ctx: BackwardContext) throws -> [Tensor?] {
        var result = [Tensor?](repeating: nil, count: ctx.inputs.count)
        guard case .linear(let wi, let bi)? = definition.lrp else {
            throw mismatch(ctx, "it needs an op with the LRP role .linear(weight:bias:), the op has \(definition.lrp.map { "\($0)" } ?? "none")")
        }
        guard wi < ctx.inputs.count, let w = ctx.inputs[wi] else { throw mismatch(ctx, "weight input #\(wi) is missing") }
        guard !ctx.needs[wi] else { throw mismatch(ctx, "weight input #\(wi) is not a constant (it depends on the explained input)") }
        guard ctx.needs.first == true else { return result }
        guard let r = ctx.outputGrads.first else { return result }
        let x = try ctx.input(0)
        let bias: Tensor? = bi.flatMap { $0 < ctx.inputs.count ? ctx.inputs[$0] : nil }
        if let bi, bi < ctx.needs.count, ctx.needs[bi] {
            throw mismatch(ctx, "bias input #\(bi) is not a constant (it depends on the explained input)")
        }
        let vjp = try vjp(definition, ctx)

        var modified: [[Tensor?]] = [], xs: [Tensor] = [], zs: [Tensor] = []
        for br in branches {
            var inputs = ctx.inputs
            let xm = try br.input(x)
            inputs[0] = xm
            inputs[wi] = try LRPMath.map(w, br.weight)
            if let bi, let b = bias {
                inputs[bi] = try br.bias.map { try LRPMath.map(b, $0) } ?? Tensor.zeros(b.shape)
            }
            let outs = try definition.forward(ctx.forwardContext(inputs: inputs))
            guard let z = outs.first, z.shape == r.shape else {
                throw mismatch(ctx, "modified forward gave shape \(outs.first?.shape ?? []), relevance has \(r.shape)")
            }
            modified.append(inputs); xs.append(xm); zs.append(z)
        }
        let signals = try gradientMapper(r, zs)
        guard signals.count == branches.count else { throw mismatch(ctx, "gradient mapper gave \(signals.count) signals for \(branches.count) branches") }
        var needs = [Bool](repeating: false, count: ctx.inputs.count)
        needs[0] = true
        var cs: [Tensor?] = []
        for (m, s) in signals.enumerated() {
            guard let s else { cs.append(nil); continue }
            let bctx = ctx.with(inputs: modified[m], outputs: [zs[m]], outputGrads: [s], needs: needs)
            let g = try vjp(bctx)
            guard let c = g.first ?? nil, c.shape == x.shape else {
                throw mismatch(ctx, "the op's VJP gave no gradient of input shape \(x.shape)")
            }
            cs.append(c)
        }
        result[0] = try reducer(xs, cs)
        return result
    }
}
