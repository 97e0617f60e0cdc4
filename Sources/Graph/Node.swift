/// One operator application: ONNX-level ops are kept whole (Conv, Gemm, BatchNormalization, pools),
/// because LRP rules attach to layers.
///
/// Inputs and outputs are value names. An empty input name means "optional input not given".
/// Importers normalise opset differences, so a node's meaning depends only on (domain, opType).
public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    /// "" is the default ONNX domain (ai.onnx).
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: Attribute] = [:]) {
        self.name = name; self.opType = opType; self.domain = domain
        self.inputs = inputs; self.outputs = outputs; self.attributes = attributes
    }

    /// Qualified op name for messages: "Conv" or "my.domain::Swish".
    public var qualifiedOp: String { domain.isEmpty || domain == "ai.onnx" ? opType : "\(domain)::\(opType)" }

    /// Typed attribute read with a default.
    @inlinable
    public func attr<T: AttributeValue>(_ key: String, default def: T) throws -> T {
        guard let a = attributes[key] else { return def }
        guard let v = T.from(a) else {
            throw GraphError.inNode(node: name, op: qualifiedOp,
                                    underlying: .attribute("'\(key)' should be \(T.typeName), got \(a)"))
        }
        return v
    }
    /// Typed attribute read that is nil when absent.
    @inlinable
    public func attr<T: AttributeValue>(_ key: String) throws -> T? {
        guard let a = attributes[key] else { return nil }
        guard let v = T.from(a) else {
            throw GraphError.inNode(node: name, op: qualifiedOp,
                                    underlying: .attribute("'\(key)' should be \(T.typeName), got \(a)"))
        }
        return v
    }
    /// Typed attribute read that throws when absent.
    public func required<T: AttributeValue>(_ key: String) throws -> T {
        guard let v: T = try attr(key) else {
            throw GraphError.inNode(node: name, op: qualifiedOp, underlying: .attribute("required attribute '\(key)' is missing"))
        }
        return v
    }
}
