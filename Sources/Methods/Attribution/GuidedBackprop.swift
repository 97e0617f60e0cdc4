import Graph

/// Guided backpropagation (Springenberg et al. 2015, "Striving for simplicity"; pytorch-grad-cam
/// `GuidedBackpropReLUModel`; docs/methods.md, "guidedbackprop"): d score / d input, [N, C, H, W],
/// where every rectifier passes back only positive gradient at positive inputs:
/// grad_in = grad_out · [x > 0] · [grad_out > 0].
///
/// The walk itself is the ordinary gradient walk; only the op registry differs
/// (`guidedRegistry`): a copy whose `Relu` definition carries the guided VJP, and whose `Clip`
/// applies it when its lower bound is the constant 0 (ReLU6 and other clipped rectifiers; the
/// upper bound keeps Clip's own rule, a gradient only where x <= max). pytorch-grad-cam swaps only
/// `torch.nn.ReLU` modules, so on a model whose rectifiers are all ReLUs the two agree, and a
/// ReLU6 (MobileNet) stays an ordinary Clip there.
///
/// Cost: 1 F to resolve the target, then 1 F + 1 B.
public struct GuidedBackprop: ExplanationMethod {
    public init() {}

    public static let entry = MethodRegistry.Entry(
        name: "guidedbackprop", summary: "Guided backpropagation: the input gradient through guided ReLUs, [N, C, H, W]",
        kind: .input, output: .gradient) { _ in GuidedBackprop() }

    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        _ = try request.inputSize()
        let guided = try GuidedBackprop.guided(model)
        let rows = try TargetRows(request.target, input: request.input, model: guided)
        return try guided.gradient(request.input, rows: rows).gradient
    }

    /// The same model whose gradient walks use `guidedRegistry` (forwards are unchanged).
    static func guided(_ model: ExplainModel) throws -> ExplainModel {
        let registry = guidedRegistry(model.registry, opset: model.graph.opset(of: ""))
        return try ExplainModel(prepared: model.graph, registry: registry, threads: model.threads, input: model.inputName,
                                native: model.nativeInputName, layout: model.layout, output: model.output, batch: model.batch)
    }

    /// A copy of `registry` in which `Relu`, and `Clip` with a constant lower bound of 0, have the
    /// guided VJP (at `opset` of the default domain). Op types without a definition are left out.
    public static func guidedRegistry(_ registry: OpRegistry, opset: Int) -> OpRegistry {
        var r = registry
        if var relu = registry.lookup(domain: "", opType: "Relu", opset: opset) {
            relu.vjp = { ctx in try guidedGradient(ctx, upper: .infinity) }
            r.register(relu)
        }
        if var clip = registry.lookup(domain: "", opType: "Clip", opset: opset) {
            let plain = clip.vjp
            clip.vjp = { ctx in
                if let lo = ctx.inputs.count > 1 ? ctx.inputs[1] : nil, lo.count == 1, (try? lo.floats())?.first == 0 {
                    let hi = ctx.inputs.count > 2 ? ctx.inputs[2] : nil
                    return try guidedGradient(ctx, upper: try hi?.floats().first ?? .infinity)
                }
                guard let plain else { throw GraphError.kernel("op has no gradient (VJP) registered") }
                return try plain(ctx)
            }
            r.register(clip)
        }
        return r
    }

    /// grad_in = grad_out · [0 < x <= upper] · [grad_out > 0] for input 0; nothing for the others.
    static func guidedGradient(_ ctx: BackwardContext, upper: Float) throws -> [Tensor?] {
        var out = [Tensor?](repeating: nil, count: ctx.inputs.count)
        guard ctx.needs.first == true, let x = ctx.inputs.first ?? nil, x.dtype == .float32,
              let g = ctx.outputGrads.first else { return out }
        let xv = try x.floats(), gv = try g.floats()
        guard xv.count == gv.count else {
            throw GraphError.invalidShape("rectifier input \(x.shape) and output gradient \(g.shape) differ")
        }
        var d = [Float](repeating: 0, count: gv.count)
        for i in d.indices where xv[i] > 0 && xv[i] <= upper && gv[i] > 0 { d[i] = gv[i] }
        out[0] = Tensor(unchecked: x.shape, floats: d)
        return out
    }
}
