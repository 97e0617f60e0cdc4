import Graph

/// One way in for every model source the CLI and library users name: `model.onnx`,
/// `ARCH:WEIGHTS.npz` for a built-in architecture, or any format an importer in the
/// `ImporterRegistry` reads.
public enum ModelLoader {
    /// Loads the model with the importer that claims `spec`, optionally replaces initializers from
    /// `weights` (.npz), checks that `registry` supports every op (one error listing all that are
    /// not), and folds the exporter's constant / shape sub-graphs. Pass `registry: nil` to only
    /// import (e.g. to list unsupported ops).
    public static func load(_ spec: String, registry: OpRegistry?, weights: String? = nil,
                            importers: ImporterRegistry = .builtin) throws -> Graph {
        var graph = try importers.importer(for: spec).load(spec)
        if let w = weights {
            let arrays = try NPZ.read(path: w)
            try applyWeights(arrays, to: &graph, file: w)
        }
        if let registry { try prepare(&graph, registry: registry, file: spec) }
        return graph
    }

    /// Checks that `registry` supports every op of `graph` (one error listing all that are not,
    /// naming `file`), then folds its constant and shape sub-graphs. `load` calls it; a caller that
    /// first drops nodes it does not need (explanations keep only what the explained output
    /// depends on) calls it after that.
    public static func prepare(_ graph: inout Graph, registry: OpRegistry, file: String) throws {
        do { try registry.checkSupported(graph) } catch let e as GraphError { throw GraphError.inFile(path: file, underlying: e) }
        simplify(&graph, registry: registry)
    }

    /// `ARCH:WEIGHTS.npz` rather than a path to an ONNX file.
    @Sendable static func isArchitectureSpec(_ spec: String) -> Bool {
        guard let colon = spec.firstIndex(of: ":") else { return false }
        return Architectures.names.contains(String(spec[..<colon])) || spec.hasSuffix(".npz")
    }

    /// Folds constant and shape sub-graphs. Shapes are inferred only for the values `Shape` nodes
    /// read; if that fails (a model that only runs at other sizes), only all-constant chains fold.
    public static func simplify(_ graph: inout Graph, registry: OpRegistry) {
        let shapeInputs = graph.nodes.filter { $0.opType == "Shape" && $0.domain.isEmpty }.compactMap(\.inputs.first)
        if !shapeInputs.isEmpty { try? graph.inferShapes(registry: registry, values: shapeInputs) }
        graph.foldConstants(registry: registry)
    }
}
