import Graph

/// A Layer-wise Relevance Propagation rule: turns the relevance at a node's outputs into relevance
/// at its inputs (zennit's `Hook`).
///
/// `context.outputGrads` holds the relevance arriving at each output; `context.needs[i]` says which
/// inputs the walk wants relevance for. Return one entry per node input (nil = none).
public protocol LRPRule: Sendable, CustomStringConvertible {
    func propagate(definition: OpDefinition, context: BackwardContext) throws -> [Tensor?]
}

extension LRPRule {
    func mismatch(_ ctx: BackwardContext, _ reason: String) -> LRPError {
        .ruleMismatch(node: ctx.node.name, op: ctx.node.qualifiedOp, rule: description, reason: reason)
    }

    /// The op's VJP, or an error naming the node.
    func vjp(_ def: OpDefinition, _ ctx: BackwardContext) throws -> OpDefinition.VJP {
        guard let v = def.vjp else { throw mismatch(ctx, "the op has no gradient (VJP) registered") }
        return v
    }
}

/// zennit `Pass`: the relevance at the output goes unchanged to the single data input
/// (element-wise activations, un-merged BatchNormalization).
public struct PassRule: LRPRule {
    public init() {}
    public var description: String { "Pass" }

    public func propagate(definition: OpDefinition, context ctx: BackwardContext) throws -> [Tensor?] {
        let wanted = ctx.needs.indices.filter { ctx.needs[$0] }
        guard let r = ctx.outputGrads.first else { return ctx.needs.map { _ in nil } }
        guard wanted.count <= 1 else {
            throw mismatch(ctx, "Pass needs a single data input, but inputs \(wanted) all depend on the explained input")
        }
        var out = [Tensor?](repeating: nil, count: ctx.inputs.count)
        if let i = wanted.first {
            guard let x = ctx.inputs[i], x.shape == r.shape else {
                throw mismatch(ctx, "input #\(i) has shape \(ctx.inputs[i]?.shape ?? []), the output \(r.shape)")
            }
            out[i] = r
        }
        return out
    }
}

/// zennit `Norm`: LRP-0 without parameters for ops that sum or average their
/// inputs: `R_i = x_i ⊙ VJP_i(R / stab(y))`. Residual Add splits in proportion to each branch.
public struct NormRule: LRPRule {
    public var stabilizer: Stabilizer
    public init(stabilizer: Stabilizer = Stabilizer()) { self.stabilizer = stabilizer }
    public var description: String { "Norm(\(stabilizer))" }

    public func propagate(definition: OpDefinition, context ctx: BackwardContext) throws -> [Tensor?] {
        guard let r = ctx.outputGrads.first, let y = ctx.outputs.first else { return ctx.needs.map { _ in nil } }
        let s = try stabilizer.divide(r, by: y)
        let signal = BackwardContext(node: ctx.node, inputs: ctx.inputs, outputs: ctx.outputs,
                                     outputGrads: [s] + ctx.outputGrads.dropFirst(), needs: ctx.needs,
                                     threads: ctx.threads, opset: ctx.opset)
        let grads = try vjp(definition, ctx)(signal)
        return try ctx.inputs.indices.map { i in
            guard i < grads.count, ctx.needs[i], let c = grads[i], let x = ctx.inputs[i] else { return nil }
            return try LRPMath.zip(x, c) { $0 * $1 }
        }
    }
}

/// The op's own VJP: routing ops (MaxPool: winner takes all; Reshape, Flatten, Concat, Split, ...)
/// move relevance to the inputs it came from without loss. Also zennit's behaviour for any layer
/// the composite gives no rule.
public struct GradientRule: LRPRule {
    public init() {}
    public var description: String { "Gradient" }

    public func propagate(definition: OpDefinition, context ctx: BackwardContext) throws -> [Tensor?] {
        try vjp(definition, ctx)(ctx)
    }
}
