import Graph

extension ExplainModel {
    /// The model with an NCHW view of every layer in `layers` that is channels-last ([N, h, w, C])
    /// or a token map ([N, T, C] with class / distillation tokens first), and the names methods
    /// read, in order (an NCHW layer is its own view). See `GraphAdapters`.
    public func withViews(of layers: [String]) throws -> (model: ExplainModel, names: [String]) {
        let forms = try layerForms(layers)
        guard forms.contains(where: { $0.form != .nchw }) else { return (self, layers) }
        var g = graph
        var names: [String] = []
        for (l, f) in zip(layers, forms) {
            let (ng, view) = try GraphAdapters.nchwView(g, value: l, form: f.form, channels: f.channels)
            g = ng; names.append(view)
        }
        return (try replacingGraph(g), names)
    }

    /// The layout of each layer, from its inferred shape.
    func layerForms(_ layers: [String]) throws -> [(form: GraphAdapters.LayerForm, channels: Int)] {
        let shapes = layerShapes(layers)
        return try layers.map { l in
            guard let dims = shapes.graph.shapeOf(l), let d = shapes.dims(l) else {
                throw ExplainError("cannot tell the shape of layer '\(l)' (shape inference failed); CAM methods need a spatial feature map")
            }
            guard let form = shapes.form(l) else {
                throw ExplainError("layer '\(l)' has shape [\(dims.map(\.description).joined(separator: ", "))]; layer methods need a spatial feature map: [N, C, h, w], [N, h, w, C] or a token map [N, T, C] whose patch tokens form a square grid")
            }
            switch form {
            case .nchw: return (form, d[1])
            case .nhwc, .tokens: return (form, d[d.count - 1])
            }
        }
    }

    /// Shapes and layer forms of `values`, inferred on a copy of the graph when it lacks them.
    func layerShapes(_ values: [String]) -> LayerShapes {
        var g = graph
        if values.contains(where: { g.shapeOf($0)?.dropFirst().contains { $0.value == nil } ?? true }) {
            try? g.inferShapes(registry: registry, threads: threads, values: values)
        }
        return LayerShapes(graph: g, producers: graph.producers(), layout: layout)
    }
}

/// Value shapes of a graph (symbolic dims: 1 for the batch, 2 elsewhere) and the layer form each implies.
struct LayerShapes {
    let graph: Graph
    let producers: [String: Int]
    let layout: InputLayout

    func dims(_ v: String) -> [Int]? { graph.shapeOf(v)?.enumerated().map { i, d in d.value ?? (i == 0 ? 1 : 2) } }

    func form(_ v: String) -> GraphAdapters.LayerForm? {
        guard let d = dims(v) else { return nil }
        return GraphAdapters.form(dims: d, producer: producers[v].map { graph.nodes[$0] }, inputLayout: layout)
    }
}
