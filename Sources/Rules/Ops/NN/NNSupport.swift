import Graph

// Small helpers shared by the NN kernels: typed input access and checks with clear messages.

extension OpContext {
    /// Input `i` as float32 values plus its shape; `what` names the input in error messages.
    func nnFloat(_ i: Int, _ what: String) throws -> (shape: [Int], values: [Float]) {
        let t = try input(i)
        guard t.dtype == .float32 else {
            throw GraphError.kernel("\(node.opType): input '\(what)' must be float32, got \(t.dtype)")
        }
        return (t.shape, try t.floats())
    }

    /// Optional input `i` as float32, nil when absent or empty (ONNX uses empty names and empty
    /// tensors alike for "not given").
    func nnOptionalFloat(_ i: Int, _ what: String) throws -> (shape: [Int], values: [Float])? {
        guard let t = optionalInput(i), t.count > 0 else { return nil }
        guard t.dtype == .float32 else {
            throw GraphError.kernel("\(node.opType): input '\(what)' must be float32, got \(t.dtype)")
        }
        return (t.shape, try t.floats())
    }

    /// Optional int64 input `i` (pads, sizes, axes) as Ints, nil when absent or empty. Values beyond
    /// ±2³¹ are rejected, so shape arithmetic on them cannot overflow.
    func nnOptionalInts(_ i: Int, _ what: String) throws -> [Int]? {
        guard let t = optionalInput(i), t.count > 0 else { return nil }
        guard t.dtype == .int64 else {
            throw GraphError.kernel("\(node.opType): input '\(what)' must be int64, got \(t.dtype)")
        }
        let v = try t.ints()
        guard v.allSatisfy({ abs($0) <= NNUtil.valueLimit }) else {
            throw GraphError.kernel("\(node.opType): input '\(what)' has out-of-range values \(v.prefix(8))")
        }
        return v.map { Int($0) }
    }

    /// Reads an `ints` attribute and checks its length (when present).
    func nnInts(_ key: String, count: Int) throws -> [Int]? {
        guard let v: [Int] = try attr(key) else { return nil }
        guard v.count == count else {
            throw GraphError.attribute("\(node.opType): '\(key)' has \(v.count) values, expected \(count)")
        }
        guard v.allSatisfy({ abs($0) <= NNUtil.valueLimit }) else {
            throw GraphError.attribute("\(node.opType): '\(key)' has out-of-range values \(v)")
        }
        return v
    }

    /// Normalises a possibly negative axis against `rank`.
    func nnAxis(_ axis: Int, rank: Int, name: String = "axis") throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else {
            throw GraphError.attribute("\(node.opType): \(name) \(axis) is out of range for rank \(rank)")
        }
        return a
    }
}

/// Shape helpers shared by the NN kernels.
enum NNUtil {
    /// Largest magnitude accepted for pads, strides, sizes and similar values from a file.
    static let valueLimit: Int64 = 1 << 31
    /// Largest element count a kernel allocates for one output or scratch buffer.
    static let elementLimit = 1 << 31

    /// Throws unless `shape` has non-negative dimensions and at most `elementLimit` elements.
    static func checkAllocatable(_ op: String, _ what: String, _ shape: [Int]) throws {
        var n = 1
        for d in shape {
            let (m, o) = n.multipliedReportingOverflow(by: max(d, 0))
            guard d >= 0, !o, m <= elementLimit else {
                throw GraphError.invalidShape("\(op): \(what) of shape \(shape) is too large")
            }
            n = m
        }
    }

    /// `Int(v)` for a float that may be huge or NaN (clamped to ±2³⁰, NaN -> 0).
    static func clampedInt(_ v: Float) -> Int {
        guard !v.isNaN else { return 0 }
        return Int(min(max(v, -1_073_741_824), 1_073_741_824))
    }

    /// Checks that `shape` is 1-D with `count` elements (per-channel parameters).
    static func checkVector(_ op: String, _ what: String, _ shape: [Int], count: Int) throws {
        guard Tensor.elementCount(shape) == count, shape.count <= 1 || shape.filter({ $0 != 1 }).count <= 1 else {
            throw GraphError.invalidShape("\(op): \(what) has shape \(shape), expected [\(count)]")
        }
    }

    /// Row-major strides of `shape`.
    static func stridesOf(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// Product of `shape[range]` (1 for an empty range).
    static func product(_ shape: [Int], _ range: Range<Int>) -> Int {
        var p = 1
        for i in range { p *= shape[i] }
        return p
    }
}
