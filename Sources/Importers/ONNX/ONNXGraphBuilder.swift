import Graph
import ONNXProto

/// Turns a parsed `GraphProto` into a `Graph`: value infos, initializers, unique node names,
/// Constant folding into initializers and opset normalisation.
struct ONNXGraphBuilder {
    let tensors: ONNXTensorReader
    private(set) var opsets: [String: Int] = [:]
    private var initializers: [String: Tensor] = [:]

    init(tensors: ONNXTensorReader) { self.tensors = tensors }

    /// Reads opset_import ("ai.onnx" is stored as "").
    mutating func readOpsets(_ model: UnsafePointer<Onnx__ModelProto>) throws {
        for i in 0..<model.pointee.n_opset_import {
            guard let o = model.pointee.opset_import[i] else { continue }
            let domain = OpRegistry.canonicalDomain(onnxString(o.pointee.domain))
            let v = o.pointee.version
            guard o.pointee.has_version != 0, v >= 1, v <= 100_000 else {
                throw GraphError.invalidGraph("opset_import for domain '\(domain)' has invalid version \(v)")
            }
            opsets[domain] = Int(v)
        }
    }

    mutating func build(_ g: UnsafePointer<Onnx__GraphProto>) throws -> Graph {
        let p = g.pointee
        var graph = Graph(name: p.name.map { String(cString: $0) } ?? "graph")
        if !opsets.isEmpty { graph.opsets = opsets }

        for i in 0..<p.n_initializer {
            guard let t = p.initializer[i] else { continue }
            let name = onnxString(t.pointee.name)
            guard !name.isEmpty else { throw GraphError.invalidGraph("initializer #\(i) has no name") }
            guard initializers[name] == nil else { throw GraphError.invalidGraph("initializer '\(name)' is given twice") }
            initializers[name] = try ONNXContext.value("initializer", name) { try tensors.tensor(t) }
        }
        graph.inputs = try (0..<p.n_input).compactMap { p.input[$0] }.map { try valueInfo($0, kind: "input") }
        graph.outputs = try (0..<p.n_output).compactMap { p.output[$0] }.map { try valueInfo($0, kind: "output") }
        for i in 0..<p.n_value_info {
            // Intermediate type hints are optional: skip ones cfcam cannot represent.
            if let v = p.value_info[i], let info = try? valueInfo(v, kind: "value_info") { graph.valueInfo[info.name] = info }
        }

        let protos = (0..<p.n_node).compactMap { p.node[$0] }
        var used = Set(initializers.keys).union(graph.inputs.map(\.name))
        for n in protos {
            for k in 0..<n.pointee.n_input { used.insert(onnxString(n.pointee.input[k])) }
            for k in 0..<n.pointee.n_output { used.insert(onnxString(n.pointee.output[k])) }
        }
        var normalizer = ONNXOpsetNormalizer(usedNames: used)
        let names = ONNXGraphBuilder.uniqueNodeNames(protos)
        let defaultOpset = graph.opset(of: "")
        var nodes: [Node] = []
        for (i, proto) in protos.enumerated() {
            let op = onnxString(proto.pointee.op_type)
            let domain = OpRegistry.canonicalDomain(onnxString(proto.pointee.domain))
            let qualified = domain.isEmpty ? op : "\(domain)::\(op)"
            try ONNXContext.node(names[i], op: qualified.isEmpty ? "?" : qualified) {
                guard !op.isEmpty else { throw GraphError.invalidGraph("node has no op_type") }
                let node = Node(name: names[i], opType: op, domain: domain,
                                inputs: (0..<proto.pointee.n_input).map { onnxString(proto.pointee.input[$0]) },
                                outputs: (0..<proto.pointee.n_output).map { onnxString(proto.pointee.output[$0]) },
                                attributes: try ONNXAttributes.convert(proto, tensors: tensors))
                if domain.isEmpty && op == "Constant" {
                    try addConstant(node)
                } else if domain.isEmpty {
                    nodes.append(try normalizer.normalize(node, opset: defaultOpset))
                } else {
                    nodes.append(node)
                }
            }
        }
        graph.nodes = nodes
        graph.initializers = initializers.merging(normalizer.added) { a, _ in a }
        return graph
    }

