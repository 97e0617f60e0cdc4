import Synchronization

/// A run plan compiled to slots: every value name the run touches gets an index into one array
/// of tensors, and each step carries what the run loop would otherwise look up by name per node
/// (its input and output slots, the initializer behind each input, the values to free after it,
/// whether it may run in place, the fused node it runs). A small network's forward is ~100 nodes
/// of a few microseconds each, where hashing value names was a tenth of the time.
struct CompiledPlan: Sendable {
    enum Kind: Sendable {
        /// The node's own op (the node may be a rewritten Conv that reads a folded Pad's input).
        case plain
        /// Another op's definition runs the node (a fused GELU chain).
        case replaced(OpDefinition)
        /// The op computes a following activation and / or a folded per-channel Mul / Add itself.
        case fused(activation: FusedActivation?, affine: AffineFold?, scale: Tensor?, shift: Tensor?, runNode: Node)
    }

    /// A class so the run loop takes one reference per step instead of copying its fields.
    final class Step: Sendable {
        /// Index of the graph node (and of its definition).
        let index: Int
        let node: Node
        let kind: Kind
        /// Slot of each input (-1: optional input not given) and the graph initializer of that name
        /// (used while the slot is empty, as the run by names did).
        let inputs: [Int]
        let initializers: [Tensor?]
        /// Slot of each output (-1: unnamed); a fused step writes only `outputs[0]`, the last
        /// absorbed node's output.
        let outputs: [Int]
        /// Slots whose last use this step is (not fetched, not fed).
        let frees: [Int]
        /// The op may overwrite input 0: an intermediate value at its last use, not fetched, fed or
        /// a weight, and not also one of the other inputs.
        let inPlace: Bool
        let opset: Int
        /// What the kernel derived from the node's attributes and input shapes (`OpMemo`).
        let memo = OpMemo()
        /// The kernel the step calls, looked up once: the definition's `forward` (`.plain`,
        /// `.replaced`), or its fused-activation kernel (`.fused`; the ReLU-only form when the op
        /// has no other), so a run copies no definition and casts no extension per node.
        let forward: OpDefinition.Forward
        let fusedForward: FusedActivationKernel.Forward?
        /// A `.fused` step's folded weight and bias, once computed (`AffineFoldCache`).
        let folded = Mutex<(weight: Tensor, bias: Tensor)?>(nil)

        init(index: Int, node: Node, kind: Kind, inputs: [Int], initializers: [Tensor?], outputs: [Int], frees: [Int],
             inPlace: Bool, opset: Int, definition: OpDefinition) {
            self.index = index; self.node = node; self.kind = kind; self.inputs = inputs
            self.initializers = initializers; self.outputs = outputs; self.frees = frees; self.inPlace = inPlace
            self.opset = opset
            switch kind {
            case .plain: forward = definition.forward; fusedForward = nil
            case .replaced(let replacement): forward = replacement.forward; fusedForward = nil
            case .fused:
                forward = definition.forward
                if let kernel = definition.extensions[FusedActivation.extensionKey] as? FusedActivationKernel {
                    fusedForward = kernel.forward
                } else if let forwardReLU = definition.forwardReLU {
                    fusedForward = { ctx, _ in try forwardReLU(ctx) }
                } else {
                    fusedForward = nil
                }
            }
        }
    }

    var steps: [Step] = []
    /// Slot of every value name the run touches.
    var slots: [String: Int] = [:]
}

/// The executor's run plans, by the targets, the fed value names and the precision (the plan
/// reads names only, never fed values). Bounded: past 256 plans it starts over.
final class RunPlanCache: Sendable {
    struct Key: Hashable, Sendable { var targets: [String]; var feeds: [String]; var precision: ComputePrecision }
    private let plans = Mutex<[Key: CompiledPlan]>([:])

    func get(_ key: Key) -> CompiledPlan? { plans.withLock { $0[key] } }
    func put(_ key: Key, _ plan: CompiledPlan) {
        plans.withLock { map in
            if map.count >= 256 { map.removeAll() }
            map[key] = plan
        }
    }
}

