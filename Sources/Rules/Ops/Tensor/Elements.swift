import Graph

/// The element types a `Tensor` stores (float32, int64, bool), so data-movement kernels are
/// written once, generically, and dispatched on the tensor's dtype.
protocol TensorScalar: BitwiseCopyable {
    static var dtype: DType { get }
    /// The tensor's values; throws when it holds another dtype.
    static func values(_ t: Tensor) throws -> [Self]
    /// A tensor of `shape` holding `values` (the count must match).
    static func tensor(_ shape: [Int], _ values: [Self]) -> Tensor
}

extension Float: TensorScalar {
    static var dtype: DType { .float32 }
    static func values(_ t: Tensor) throws -> [Float] { try t.floats() }
    static func tensor(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(unchecked: shape, floats: values) }
}
extension Int64: TensorScalar {
    static var dtype: DType { .int64 }
    static func values(_ t: Tensor) throws -> [Int64] { try t.ints() }
    static func tensor(_ shape: [Int], _ values: [Int64]) -> Tensor { Tensor(unchecked: shape, ints: values) }
}
extension Bool: TensorScalar {
    static var dtype: DType { .bool }
    static func values(_ t: Tensor) throws -> [Bool] { try t.bools() }
    static func tensor(_ shape: [Int], _ values: [Bool]) -> Tensor { Tensor(unchecked: shape, bools: values) }
}

/// A computation written once for every element type; `dispatch` picks the type from a dtype.
protocol DTypeBody {
    associatedtype Result
    func run<T: TensorScalar>(_ type: T.Type) throws -> Result
}

/// Runs `body` for the element type of `dtype`.
func dispatch<B: DTypeBody>(_ dtype: DType, _ body: B) throws -> B.Result {
    switch dtype {
    case .float32: return try body.run(Float.self)
    case .int64: return try body.run(Int64.self)
    case .bool: return try body.run(Bool.self)
    }
}

/// Reads `t` through `loop` (operand 0) into a new tensor of `shape`, whatever its dtype.
struct StridedCopy: DTypeBody {
    let source: Tensor
    let loop: StridedLoop
    let shape: [Int]
    let threads: Int
    func run<T: TensorScalar>(_ type: T.Type) throws -> Tensor {
        T.tensor(shape, Broadcast.gather(try T.values(source), loop, threads: threads))
    }
}

extension Tensor {
    /// This tensor copied through `loop` into a new contiguous tensor of `shape`.
    func strided(_ loop: StridedLoop, shape: [Int], threads: Int) throws -> Tensor {
        try dispatch(dtype, StridedCopy(source: self, loop: loop, shape: shape, threads: threads))
    }
}

/// Throws unless every tensor has the same dtype (ONNX type constraints tie these inputs together).
func requireSameDType(_ tensors: [Tensor], what: String = "inputs") throws {
    guard let first = tensors.first else { return }
    for t in tensors.dropFirst() where t.dtype != first.dtype {
        throw GraphError.kernel("\(what) must share one dtype, got \(tensors.map { $0.dtype.rawValue })")
    }
}

/// Throws unless `t` has dtype `dtype`, naming the input.
func require(_ t: Tensor, _ dtype: DType, _ name: String) throws {
    guard t.dtype == dtype else {
        throw GraphError.kernel("input '\(name)' must be \(dtype), got \(t.dtype)")
    }
}

/// Inputs `0..<inputs.count` that are present (Sum, Max, Min are variadic).
func variadicInputs(_ ctx: OpContext) throws -> [Tensor] {
    let xs = ctx.inputs.compactMap { $0 }
    guard !xs.isEmpty else { throw GraphError.kernel("needs at least one input") }
    return xs
}
