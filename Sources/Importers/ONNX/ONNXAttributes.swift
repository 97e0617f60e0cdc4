import Graph
import ONNXProto

/// Converts `AttributeProto`s to `Attribute`s. Graph-valued (subgraph), sparse-tensor, type and
/// tensor-list attributes are refused with an error naming the attribute.
enum ONNXAttributes {
    /// All attributes of a node, keyed by name (the caller wraps errors with the node).
    static func convert(_ node: UnsafePointer<Onnx__NodeProto>, tensors: ONNXTensorReader) throws -> [String: Attribute] {
        var out: [String: Attribute] = [:]
        for i in 0..<node.pointee.n_attribute {
            guard let a = node.pointee.attribute[i] else { continue }
            let name = onnxString(a.pointee.name)
            guard !name.isEmpty else { throw GraphError.attribute("an attribute has no name") }
            guard out[name] == nil else { throw GraphError.attribute("attribute '\(name)' is given twice") }
            out[name] = try attribute(a, name: name, tensors: tensors)
        }
        return out
    }

    private static func attribute(_ a: UnsafePointer<Onnx__AttributeProto>, name: String, tensors: ONNXTensorReader) throws -> Attribute {
        let p = a.pointee
        if p.ref_attr_name != nil {
            throw GraphError.attribute("'\(name)' refers to a function attribute (ref_attr_name), which only functions may use")
        }
        let type = p.has_type != 0 ? p.type : inferredType(p)
        switch type {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
            return .float(p.f)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
            guard let v = Int(exactly: p.i) else { throw GraphError.attribute("'\(name)' is out of range") }
            return .int(v)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
            return .string(bytesToString(p.s))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            guard let t = p.t else { throw GraphError.attribute("tensor attribute '\(name)' has no tensor") }
            do { return .tensor(try tensors.tensor(t)) } catch {
                throw GraphError.attribute("tensor attribute '\(name)': \(ONNXContext.describe(error))")
            }
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
            return .floats(Array(UnsafeBufferPointer(start: p.floats, count: p.n_floats)))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
            return .ints(UnsafeBufferPointer(start: p.ints, count: p.n_ints).map { Int($0) })
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
            return .strings(UnsafeBufferPointer(start: p.strings, count: p.n_strings).map(bytesToString))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
            throw GraphError.attribute("unsupported (subgraph) attribute '\(name)': control flow with subgraphs (If, Loop, Scan) is not supported")
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED:
            throw GraphError.attribute("attribute '\(name)' has no value (subgraph and other unsupported attributes carry no readable value)")
        default:
            throw GraphError.attribute("unsupported attribute type \(type.rawValue) for '\(name)' (sparse tensor, tensor list and type attributes are not supported)")
        }
    }

    /// The type of an attribute from a file old enough to leave `type` out: the field that is set.
    private static func inferredType(_ p: Onnx__AttributeProto) -> Onnx__AttributeProto__AttributeType {
        if p.has_f != 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT }
        if p.has_i != 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT }
        if p.has_s != 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING }
        if p.t != nil { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR }
        if p.n_floats > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS }
        if p.n_ints > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS }
        if p.n_strings > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS }
        if p.n_tensors > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS }
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
    }

    /// protobuf bytes as UTF-8 text (invalid sequences repaired).
    static func bytesToString(_ b: ProtobufCBinaryData) -> String {
        String(decoding: UnsafeBufferPointer(start: b.data, count: b.len), as: UTF8.self)
    }
}

/// A protobuf-c string field ("" when absent).
func onnxString(_ p: UnsafeMutablePointer<CChar>?) -> String {
    guard let p else { return "" }
    return String(cString: p)  // invalid UTF-8 is repaired, never trapped on
}
