/// A dense, contiguous, row-major (C order) tensor. NCHW for images.
///
/// Storage is a Swift array (copy-on-write), so tensors are cheap to pass around and safe to share
/// between threads. Kernels reach the raw memory through `withUnsafeBufferPointer`.
public struct Tensor: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float([Float])
        case int64([Int64])
        case bool([Bool])
    }

    public private(set) var shape: [Int]
    public private(set) var storage: Storage

    public var dtype: DType {
        switch storage {
        case .float: return .float32
        case .int64: return .int64
        case .bool: return .bool
        }
    }
    public var rank: Int { shape.count }
    public var count: Int { Tensor.elementCount(shape) }

    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    // MARK: Construction (throwing: shapes come from user data)

    public init(shape: [Int], floats: [Float]) throws {
        try Tensor.check(shape: shape, count: floats.count)
        self.shape = shape; self.storage = .float(floats)
    }
    public init(shape: [Int], ints: [Int64]) throws {
        try Tensor.check(shape: shape, count: ints.count)
        self.shape = shape; self.storage = .int64(ints)
    }
    public init(shape: [Int], bools: [Bool]) throws {
        try Tensor.check(shape: shape, count: bools.count)
        self.shape = shape; self.storage = .bool(bools)
    }
    /// For kernels that computed `values` for `shape` themselves; the count is checked in debug builds.
    public init(unchecked shape: [Int], floats: [Float]) {
        assert(Tensor.elementCount(shape) == floats.count)
        self.shape = shape; self.storage = .float(floats)
    }
    public init(unchecked shape: [Int], ints: [Int64]) {
        assert(Tensor.elementCount(shape) == ints.count)
        self.shape = shape; self.storage = .int64(ints)
    }
    public init(unchecked shape: [Int], bools: [Bool]) {
        assert(Tensor.elementCount(shape) == bools.count)
        self.shape = shape; self.storage = .bool(bools)
    }
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        let n = elementCount(shape)
        switch dtype {
        case .float32: return Tensor(unchecked: shape, floats: [Float](repeating: 0, count: n))
        case .int64: return Tensor(unchecked: shape, ints: [Int64](repeating: 0, count: n))
        case .bool: return Tensor(unchecked: shape, bools: [Bool](repeating: false, count: n))
        }
    }
    public static func scalar(_ v: Float) -> Tensor { Tensor(unchecked: [], floats: [v]) }
    public static func scalar(_ v: Int64) -> Tensor { Tensor(unchecked: [], ints: [v]) }
    /// A 1-D int64 tensor, the usual form of shapes, axes and indices.
    public static func vector(_ v: [Int64]) -> Tensor { Tensor(unchecked: [v.count], ints: v) }
    public static func vector(_ v: [Float]) -> Tensor { Tensor(unchecked: [v.count], floats: v) }

    private static func check(shape: [Int], count: Int) throws {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw GraphError.invalidShape("negative dimension in \(shape)") }
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw GraphError.invalidShape("element count of \(shape) overflows") }
            n = m
        }
        guard n == count else {
            throw GraphError.invalidShape("shape \(shape) holds \(n) elements, data has \(count)")
        }
    }

    // MARK: Access

    /// The float32 values; throws for other dtypes.
    public func floats() throws -> [Float] {
        guard case .float(let v) = storage else { throw GraphError.dtypeMismatch(expected: .float32, got: dtype) }
        return v
    }
    /// The int64 values; throws for other dtypes.
    public func ints() throws -> [Int64] {
        guard case .int64(let v) = storage else { throw GraphError.dtypeMismatch(expected: .int64, got: dtype) }
        return v
    }
    /// The bool values; throws for other dtypes.
    public func bools() throws -> [Bool] {
        guard case .bool(let v) = storage else { throw GraphError.dtypeMismatch(expected: .bool, got: dtype) }
        return v
    }
    /// Any numeric tensor's values as Int (shape arithmetic accepts int64 and float tensors alike);
    /// non-finite floats become 0 and huge ones are clamped, so file data can't trap.
    public func intValues() -> [Int] {
        switch storage {
        case .int64(let v): return v.map { Int($0) }
        case .float(let v): return v.map { $0.isFinite ? Int(max(-9.0e18, min(9.0e18, $0))) : 0 }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        }
    }
    /// Any tensor's values as Float.
    public func floatValues() -> [Float] {
        switch storage {
        case .float(let v): return v
        case .int64(let v): return v.map { Float($0) }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        }
    }

    /// Mutates the float values in place (no copy when the storage is uniquely referenced).
    public mutating func withMutableFloats<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) throws -> R {
        guard case .float(var values) = storage else { throw GraphError.dtypeMismatch(expected: .float32, got: dtype) }
        storage = .float([])
        defer { storage = .float(values) }
        return try values.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Same data, new shape (element count must match).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard Tensor.elementCount(newShape) == count, newShape.allSatisfy({ $0 >= 0 }) else {
            throw GraphError.invalidShape("cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        var t = self; t.shape = newShape; return t
    }

    /// Converted to another dtype (ONNX Cast semantics: float -> int truncates toward zero).
    public func cast(to target: DType) -> Tensor {
        if target == dtype { return self }
        switch target {
        case .float32: return Tensor(unchecked: shape, floats: floatValues())
        case .int64:
            switch storage {
            case .float(let v): return Tensor(unchecked: shape, ints: v.map { $0.isFinite ? Int64(exactly: $0.rounded(.towardZero)) ?? 0 : 0 })
            case .bool(let v): return Tensor(unchecked: shape, ints: v.map { $0 ? 1 : 0 })
            case .int64: return self
            }
        case .bool:
            switch storage {
            case .float(let v): return Tensor(unchecked: shape, bools: v.map { $0 != 0 })
            case .int64(let v): return Tensor(unchecked: shape, bools: v.map { $0 != 0 })
            case .bool: return self
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor<\(dtype)>\(shape)" }
}
