/// Element types a tensor can hold. Compute is float32; int64 and bool exist for shape arithmetic,
/// indices and masks. Importers convert every other ONNX / NumPy type to one of these.
public enum DType: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case float32
    case int64
    case bool

    public var description: String { rawValue }
}
