import Synchronization

/// A per-channel `Mul` and/or `Add` by constants after a `Conv`, folded into its weights and bias
/// (what exporters leave of a batch normalisation, e.g. Keras through tf2onnx:
/// Conv -> Mul(scale) -> Add(shift)). Only at `ComputePrecision.fast`: the folded product
/// (x·(W·s)) + (b·s + t) rounds differently from ((x·W) + b)·s + t.
struct AffineFold: Sendable {
    /// Constant inputs: the scale (Mul) and shift (Add), each nil when that node is absent.
    var scale: String?, shift: String?
    /// The last absorbed node's output (what the Conv step now produces).
    var output: String
}

extension Executor {
    /// The Mul / Add chain after the Conv at `step` that can be folded into it: each of its nodes
    /// the only consumer of the value before it, none of those values fetched or fed, the other
    /// operand a graph initializer (not fed) of one value per output channel.
    func affineFold(step: Int, _ order: [Int], soleUse: (String, Int) -> Int?, feeds: [String: Tensor])
        -> (fold: AffineFold, steps: [Int])? {
        let conv = graph.nodes[order[step]]
        guard precision == .fast, conv.opType == "Conv", OpRegistry.canonicalDomain(conv.domain) == "",
              definitions[order[step]].extensions[FusedActivation.extensionKey] is FusedActivationKernel,
              conv.outputs.count == 1, conv.inputs.count >= 2,
              let w = constant(conv.inputs[1], feeds), w.rank >= 3, w.dtype == .float32 else { return nil }
        if conv.inputs.count > 2, !conv.inputs[2].isEmpty, constant(conv.inputs[2], feeds) == nil { return nil }
        let channels = w.shape[0], rank = w.rank
        var fold = AffineFold(scale: nil, shift: nil, output: conv.outputs[0]), steps: [Int] = []
        var last = step
        for op in ["Mul", "Add"] {
            guard let next = soleUse(fold.output, last) else { break }
            let node = graph.nodes[order[next]]
            guard node.opType == op, OpRegistry.canonicalDomain(node.domain) == "", node.inputs.count == 2,
                  node.outputs.count == 1, !node.outputs[0].isEmpty,
                  let k = node.inputs.firstIndex(of: fold.output), node.inputs[1 - k] != fold.output,
                  let p = constant(node.inputs[1 - k], feeds), perChannel(p, channels: channels, rank: rank)
            else { continue }
            if op == "Mul" { fold.scale = node.inputs[1 - k] } else { fold.shift = node.inputs[1 - k] }
            fold.output = node.outputs[0]
            steps.append(next)
            last = next
        }
        return steps.isEmpty ? nil : (fold, steps)
    }

    /// A graph initializer that no feed overrides.
    private func constant(_ name: String, _ feeds: [String: Tensor]) -> Tensor? {
        name.isEmpty || feeds[name] != nil ? nil : graph.initializers[name]
    }

    /// `p` broadcasts against [N, channels, spatial...] (rank `rank`) along the channel axis only,
    /// or is a single value; float32.
    private func perChannel(_ p: Tensor, channels: Int, rank: Int) -> Bool {
        guard p.dtype == .float32, p.rank <= rank else { return false }
        if p.count == 1 { return true }
        let padded = [Int](repeating: 1, count: rank - p.rank) + p.shape
        return padded[1] == channels && padded.enumerated().allSatisfy { $0.offset == 1 || $0.element == 1 }
    }
}

/// Folded Conv parameters, computed once per node and executor (the same arrays on every run, so
/// the Winograd weight cache keeps working).
final class AffineFoldCache: Sendable {
    /// Node index and the folded inputs' names: a run that fetches a value inside the chain folds less.
    private struct Key: Hashable { var node: Int; var scale: String?; var shift: String? }
    private let entries = Mutex<[Key: (weight: Tensor, bias: Tensor)]>([:])

    /// W'[m] = W[m]·s[m], b'[m] = b[m]·s[m] + t[m] for node `node` with arguments `args` (X, W, B?),
    /// scale `scale` and shift `shift` (one value per channel or a single value; absent: 1 and 0).
    func folded(node: Int, args: [Tensor?], _ fold: AffineFold, scale: Tensor?, shift: Tensor?) throws
        -> (weight: Tensor, bias: Tensor) {
        let key = Key(node: node, scale: fold.scale, shift: fold.shift)
        if let hit = entries.withLock({ $0[key] }) { return hit }
        guard args.count >= 2, let w = args[1], w.rank >= 1 else { throw GraphError.kernel("folded Conv has no weight") }
        let m = w.shape[0], per = m == 0 ? 0 : w.count / m
        let wv = try w.floats()
        let bv = try (args.count > 2 ? args[2] : nil).map { try $0.floats() } ?? [Float](repeating: 0, count: m)
        guard bv.count == m else { throw GraphError.invalidShape("Conv bias has \(bv.count) values for \(m) output channels") }
        func values(_ t: Tensor?, _ absent: Float) throws -> [Float] {
            guard let t else { return [Float](repeating: absent, count: m) }
            let v = try t.floats()
            if v.count == 1 { return [Float](repeating: v[0], count: m) }
            guard v.count == m else { throw GraphError.invalidShape("folded \(t.shape) does not match \(m) output channels") }
            return v
        }
        let s = try values(scale, 1), t = try values(shift, 0)
        var w2 = wv, b2 = bv
        for c in 0..<m {
            for j in 0..<per { w2[c * per + j] = wv[c * per + j] * s[c] }
            b2[c] = bv[c] * s[c] + t[c]
        }
        let result = (try Tensor(shape: w.shape, floats: w2), try Tensor(shape: [m], floats: b2))
        entries.withLock { $0[key] = result }
        return result
    }
}
