import Graph

/// Axis arithmetic shared by kernels: normalising negative axes, validating axis lists, and the
/// products and strides of row-major shapes.
public enum Axes {
    /// `axis` in `-rank..<rank` mapped to `0..<rank`; throws when out of range.
    @inlinable
    public static func normalize(_ axis: Int, rank: Int) throws -> Int {
        guard axis >= -rank, axis < rank else {
            throw GraphError.invalidShape("axis \(axis) is out of range for rank \(rank) (valid: \(-rank)...\(rank - 1))")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Every axis normalised with `normalize(_:rank:)`; throws on duplicates. The order is kept.
    public static func normalize(_ axes: [Int], rank: Int) throws -> [Int] {
        var seen = Set<Int>()
        var out: [Int] = []
        out.reserveCapacity(axes.count)
        for a in axes {
            let n = try normalize(a, rank: rank)
            guard seen.insert(n).inserted else {
                throw GraphError.invalidShape("axis \(a) is repeated in \(axes)")
            }
            out.append(n)
        }
        return out
    }

    /// Axes read from an optional 1-D (or scalar) integer tensor, e.g. the `axes` input of
    /// Squeeze, Unsqueeze, Reduce* and Slice. Nil when the tensor is absent.
    public static func values(_ t: Tensor?, what: String = "axes") throws -> [Int]? {
        guard let t else { return nil }
        guard t.dtype == .int64 else {
            throw GraphError.invalidShape("\(what) must be an int64 tensor, got \(t.dtype)")
        }
        guard t.rank <= 1 else { throw GraphError.invalidShape("\(what) must be 1-D, got shape \(t.shape)") }
        return t.intValues()
    }

    /// Product of `shape[range]` (1 for an empty range).
    @inlinable
    public static func product(_ shape: [Int], _ range: Range<Int>) -> Int {
        var p = 1
        for i in range { p *= shape[i] }
        return p
    }

    /// Row-major (C order) element strides of `shape`.
    @inlinable
    public static func strides(of shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// Largest element count a kernel will allocate (2^34); larger shapes from a file are refused
    /// with an error instead of exhausting memory.
    public static let maxElements = 1 << 34

    /// Element count of `shape`, throwing for negative dimensions, overflow or more than
    /// `maxElements` elements instead of trapping.
    public static func checkedCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw GraphError.invalidShape("negative dimension \(d) in \(shape)") }
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw GraphError.invalidShape("element count of \(shape) overflows") }
            n = m
        }
        guard n <= maxElements || shape.contains(0) else {
            throw GraphError.invalidShape("shape \(shape) has \(n) elements, more than the \(maxElements) allowed")
        }
        return n
    }
}
