import Foundation
import Graph

/// Initial-relevance schemes for class-contrastive LRP (docs/methods.md,
/// "Initial relevance for contrastive LRP").
public enum ContrastiveMode: String, Sendable, CaseIterable {
    /// Plain LRP: `e_t`.
    case lrp
    /// Plain LRP conserving the logit: `z_t·e_t`.
    case lrpLogit = "lrp_logit"
    /// Relevance-CAM's single pass: `e_t − (1/N)(1 − e_t)` (the default inside Relevance-CAM / CF-CAM).
    case clrpRcam = "clrp_rcam"
    /// CLRP1 as Gu et al.'s code (the default of `clrp`): target `|z_t|·e_t`, dual
    /// `|z_j|` at every j ≠ t; each normalised to total 1; ReLU of the difference.
    case clrp1Gu = "clrp1_gu"
    /// CLRP1 as the SGLRP repository: target `z_t·e_t`, dual `z_t/(N−1)` at every j ≠ t;
    /// `R_t − R_d·ΣR_t/ΣR_d`.
    case clrp1Uniform = "clrp1_uniform"
    /// CLRP2: the dual propagates the same `|z_t|·e_t` with the last linear layer's weight and
    /// bias negated; normalised difference with ReLU as `clrp1_gu`. Meaningful when that layer's
    /// rule is not sign-symmetric (z⁺, as CLRP uses; ε gives the target relevance back).
    case clrp2
    /// SGLRP in one pass (linearity): `R_init = ∂softmax(z)_t/∂z = ŷ_t(δ_tn − ŷ_n)`.
    case sglrp
    /// SGLRP as the official code: target `(ŷ_t(1−ŷ_t) + 1e-8)·e_t`, dual `ŷ_t·ŷ_n` (n ≠ t),
    /// `R_t − R_d·ΣR_t/ΣR_d` (the default of `sglrp`).
    case sglrpScaled = "sglrp_scaled"
}

/// Contrastive LRP (CLRP) and softmax-gradient LRP (SGLRP) (docs/methods.md, "clrp" and "sglrp").
public enum Contrastive {
    /// The initial relevance at the logits `z` [B, N] for one target class per sample: the target
    /// seed and, for two-pass modes (`clrp1_gu`, `clrp1_uniform`, `sglrp_scaled`), the dual seed.
    /// `clrp2` returns the target seed only (its dual needs a modified graph).
    public static func initialRelevance(logits z: Tensor, targets: [Int], mode: ContrastiveMode) throws -> (target: Tensor, dual: Tensor?) {
        guard z.rank == 2 else { throw LRPError.invalidRequest("contrastive LRP needs logits [B, N], got \(z.shape)") }
        let (b, n) = (z.shape[0], z.shape[1])
        guard targets.count == b else { throw LRPError.invalidRequest("\(targets.count) targets for a batch of \(b)") }
        if let bad = targets.first(where: { $0 < 0 || $0 >= n }) { throw LRPError.invalidRequest("target class \(bad) is outside 0..<\(n)") }
        let v = try LRPMath.floats(z, "logits")
        var t = [Float](repeating: 0, count: b * n), d = [Float](repeating: 0, count: b * n)
        var twoPass = false
        for s in 0..<b {
            let row = Array(v[(s * n)..<((s + 1) * n)]), c = targets[s]
            let p = softmax(row)
            for j in 0..<n {
                let at = s * n + j, isT = j == c
                switch mode {
                case .lrp: t[at] = isT ? 1 : 0
                case .lrpLogit: t[at] = isT ? row[c] : 0
                case .clrpRcam: t[at] = isT ? 1 : -1 / Float(n)
                case .clrp1Gu: twoPass = true; t[at] = isT ? abs(row[c]) : 0; d[at] = isT ? 0 : abs(row[j])
                case .clrp1Uniform: twoPass = true; t[at] = isT ? row[c] : 0; d[at] = isT || n < 2 ? 0 : row[c] / Float(n - 1)
                case .clrp2: t[at] = isT ? abs(row[c]) : 0
                case .sglrp: t[at] = isT ? p[c] * (1 - p[c]) : -p[c] * p[j]
                case .sglrpScaled: twoPass = true; t[at] = isT ? p[c] * (1 - p[c]) + 1e-8 : 0; d[at] = isT ? 0 : p[c] * p[j]
                }
            }
        }
        return (Tensor(unchecked: [b, n], floats: t), twoPass ? Tensor(unchecked: [b, n], floats: d) : nil)
    }

