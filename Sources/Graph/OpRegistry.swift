/// What an operator does, registered under (domain, op type, opset range).
///
/// Built-in ops (in the Rules module) register themselves exactly the way a user's custom op does:
/// build an `OpDefinition` and call `OpRegistry.register`. Later issues add the VJP and LRP
/// behaviour to the same definition.
public struct OpDefinition: Sendable {
    public typealias Forward = @Sendable (OpContext) throws -> [Tensor]

    public var domain: String
    public var opType: String
    /// Opset versions (of `domain`) this definition covers.
    public var opsets: ClosedRange<Int>
    public var forward: Forward
    /// Extra behaviour attached by later layers (gradients, LRP), keyed by a layer's own name.
    public var extensions: [String: any Sendable]

    public init(domain: String = "", opType: String, opsets: ClosedRange<Int> = 1...Int.max,
                extensions: [String: any Sendable] = [:], forward: @escaping Forward) {
        self.domain = OpRegistry.canonicalDomain(domain); self.opType = opType; self.opsets = opsets
        self.forward = forward; self.extensions = extensions
    }
}

/// What a kernel sees: the node (attributes, names) and its input tensors.
public struct OpContext: Sendable {
    public let node: Node
    /// One entry per node input; nil where an optional input was not given.
    public let inputs: [Tensor?]
    /// Threads the kernel may use.
    public let threads: Int
    /// Opset version of the node's domain in the graph being run.
    public let opset: Int

    public init(node: Node, inputs: [Tensor?], threads: Int = 1, opset: Int = 17) {
        self.node = node; self.inputs = inputs; self.threads = threads; self.opset = opset
    }

    /// Input `i`, which must be present.
    public func input(_ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else {
            throw GraphError.kernel("required input #\(i) is missing")
        }
        return t
    }
    /// Input `i`, or nil when absent or not given.
    public func optionalInput(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }

    public func attr<T: AttributeValue>(_ key: String, default def: T) throws -> T { try node.attr(key, default: def) }
    public func attr<T: AttributeValue>(_ key: String) throws -> T? { try node.attr(key) }
}

/// The table of op definitions the walkers consult. A value, not a global: tests and plugins build
/// their own, starting from `Rules.standardRegistry()` and adding or overriding entries.
public struct OpRegistry: Sendable {
    public struct Key: Hashable, Sendable { public var domain: String; public var opType: String }
    private var table: [Key: [OpDefinition]] = [:]

    public init() {}

    /// "ai.onnx" and "" are the same domain.
    public static func canonicalDomain(_ d: String) -> String { d == "ai.onnx" ? "" : d }

    /// Adds `def`; a later registration for an overlapping opset range wins (this is how a user
    /// overrides a built-in op).
    public mutating func register(_ def: OpDefinition) {
        table[Key(domain: def.domain, opType: def.opType), default: []].append(def)
    }

    /// The definition for an op at an opset, or nil.
    public func lookup(domain: String, opType: String, opset: Int) -> OpDefinition? {
        table[Key(domain: OpRegistry.canonicalDomain(domain), opType: opType)]?.last { $0.opsets.contains(opset) }
    }

    public func lookup(_ node: Node, in graph: Graph) -> OpDefinition? {
        lookup(domain: node.domain, opType: node.opType, opset: graph.opset(of: node.domain))
    }

    /// Every registered (domain, op type), sorted, for `inspect` and docs.
    public var keys: [Key] { table.keys.sorted { ($0.domain, $0.opType) < ($1.domain, $1.opType) } }

    /// Throws one error listing every op type the graph uses that has no definition, with node names.
    public func checkSupported(_ graph: Graph) throws {
        var missing: [String: [String]] = [:]
        for n in graph.nodes where lookup(n, in: graph) == nil {
            missing[n.qualifiedOp, default: []].append(n.name)
        }
        if !missing.isEmpty { throw GraphError.unsupportedOps(missing) }
    }
}

extension Graph {
    /// The opset version imported for `domain` (0 when the model declared none).
    public func opset(of domain: String) -> Int {
        opsets[OpRegistry.canonicalDomain(domain)] ?? opsets[domain] ?? (domain.isEmpty ? 17 : 1)
    }
}