    /// A Constant node's value, stored as an initializer named after its output.
    private mutating func addConstant(_ node: Node) throws {
        guard node.outputs.count == 1, let out = node.outputs.first, !out.isEmpty else {
            throw GraphError.invalidGraph("Constant must have exactly one named output")
        }
        guard node.attributes.count == 1, let (key, value) = node.attributes.first else {
            throw GraphError.attribute("Constant needs exactly one value attribute, got \(node.attributes.keys.sorted())")
        }
        let t: Tensor
        switch (key, value) {
        case ("value", .tensor(let v)): t = v
        case ("value_float", .float(let v)): t = .scalar(v)
        case ("value_floats", .floats(let v)): t = .vector(v)
        case ("value_int", .int(let v)): t = .scalar(Int64(v))
        case ("value_ints", .ints(let v)): t = .vector(v.map { Int64($0) })
        case ("value_string", _), ("value_strings", _):
            throw GraphError.attribute("string constants are not supported")
        default:
            throw GraphError.attribute("unsupported Constant attribute '\(key)' (\(value))")
        }
        guard initializers[out] == nil else {
            throw GraphError.invalidGraph("value '\(out)' is produced more than once (Constant and initializer)")
        }
        initializers[out] = t
    }

    /// Node names, unique: unnamed nodes get `<OpType>_<index>`; a repeated name gets `_2`, `_3`...
    static func uniqueNodeNames(_ protos: [UnsafeMutablePointer<Onnx__NodeProto>]) -> [String] {
        let given = protos.map { onnxString($0.pointee.name) }
        var used = Set(given.filter { !$0.isEmpty })
        var seen: Set<String> = []
        var out: [String] = []
        for (i, g) in given.enumerated() {
            if !g.isEmpty && seen.insert(g).inserted { out.append(g); continue }
            let base = g.isEmpty ? "\(onnxString(protos[i].pointee.op_type))_\(i)" : g
            var name = base, k = 2
            while used.contains(name) { name = "\(base)_\(k)"; k += 1 }
            used.insert(name)
            out.append(name)
        }
        return out
    }

    /// A graph input / output / value_info declaration.
    private func valueInfo(_ v: UnsafePointer<Onnx__ValueInfoProto>, kind: String) throws -> ValueInfo {
        let name = onnxString(v.pointee.name)
        return try ONNXContext.value(kind, name) {
            guard !name.isEmpty else { throw GraphError.invalidGraph("a graph \(kind) has no name") }
            guard let type = v.pointee.type, type.pointee.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
                  let tt = type.pointee.tensor_type else {
                return ValueInfo(name: name, dtype: .float32, shape: nil)  // untyped: unknown rank
            }
            let dtype = tt.pointee.has_elem_type != 0 ? try ONNXDataType.supported(tt.pointee.elem_type).dtype : .float32
            guard let shape = tt.pointee.shape else { return ValueInfo(name: name, dtype: dtype, shape: nil) }
            let dims: [Dim] = (0..<shape.pointee.n_dim).map { k in
                guard let d = shape.pointee.dim[k] else { return .symbol("?") }
                switch d.pointee.value_case {
                case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE:
                    return d.pointee.dim_value >= 0 ? .fixed(Int(d.pointee.dim_value)) : .symbol("?")
                case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
                    let s = onnxString(d.pointee.dim_param)
                    return .symbol(s.isEmpty ? "?" : s)
                default:
                    return .symbol("?")
                }
            }
            return ValueInfo(name: name, dtype: dtype, shape: dims)
        }
    }
}