extension Executor {
    /// The plan for `targets` from `feeds` (by name), compiled once and cached: a method runs the
    /// same plan hundreds of times.
    func compiledPlan(targets: [String], feeds: [String: Tensor]) -> CompiledPlan {
        let key = RunPlanCache.Key(targets: targets, feeds: feeds.keys.sorted(), precision: precision)
        if let hit = planCache.get(key) { return hit }
        let order = graph.nodesNeeded(for: Set(targets), given: Set(feeds.keys))
        // Last use and number of uses of each value among the nodes that run, so it can be freed
        // (and a Conv -> activation pair fused).
        var lastUse: [String: Int] = [:], uses: [String: Int] = [:]
        for (step, i) in order.enumerated() {
            for v in graph.nodes[i].inputs where !v.isEmpty { lastUse[v] = step; uses[v, default: 0] += 1 }
        }
        let keep = Set(targets)
        let fused = planFusions(order, lastUse: &lastUse, uses: uses, keep: keep, feeds: feeds)
        let plan = compile(order, lastUse: lastUse, keep: keep, fused: fused, feeds: feeds, targets: targets)
        planCache.put(key, plan)
        return plan
    }

    private func compile(_ order: [Int], lastUse: [String: Int], keep: Set<String>, fused: FusionPlan,
                         feeds: [String: Tensor], targets: [String]) -> CompiledPlan {
        var plan = CompiledPlan()
        func slot(_ v: String) -> Int {
            if v.isEmpty { return -1 }
            if let s = plan.slots[v] { return s }
            plan.slots[v] = plan.slots.count
            return plan.slots.count - 1
        }
        for name in feeds.keys.sorted() { _ = slot(name) }
        for (step, i) in order.enumerated() where !fused.skipped.contains(step) {
            let original = graph.nodes[i]
            var node = fused.rewritten[step] ?? original
            var kind = CompiledPlan.Kind.plain
            var outputs = node.outputs.map(slot)
            var opset = graph.opset(of: node.domain)
            if let (replacement, definition) = fused.replaced[step] {
                node = replacement
                kind = .replaced(definition)
                outputs = node.outputs.map(slot)
                opset = max(20, graph.opset(of: node.domain))
            } else if fused.activation[step] != nil || fused.affine[step] != nil {
                let into = fused.activation[step], affine = fused.affine[step]
                var runNode = node
                if affine != nil {
                    runNode.inputs = [node.inputs[0], node.inputs[1], node.inputs.count > 2 && !node.inputs[2].isEmpty
                                      ? node.inputs[2] : node.inputs[1] + ".folded_bias"]
                }
                let out = into.map { graph.nodes[$0.node].outputs[0] } ?? affine?.output ?? node.outputs[0]
                kind = .fused(activation: into?.activation, affine: affine,
                              scale: affine?.scale.flatMap { graph.initializers[$0] },
                              shift: affine?.shift.flatMap { graph.initializers[$0] }, runNode: runNode)
                outputs = [slot(out)]
            }
            let inputs = node.inputs.map(slot)
            let initializers = node.inputs.map { $0.isEmpty ? nil : graph.initializers[$0] }
            let frees = Set(node.inputs.filter { !$0.isEmpty && lastUse[$0] == step && !keep.contains($0) && feeds[$0] == nil })
                .compactMap { plan.slots[$0] }.sorted()
            var inPlace = false
            if case .plain = kind, fused.rewritten[step] == nil, definitions[i].inPlace != nil,
               let v = node.inputs.first, !v.isEmpty, node.outputs.count == 1, !node.outputs[0].isEmpty,
               lastUse[v] == step, !keep.contains(v), feeds[v] == nil, graph.initializers[v] == nil,
               !node.inputs.dropFirst().contains(v) {
                inPlace = true
            }
            plan.steps.append(CompiledPlan.Step(index: i, node: node, kind: kind, inputs: inputs, initializers: initializers,
                                                outputs: outputs, frees: frees, inPlace: inPlace,
                                                opset: opset, definition: definitions[i]))
        }
        for t in targets { _ = slot(t) }
        return plan
    }
}
