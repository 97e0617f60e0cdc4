import Graph

/// CAM (Zhou et al. 2016; docs/methods.md, "cam"): the weights of the linear layer after global average pooling,
/// map = Σ_k W_{c,k} A_k. The bias is not used; the shared ReLU is applied (as torch-cam; the paper
/// has none).
///
/// The layer must feed a GlobalAveragePool (or ReduceMean over the spatial axes) whose result,
/// after Flatten/Reshape/Squeeze/Identity/Dropout, is the data input of a Gemm (or MatMul) with a
/// constant weight that produces the target output. Generalised to any target: w_k = Σ_j s_j W_{j,k},
/// where s = dScore/dOutput (the one-hot of the class for class targets, e_A − e_B for a contrast).
public struct ClassActivationMap: ChannelWeightCAM {
    public static let entry = MethodRegistry.Entry(
        name: "cam", summary: "CAM: weights of the linear layer after global average pooling", kind: .layer) { _ in ClassActivationMap() }
    public init() {}
    public var usesGradients: Bool { false }

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let graph = context.model.graph
        let output = context.model.outputName(for: context.request.target)
        let head = try ClassActivationMap.linearHead(graph: graph, layer: layer.name, output: output)
        let (_, seed) = try context.capture.targets.seed(for: context.capture.outputs)
        let s = try seed.floats()
        let a = layer.activation
        guard head.inFeatures == a.k, seed.count == a.n * head.outFeatures else {
            throw ExplainError("CAM: the linear layer after '\(layer.name)' maps \(head.inFeatures) features to \(head.outFeatures), the layer has \(a.k) channels and the output \(seed.shape)")
        }
        var weights = [Float](repeating: 0, count: a.n * a.k)
        for b in 0..<a.n {
            for j in 0..<head.outFeatures where s[b * head.outFeatures + j] != 0 {
                let sj = s[b * head.outFeatures + j]
                for c in 0..<a.k { weights[b * a.k + c] += sj * head.weight(out: j, in: c) }
            }
        }
        return weights
    }

    /// The linear layer of a GAP → (flatten) → linear head starting at `layer`.
    struct LinearHead {
        let values: [Float]
        let inFeatures: Int, outFeatures: Int
        /// Weight stored [out, in] (Gemm transB = 1) or [in, out].
        let outMajor: Bool
        func weight(out j: Int, in c: Int) -> Float { outMajor ? values[j * inFeatures + c] : values[c * outFeatures + j] }
    }

    static func linearHead(graph: Graph, layer: String, output: String) throws -> LinearHead {
        let consumers = graph.consumers()
        func only(_ v: String) -> Node? {
            guard let c = consumers[v], c.count == 1 else { return nil }
            return graph.nodes[c[0]]
        }
        let fail = ExplainError("CAM needs '\(layer)' to feed global average pooling and then a linear layer producing '\(output)'; use gradcam (identical for such heads) otherwise")
        guard let pool = only(layer), pool.opType == "GlobalAveragePool" || (pool.opType == "ReduceMean" && LayerResolver.isGlobalPool(pool, graph: graph, form: .nchw)),
              var v = pool.outputs.first else { throw fail }
        var node = only(v)
        while let n = node, ["Flatten", "Reshape", "Squeeze", "Identity", "Dropout"].contains(n.opType), let o = n.outputs.first {
            v = o; node = only(o)
        }
        guard let lin = node, lin.inputs.first == v, lin.outputs.first == output, lin.inputs.count >= 2,
              let w = graph.initializers[lin.inputs[1]], w.rank == 2 else { throw fail }
        let values = try w.floats()
        switch lin.opType {
        case "Gemm":
            let transA: Int = try lin.attr("transA", default: 0), transB: Int = try lin.attr("transB", default: 0)
            let alpha: Float = try lin.attr("alpha", default: 1)
            guard transA == 0 else { throw fail }
            let scaled = alpha == 1 ? values : values.map { $0 * alpha }
            return transB != 0 ? LinearHead(values: scaled, inFeatures: w.shape[1], outFeatures: w.shape[0], outMajor: true)
                               : LinearHead(values: scaled, inFeatures: w.shape[0], outFeatures: w.shape[1], outMajor: false)
        case "MatMul":
            return LinearHead(values: values, inFeatures: w.shape[0], outFeatures: w.shape[1], outMajor: false)
        default:
            throw fail
        }
    }
}
