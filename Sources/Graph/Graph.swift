/// The generic computation graph every importer produces and every walker consumes.
///
/// Values are named. `initializers` are constant tensors (weights). `nodes` are kept in topological
/// order by `Graph.sorted()`; importers call it once.
public struct Graph: Sendable {
    public var name: String
    public var nodes: [Node]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    public var initializers: [String: Tensor]
    /// Opset version per domain ("" = ai.onnx), as imported.
    public var opsets: [String: Int]
    /// Inferred type and shape of intermediate values (filled by `inferShapes`).
    public var valueInfo: [String: ValueInfo]
    /// The model file's free-form key/value metadata (ONNX `ModelProto.metadata_props`; empty for
    /// other sources). cfcam reads its own keys from it (`cfcam.preprocess`, `cfcam.labels`, ...).
    public var metadata: [String: String]

    public init(name: String = "graph", nodes: [Node] = [], inputs: [ValueInfo] = [], outputs: [ValueInfo] = [],
                initializers: [String: Tensor] = [:], opsets: [String: Int] = ["": 17], valueInfo: [String: ValueInfo] = [:],
                metadata: [String: String] = [:]) {
        self.name = name; self.nodes = nodes; self.inputs = inputs; self.outputs = outputs
        self.initializers = initializers; self.opsets = opsets; self.valueInfo = valueInfo; self.metadata = metadata
    }

    /// Inputs the caller must feed (graph inputs that are not also initializers).
    public var feedInputs: [ValueInfo] { inputs.filter { initializers[$0.name] == nil } }

    /// Index of the node producing each value.
    public func producers() -> [String: Int] {
        var p: [String: Int] = [:]
        for (i, n) in nodes.enumerated() { for o in n.outputs where !o.isEmpty { p[o] = i } }
        return p
    }

    /// Indices of the nodes consuming each value.
    public func consumers() -> [String: [Int]] {
        var c: [String: [Int]] = [:]
        for (i, n) in nodes.enumerated() { for v in n.inputs where !v.isEmpty { c[v, default: []].append(i) } }
        return c
    }

    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }
}
