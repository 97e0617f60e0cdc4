import Synchronization

/// The fast forward's fusions, planned per run from the nodes that run and the values kept.
///
/// - An op with a fused-activation kernel whose output feeds only `s = Sigmoid(x)` and `Mul(x, s)`
///   computes the SiLU (`FusedActivation.silu`) itself; neither node runs.
/// - An op with a fused-activation kernel (`FusedActivationKernel`, or `forwardReLU` for a Relu)
///   whose only output feeds exactly one activation node (`FusedActivation.of`) computes that
///   node's output itself; the activation does not run.
/// - A Conv followed by a per-channel `Mul` and/or `Add` by constants folds them into its weights
///   and bias (`AffineFold`, fast precision only); an activation after them is then fused as well.
/// - PyTorch's exact-GELU chain (Div, Erf, Add, Mul, Mul) runs as one `Gelu` node (fast precision;
///   `geluPattern`).
/// - `MatMul(A, B) -> Add(·, bias)` with a constant weight matrix and bias vector runs as one biased
///   product (fast precision; `biasedProductPattern`, `BiasedProductKernel`).
/// - A zero-valued constant `Pad` of the spatial axes whose output feeds only a `Conv` (as its
///   data input, explicit pads) is folded into the Conv's own pads: the Conv reads the Pad's
///   input and the padded copy is never made.
/// A fused-away value is never one that is fetched or fed, so every value a caller asks for (a CAM
/// layer, an LRP rule's input, an `--output`) keeps its unfused value; the gradient and LRP walks
/// fetch what they need and so see the unfused graph.
struct FusionPlan: Sendable {
    /// Step -> the activation node it computes (index) and the activation.
    var activation: [Int: (node: Int, activation: FusedActivation)] = [:]
    /// Conv step -> the Mul / Add by constants folded into its weights and bias.
    var affine: [Int: AffineFold] = [:]
    /// Step -> the node to run instead (a Conv that reads a folded Pad's input with wider pads).
    var rewritten: [Int: Node] = [:]
    /// Step -> a node (and its definition) run instead of the step's own (a fused GELU chain, a
    /// MatMul with its bias Add).
    var replaced: [Int: (node: Node, definition: OpDefinition)] = [:]
    /// Steps that do not run (absorbed by another step).
    var skipped = Set<Int>()
}

extension Executor {
    /// Plans the fusions of `order` (see `FusionPlan`); extends `lastUse` of a folded Pad's input
    /// to the Conv that now reads it.
    func planFusions(_ order: [Int], lastUse: inout [String: Int], uses: [String: Int], keep: Set<String>,
                     feeds: [String: Tensor]) -> FusionPlan {
        var plan = FusionPlan()
        func soleUse(_ v: String, _ step: Int) -> Int? {
            guard !v.isEmpty, uses[v] == 1, !keep.contains(v), feeds[v] == nil, let last = lastUse[v], last > step
            else { return nil }
            return last
        }
        for (step, i) in order.enumerated() {
            let node = graph.nodes[i]
            if node.opType == "Pad", OpRegistry.canonicalDomain(node.domain) == "", node.outputs.count == 1,
               let v = node.outputs.first, let last = soleUse(v, step),
               let folded = foldedPad(node, into: graph.nodes[order[last]], feeds: feeds) {
                plan.rewritten[last] = folded
                plan.skipped.insert(step)
                if let src = node.inputs.first { lastUse[src] = max(lastUse[src] ?? last, last) }
            }
        }
        for step in order.indices where !plan.skipped.contains(step) {
            if let product = biasedProductPattern(step: step, order, soleUse: soleUse, feeds: feeds) {
                plan.replaced[step] = (product.node, product.definition)
                plan.skipped.insert(product.addStep)
                continue
            }
            if let gelu = geluPattern(step: step, order, soleUse: soleUse, feeds: feeds) {
                plan.replaced[step] = (gelu.node, gelu.definition)
                plan.skipped.formUnion(gelu.steps)
                // x's last use may have been the absorbed Mul: it is now its last remaining use.
                if let last = lastUse[gelu.x], gelu.steps.contains(last) {
                    lastUse[gelu.x] = order.indices.filter {
                        !gelu.steps.contains($0) && graph.nodes[order[$0]].inputs.contains(gelu.x)
                    }.max() ?? step
                }
            }
        }
        for step in order.indices {
            if let (fold, steps) = affineFold(step: step, order, soleUse: soleUse, feeds: feeds) {
                plan.affine[step] = fold
                plan.skipped.formUnion(steps)
            }
        }
        var consumers: [String: [Int]] = [:]
        for (step, i) in order.enumerated() {
            for v in Set(graph.nodes[i].inputs) where !v.isEmpty { consumers[v, default: []].append(step) }
        }
        for (step, i) in order.enumerated() {
            let general = definitions[i].extensions[FusedActivation.extensionKey] is FusedActivationKernel
            guard general || definitions[i].forwardReLU != nil else { continue }
            let node = graph.nodes[i]
            guard node.outputs.count == 1, let v = plan.affine[step]?.output ?? node.outputs.first else { continue }
            if general, let silu = siluPattern(v, after: step, order, consumers: consumers, lastUse: lastUse, uses: uses,
                                               keep: keep, feeds: feeds) {
                plan.activation[step] = (silu.mul, .silu)
                plan.skipped.formUnion([silu.sigmoidStep, silu.mulStep])
                continue
            }
            guard let last = soleUse(v, step) else { continue }
            let r = order[last], act = graph.nodes[r]
            guard act.inputs.first == v, !act.inputs.dropFirst().contains(where: { feeds[$0] != nil }),
                  let kind = FusedActivation.of(act, in: graph), general || kind == .relu else { continue }
            plan.activation[step] = (r, kind)
            plan.skipped.insert(last)
        }
        return plan
    }

