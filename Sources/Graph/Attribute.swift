/// A typed node attribute, as ONNX defines them (graph-valued attributes are not supported).
public enum Attribute: Sendable, Equatable {
    case int(Int)
    case ints([Int])
    case float(Float)
    case floats([Float])
    case string(String)
    case strings([String])
    case tensor(Tensor)
}

/// Types that can be read out of an `Attribute` by `Node.attr(_:default:)`.
public protocol AttributeValue {
    static func from(_ a: Attribute) -> Self?
    static var typeName: String { get }
}
extension Int: AttributeValue {
    public static func from(_ a: Attribute) -> Int? { if case .int(let v) = a { return v }; return nil }
    public static var typeName: String { "int" }
}
extension Float: AttributeValue {
    public static func from(_ a: Attribute) -> Float? {
        switch a { case .float(let v): return v; case .int(let v): return Float(v); default: return nil }
    }
    public static var typeName: String { "float" }
}
extension String: AttributeValue {
    public static func from(_ a: Attribute) -> String? { if case .string(let v) = a { return v }; return nil }
    public static var typeName: String { "string" }
}
extension Array: AttributeValue where Element: AttributeValue {
    /// Compares element types instead of casting the array (`as? [Element]` walks the array through
    /// the runtime's dynamic cast on every read: a measurable share of a small network's forward).
    @inlinable
    public static func from(_ a: Attribute) -> [Element]? {
        switch a {
        case .ints(let v): return Element.self == Int.self ? unsafeBitCast(v, to: [Element].self) : nil
        case .floats(let v): return Element.self == Float.self ? unsafeBitCast(v, to: [Element].self) : nil
        case .strings(let v): return Element.self == String.self ? unsafeBitCast(v, to: [Element].self) : nil
        default: return nil
        }
    }
    public static var typeName: String { "list of \(Element.typeName)" }
}
extension Tensor: AttributeValue {
    public static func from(_ a: Attribute) -> Tensor? { if case .tensor(let v) = a { return v }; return nil }
    public static var typeName: String { "tensor" }
}
