import Graph

/// Turns `LayerSpec`s into value names of a graph.
///
/// `auto` is the last spatial feature map on the path to the explained output:
/// 1. the input of the last global pooling node (GlobalAveragePool, GlobalMaxPool, or a
///    ReduceMean / ReduceMax / ReduceSum over both spatial axes of an NCHW or NHWC value, or over
///    the tokens of a token map): ResNet's `layer4`, MobileNet's last `features` block, a Keras
///    model's last activation;
/// 2. for a transformer that reads its class token: the output of the last LayerNormalization
///    before the last token-mixing MatMul (ViT / DeiT `blocks[-1].norm1`, the layer
///    pytorch-grad-cam's documentation uses: after it, only the class token reaches the output);
/// 3. else the last 4-D value with more than one spatial position (VGG's last `features` MaxPool,
///    skipping pools that keep the spatial size, such as VGG's exported AdaptiveAvgPool).
/// A value produced by a layout Transpose is replaced by the Transpose's input, so tf2onnx's
/// NHWC copies of NCHW convolution outputs resolve to the convolution output itself.
public enum LayerResolver {
    /// Value names for `specs`, in order, without duplicates.
    public static func resolve(_ specs: [LayerSpec], model: ExplainModel, output: String? = nil) throws -> [String] {
        guard !specs.isEmpty else { throw ExplainError("no layer given") }
        var names: [String] = []
        for s in specs {
            let name: String
            switch s {
            case .named(let n):
                guard model.graph.producers()[n] != nil || model.graph.inputs.contains(where: { $0.name == n }) else {
                    throw ExplainError("layer '\(n)' is not a value of the graph '\(model.graph.name)' on the way to '\(output ?? model.outputName)'" + suggestion(n, in: model.graph))
                }
                name = n
            case .auto:
                name = try auto(model: model, output: output ?? model.outputName)
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The `auto` layer for `output`.
    public static func auto(model: ExplainModel, output: String) throws -> String {
        let graph = model.graph
        let ancestors = graph.nodesNeeded(for: [output], given: [model.inputName])
        let values = ancestors.flatMap { graph.nodes[$0].outputs }.filter { !$0.isEmpty }
        let shapes = model.layerShapes(values)
        let producers = shapes.producers
        let dims = shapes.dims, form = shapes.form
        func throughLayout(_ v: String) -> String {
            guard let p = producers[v], graph.nodes[p].opType == "Transpose", let x = graph.nodes[p].inputs.first,
                  let d = dims(x), d.count == 4, form(x) == .nchw else { return v }
            return x
        }
        // 1. The input of the last global pooling node.
        for i in ancestors.reversed() {
            let n = graph.nodes[i]
            guard let v = n.inputs.first, !v.isEmpty else { continue }
            if isGlobalPool(n, graph: graph, form: form(v)) { return throughLayout(v) }
        }
        // 2. Transformers: the last LayerNormalization before the last token-mixing MatMul.
        let mixing = ancestors.last { i in
            let n = graph.nodes[i]
            return n.opType == "MatMul" && n.inputs.count == 2 && n.inputs.allSatisfy { graph.initializers[$0] == nil && producers[$0] != nil }
                && (dims(n.outputs[0])?.count ?? 0) >= 3
        }
        if let m = mixing {
            let before = ancestors.filter { $0 < m }
            if let ln = before.last(where: { i in
                let n = graph.nodes[i]
                guard n.opType == "LayerNormalization", let o = n.outputs.first, case .tokens = form(o) else { return false }
                return true
            }) { return graph.nodes[ln].outputs[0] }
            if let t = before.reversed().compactMap({ graph.nodes[$0].outputs.first }).first(where: { v in
                if case .tokens = form(v) { return true }; return false
            }) { return t }
        }
        // 3. The last 4-D value with more than one spatial position.
        for i in ancestors.reversed() {
            let n = graph.nodes[i]
            guard let v = n.outputs.first, let d = dims(v), d.count == 4, let f = form(v) else { continue }
            let hw = f == .nhwc ? d[1] * d[2] : d[2] * d[3]
            guard hw > 1 else { continue }
            if ["AveragePool", "MaxPool"].contains(n.opType), let x = n.inputs.first, let xd = dims(x), xd == d { return throughLayout(x) }
            return throughLayout(v)
        }
        throw ExplainError("cannot find a spatial feature map before '\(output)' for --layer auto; name a layer (cfcam inspect lists the values)")
    }

    static func isGlobalPool(_ n: Node, graph: Graph, form: GraphAdapters.LayerForm?) -> Bool {
        guard n.domain.isEmpty else { return false }
        switch n.opType {
        case "GlobalAveragePool", "GlobalMaxPool": return true
        case "ReduceMean", "ReduceMax", "ReduceSum":
            // Canonical form (docs/canonical-ops.md): the axes are input 1.
            guard n.inputs.count > 1, let axesTensor = graph.initializers[n.inputs[1]], let form else { return false }
            switch form {
            case .nchw: return Set(axesTensor.intValues().map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3]
            case .nhwc: return Set(axesTensor.intValues().map { $0 < 0 ? $0 + 4 : $0 }) == [1, 2]
            case .tokens: return Set(axesTensor.intValues().map { $0 < 0 ? $0 + 3 : $0 }) == [1]
            }
        default: return false
        }
    }

    private static func suggestion(_ name: String, in graph: Graph) -> String {
        let hits = graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty && $0.contains(name) }.prefix(5)
        return hits.isEmpty ? " (cfcam inspect lists the values)" : "; did you mean \(hits.joined(separator: ", "))?"
    }
}
