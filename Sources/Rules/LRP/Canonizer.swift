import Foundation
import Graph

/// A graph rewrite that leaves the graph's outputs unchanged but makes LRP rules apply cleanly
/// (zennit's canonizers). Value names are preserved, so seeds and read values still refer to
/// the same tensors.
public protocol Canonizer: Sendable, CustomStringConvertible {
    func apply(to graph: Graph) throws -> Graph
}

/// zennit's `SequentialMergeBatchNorm` / `MergeBatchNorm`: a BatchNormalization whose
/// input comes straight from a Conv, ConvTranspose or Gemm (and feeds nothing else) is folded into
/// that layer's weight and bias:
///
///     scale = γ / sqrt(var + eps);  W' = W · scale (output-channel axis);  b' = (b − μ)·scale + β
///
/// and the BatchNormalization node becomes an Identity (same node name, same values), as zennit
/// turns the BN into the identity. Nothing else changes; patterns that do not fit (shared or
/// non-constant parameters, a Gemm bias that is not per column) are left as they are.
public struct MergeBatchNorm: Canonizer {
    public init() {}
    public var description: String { "MergeBatchNorm" }

    public func apply(to graph: Graph) throws -> Graph {
        var g = graph
        let producers = graph.producers(), consumers = graph.consumers()
        let outputs = Set(graph.outputs.map(\.name))
        for (bi, bn) in graph.nodes.enumerated() where bn.qualifiedOp == "BatchNormalization" {
            guard bn.inputs.count >= 5, bn.outputs.filter({ !$0.isEmpty }).count == 1,
                  try bn.attr("training_mode", default: 0) == 0 else { continue }
            let x = bn.inputs[0]
            guard let li = producers[x], consumers[x]?.count == 1, !outputs.contains(x) else { continue }
            let lin = g.nodes[li]
            guard ["Conv", "ConvTranspose", "Gemm"].contains(lin.qualifiedOp), lin.outputs.first == x else { continue }
            let params = bn.inputs[1...4].compactMap { graph.initializers[$0] }.filter { $0.dtype == .float32 }
            guard params.count == 4, lin.inputs.count >= 2,
                  let w = graph.initializers[lin.inputs[1]], w.dtype == .float32 else { continue }
            let (gamma, beta, mean, variance) = (params[0].floatValues(), params[1].floatValues(),
                                                  params[2].floatValues(), params[3].floatValues())
            let eps: Float = try bn.attr("epsilon", default: 1e-5)
            let channels = gamma.count
            guard beta.count == channels, mean.count == channels, variance.count == channels else { continue }
            let scale = (0..<channels).map { gamma[$0] / (variance[$0] + eps).squareRoot() }
            guard let merged = try Self.merge(lin, weight: w, bias: lin.inputs.count > 2 && !lin.inputs[2].isEmpty
                                              ? graph.initializers[lin.inputs[2]] : nil,
                                              hasBiasInput: lin.inputs.count > 2 && !lin.inputs[2].isEmpty,
                                              scale: scale, beta: beta, mean: mean) else { continue }
            let wName = Self.freshName("\(lin.inputs[1]).bn_merged", in: g)
            g.initializers[wName] = merged.weight
            let bName = Self.freshName("\(lin.name).bn_merged_bias", in: g)
            g.initializers[bName] = merged.bias
            var newLin = lin
            newLin.inputs[1] = wName
            if newLin.inputs.count > 2 { newLin.inputs[2] = bName } else { newLin.inputs.append(bName) }
            if lin.qualifiedOp == "Gemm" { newLin.attributes["beta"] = .float(1) }
            g.nodes[li] = newLin
            g.nodes[bi] = Node(name: bn.name, opType: "Identity", inputs: [x], outputs: [bn.outputs[0]])
        }
        return g
    }

    /// The folded weight and bias, or nil when the layer's layout does not allow folding.
    static func merge(_ lin: Node, weight w: Tensor, bias: Tensor?, hasBiasInput: Bool,
                      scale: [Float], beta: [Float], mean: [Float]) throws -> (weight: Tensor, bias: Tensor)? {
        let m = scale.count
        if hasBiasInput && bias == nil { return nil }  // bias is computed, not a constant
        var wv = try w.floats()
        var b = [Float](repeating: 0, count: m)
        switch lin.qualifiedOp {
        case "Conv":
            guard w.rank >= 2, w.shape[0] == m else { return nil }
            let per = w.count / m
            for o in 0..<m { for j in 0..<per { wv[o * per + j] *= scale[o] } }
            if let bias { guard bias.count == m else { return nil }; b = bias.floatValues() }
        case "ConvTranspose":
            let group: Int = try lin.attr("group", default: 1)
            guard w.rank >= 2, group > 0, w.shape[0] % group == 0, w.shape[1] * group == m else { return nil }
            let cin = w.shape[0], outPer = w.shape[1], k = w.count / (cin * outPer), inPer = cin / group
            for c in 0..<cin { for j in 0..<outPer {
                let o = (c / inPer) * outPer + j
                for t in 0..<k { wv[(c * outPer + j) * k + t] *= scale[o] }
            } }
            if let bias { guard bias.count == m else { return nil }; b = bias.floatValues() }
        case "Gemm":
            guard w.rank == 2 else { return nil }
            let transB: Int = try lin.attr("transB", default: 0)
            let cBeta: Float = try lin.attr("beta", default: 1)
            let (rows, cols) = (w.shape[0], w.shape[1])
            if transB != 0 {
                guard rows == m else { return nil }
                for o in 0..<m { for j in 0..<cols { wv[o * cols + j] *= scale[o] } }
            } else {
                guard cols == m else { return nil }
                for r in 0..<rows { for o in 0..<m { wv[r * cols + o] *= scale[o] } }
            }
            if let bias {
                let v = bias.floatValues()
                let perColumn = bias.rank <= 2 && (bias.rank < 2 || bias.shape[0] == 1)
                guard perColumn, v.count == m || v.count == 1 else { return nil }
                b = (0..<m).map { cBeta * v[v.count == 1 ? 0 : $0] }
            }
        default:
            return nil
        }
        let folded = (0..<m).map { (b[$0] - mean[$0]) * scale[$0] + beta[$0] }
        return (Tensor(unchecked: w.shape, floats: wv), Tensor(unchecked: [m], floats: folded))
    }

    static func freshName(_ base: String, in g: Graph) -> String {
        var name = base, k = 1
        let used = Set(g.nodes.flatMap { $0.inputs + $0.outputs }).union(g.initializers.keys)
        while used.contains(name) { k += 1; name = "\(base)\(k)" }
        return name
    }
}
