import Graph

/// Turns `LayerSpec`s into value names of a graph.
///
/// `auto` is the input of the last global pooling node on the way to the output (GlobalAveragePool,
/// GlobalMaxPool, or a ReduceMean/ReduceMax/ReduceSum over both spatial axes): ResNet's `layer4`,
/// MobileNet's last `features` block. For networks without global pooling (VGG), it is the last
/// 4-D value with more than one spatial position that the output depends on (VGG's last
/// `features` MaxPool), skipping pools that keep the spatial size (VGG's exported AdaptiveAvgPool).
/// Shapes come from `Graph.inferShapes` on a copy when the graph has none for the candidates.
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
                    throw ExplainError("layer '\(n)' is not a value of the graph '\(model.graph.name)'" + suggestion(n, in: model.graph))
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
        // 1. The input of the last global pooling node.
        for i in ancestors.reversed() {
            let n = graph.nodes[i]
            if isGlobalPool(n, graph: graph), let v = n.inputs.first, !v.isEmpty { return v }
        }
        // 2. The last 4-D value with more than one spatial position.
        let candidates = ancestors.compactMap { graph.nodes[$0].outputs.first }.filter { !$0.isEmpty }
        var g = graph
        if candidates.contains(where: { g.shapeOf($0) == nil }) {
            try g.inferShapes(registry: model.registry, threads: model.threads, values: candidates)
        }
        for i in ancestors.reversed() {
            let n = graph.nodes[i]
            guard let v = n.outputs.first, let dims = g.shapeOf(v), dims.count == 4 else { continue }
            let hw = (dims[2].value ?? 2) * (dims[3].value ?? 2)
            guard hw > 1 else { continue }
            if ["AveragePool", "MaxPool"].contains(n.opType), let x = n.inputs.first, let xd = g.shapeOf(x),
               xd.count == 4, xd[2] == dims[2], xd[3] == dims[3] { return x }
            return v
        }
        throw ExplainError("cannot find a spatial feature map before '\(output)' for --layer auto; name a layer")
    }

    static func isGlobalPool(_ n: Node, graph: Graph) -> Bool {
        guard n.domain.isEmpty else { return false }
        switch n.opType {
        case "GlobalAveragePool", "GlobalMaxPool": return true
        case "ReduceMean", "ReduceMax", "ReduceSum":
            // Canonical form (docs/canonical-ops.md): the axes are input 1.
            guard n.inputs.count > 1, let axes = graph.initializers[n.inputs[1]] else { return false }
            return Set(axes.intValues().map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3]
        default: return false
        }
    }

    private static func suggestion(_ name: String, in graph: Graph) -> String {
        let hits = graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty && $0.contains(name) }.prefix(5)
        return hits.isEmpty ? " (cfcam inspect lists the values)" : "; did you mean \(hits.joined(separator: ", "))?"
    }
}
