import Graph

/// Replaces initializers of `graph` by the tensors of the same name in `weights` (for example an
/// `.npz` saved from a PyTorch `state_dict`, applied to the ONNX export of the same model).
///
/// Keys are matched by exact name (torch.onnx may rename initializers, e.g. `onnx::Conv_123`; such
/// graphs need weights saved under those names). Keys that are not initializers of the graph,
/// weights whose shape or dtype differ from the initializer's, and — with `requireAll` — float
/// initializers that `weights` lacks are all listed in one `WeightsMismatchError`. Keys ending in
/// `num_batches_tracked` are ignored. On error the graph is left unchanged.
public func applyWeights(_ weights: [String: Tensor], to graph: inout Graph, file: String, requireAll: Bool = false) throws {
    var error = WeightsMismatchError(file: file, target: "graph '\(graph.name)'", missing: [], unexpected: [], misfits: [])
    var updated = graph.initializers
    for key in weights.keys.sorted() {
        guard let w = weights[key] else { continue }
        guard let current = graph.initializers[key] else {
            if !key.hasSuffix("num_batches_tracked") { error.unexpected.append(key) }
            continue
        }
        guard current.shape == w.shape, current.dtype == w.dtype else {
            error.misfits.append(.init(key: key, expected: WeightsMismatchError.describe(current.shape, current.dtype),
                                       got: WeightsMismatchError.describe(w.shape, w.dtype)))
            continue
        }
        updated[key] = w
    }
    if requireAll {
        for key in graph.initializers.keys.sorted() where weights[key] == nil {
            guard let t = graph.initializers[key], t.dtype == .float32 else { continue }
            error.missing.append((key, WeightsMismatchError.describe(t.shape, t.dtype)))
        }
    }
    guard error.isEmpty else { throw error }
    graph.initializers = updated
}