    /// `v` (computed at `step`) feeding exactly `s = Sigmoid(v)` and `Mul(v, s)` (either order), with
    /// neither `v` nor `s` fetched or fed: the steps of both and the Mul's node index.
    private func siluPattern(_ v: String, after step: Int, _ order: [Int], consumers: [String: [Int]],
                             lastUse: [String: Int], uses: [String: Int], keep: Set<String>,
                             feeds: [String: Tensor]) -> (sigmoidStep: Int, mulStep: Int, mul: Int)? {
        guard !v.isEmpty, uses[v] == 2, !keep.contains(v), feeds[v] == nil, let steps = consumers[v], steps.count == 2
        else { return nil }
        let a = steps[0], b = steps[1]
        guard a > step, b > a else { return nil }
        let sig = graph.nodes[order[a]], mul = graph.nodes[order[b]]
        guard sig.opType == "Sigmoid", OpRegistry.canonicalDomain(sig.domain) == "", sig.inputs == [v],
              sig.outputs.count == 1, let s = sig.outputs.first, !s.isEmpty, uses[s] == 1, !keep.contains(s),
              feeds[s] == nil, lastUse[s] == b,
              mul.opType == "Mul", OpRegistry.canonicalDomain(mul.domain) == "", mul.inputs.count == 2,
              Set(mul.inputs) == [v, s], mul.outputs.count == 1, !mul.outputs[0].isEmpty else { return nil }
        return (a, b, order[b])
    }

    /// `conv` reading `pad`'s input with the pad added to its own pads, when `pad` is a constant,
    /// zero-valued Pad of the spatial axes only and `conv` has explicit pads; nil otherwise.
    private func foldedPad(_ pad: Node, into conv: Node, feeds: [String: Tensor]) -> Node? {
        guard conv.opType == "Conv", OpRegistry.canonicalDomain(conv.domain) == "", conv.inputs.first == pad.outputs[0],
              !conv.inputs.dropFirst().contains(pad.outputs[0]), let src = pad.inputs.first, !src.isEmpty else { return nil }
        let mode: String = (try? pad.attr("mode", default: "constant")) ?? ""
        let autoPad: String = (try? conv.attr("auto_pad", default: "NOTSET")) ?? ""
        guard mode == "constant", autoPad == "NOTSET" else { return nil }
        func constant(_ k: Int) -> Tensor?? {   // .some(nil): absent; nil: present but not constant
            guard k < pad.inputs.count, !pad.inputs[k].isEmpty else { return .some(nil) }
            guard feeds[pad.inputs[k]] == nil, let t = graph.initializers[pad.inputs[k]] else { return nil }
            return .some(t)
        }
        var amounts: [Int]
        if graph.opset(of: "") >= 11 {
            guard let p = constant(1), let pt = p, let ints = try? pt.ints(), let value = constant(2),
                  pad.inputs.count <= 3 || pad.inputs[3].isEmpty else { return nil }
            if let value { guard value.count == 1, let f = try? value.floats(), f[0] == 0 else { return nil } }
            amounts = ints.map { Int($0) }
        } else {
            guard let p: [Int] = try? pad.attr("pads"), ((try? pad.attr("value", default: Float(0))) ?? 1) == 0
            else { return nil }
            amounts = p
        }
        let rank = amounts.count / 2
        guard rank >= 3, amounts.count == 2 * rank, amounts.allSatisfy({ $0 >= 0 }),
              amounts[0] == 0, amounts[1] == 0, amounts[rank] == 0, amounts[rank + 1] == 0 else { return nil }
        let spatial = rank - 2
        let own: [Int] = ((try? conv.attr("pads")) ?? nil) ?? [Int](repeating: 0, count: 2 * spatial)
        guard own.count == 2 * spatial else { return nil }
        let begins = (0..<spatial).map { own[$0] + amounts[2 + $0] }
        let ends = (0..<spatial).map { own[spatial + $0] + amounts[rank + 2 + $0] }
        var folded = conv
        folded.inputs[0] = src
        folded.attributes["pads"] = .ints(begins + ends)
        return folded
    }
}