    /// Contrastive relevance at every value in `read` for one target class per sample, with the
    /// explainer's composite. Single-pass modes run one backward; two-pass modes combine target and
    /// dual relevance per sample as documented on `ContrastiveMode`.
    public static func relevance(explainer ex: LRPExplainer, feeds: [String: Tensor], logits: String, targets: [Int],
                                 mode: ContrastiveMode, read: Set<String>) throws -> [String: Tensor] {
        let values = try ex.forward(feeds: feeds, seedValues: [logits], read: read)
        guard let z = values[logits] else { throw LRPError.invalidRequest("logits '\(logits)' were not computed") }
        let (target, dual) = try initialRelevance(logits: z, targets: targets, mode: mode)
        let rt = try ex.backward(values: values, seeds: [logits: target], read: read)
        var rd: [String: Tensor]
        switch mode {
        case .clrp2:
            let negated = try LRPExplainer(graph: try negatingProducer(of: logits, in: ex.graph, registry: ex.registry),
                                           registry: ex.registry, composite: ex.composite, canonizers: [], threads: ex.threads,
                                           precision: ex.precision)
            let dv = try negated.forward(feeds: feeds, seedValues: [logits], read: read)
            rd = try negated.backward(values: dv, seeds: [logits: target], read: read)
        default:
            guard let dual else { return rt }
            rd = try ex.backward(values: values, seeds: [logits: dual], read: read)
        }
        var out: [String: Tensor] = [:]
        for (name, r) in rt {
            guard let d = rd[name] else { continue }
            switch mode {
            case .clrp1Gu, .clrp2: out[name] = try normalizedDifference(r, d)
            default: out[name] = try rescaledDifference(r, d)
            }
        }
        return out
    }

    /// Per sample: `ReLU(R/ΣR − D/ΣD)` (a zero total leaves that term zero).
    public static func normalizedDifference(_ r: Tensor, _ d: Tensor) throws -> Tensor {
        let rn = try LRPMath.scalePerSample(r, try LRPMath.perSampleSums(r).map { $0 == 0 ? 0 : 1 / $0 })
        let dn = try LRPMath.scalePerSample(d, try LRPMath.perSampleSums(d).map { $0 == 0 ? 0 : 1 / $0 })
        return try LRPMath.zip(rn, dn) { max($0 - $1, 0) }
    }

    /// Per sample: `R − D·ΣR/ΣD` (D dropped where ΣD = 0).
    public static func rescaledDifference(_ r: Tensor, _ d: Tensor) throws -> Tensor {
        let sr = try LRPMath.perSampleSums(r), sd = try LRPMath.perSampleSums(d)
        let ds = try LRPMath.scalePerSample(d, zip(sr, sd).map { $1 == 0 ? 0 : $0 / $1 })
        return try LRPMath.zip(r, ds) { $0 - $1 }
    }

    /// The graph with the weight and bias of the linear node producing `value` negated (CLRP2's
    /// dual class), under fresh initializer names.
    static func negatingProducer(of value: String, in graph: Graph, registry: OpRegistry) throws -> Graph {
        guard let i = graph.producers()[value], case .linear(let wi, let bi)? = registry.lookup(graph.nodes[i], in: graph)?.lrp else {
            throw LRPError.invalidRequest("clrp2 needs the logits '\(value)' to come straight from a linear layer (Gemm, MatMul, Conv)")
        }
        var g = graph, node = graph.nodes[i]
        for k in [wi] + (bi.map { [$0] } ?? []) where k < node.inputs.count && !node.inputs[k].isEmpty {
            guard let p = graph.initializers[node.inputs[k]], p.dtype == .float32 else {
                throw LRPError.invalidRequest("clrp2: input #\(k) of '\(node.name)' is not a float constant")
            }
            let name = MergeBatchNorm.freshName("\(node.inputs[k]).negated", in: g)
            g.initializers[name] = try LRPMath.map(p) { -$0 }
            node.inputs[k] = name
        }
        g.nodes[i] = node
        return g
    }

    static func softmax(_ z: [Float]) -> [Float] {
        guard let m = z.max() else { return [] }
        let e = z.map { Foundation.exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }
}
