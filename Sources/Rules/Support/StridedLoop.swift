/// An iteration plan over a row-major output of some shape, reading one or more operands through
/// their own element strides (0 for broadcast dimensions, negative for reversed ones) and base
/// offsets.
///
/// Dimensions of size 1 are dropped and adjacent dimensions that every operand walks contiguously
/// are merged, so the innermost (`inner`) run is as long as possible. Kernels loop over rows of
/// `inner` elements with `forEachRow`, which advances operand offsets with an odometer: no
/// per-element index arithmetic.
public struct StridedLoop: Sendable {
    /// Collapsed output dimensions (at least one).
    public let dims: [Int]
    /// Collapsed strides, operand-major: `strides[j * dims.count + k]` for operand `j`, dimension `k`.
    public let strides: [Int]
    /// Offset of the first element of each operand.
    public let offsets: [Int]
    /// Number of operands read (the length of `offsets`).
    public let operands: Int
    /// Total output elements.
    public let count: Int

    /// - Parameters:
    ///   - shape: output shape.
    ///   - strides: one list per operand, `shape.count` entries each.
    ///   - offsets: base offset per operand (default 0).
    public init(shape: [Int], strides: [[Int]], offsets: [Int]? = nil) {
        operands = strides.count
        self.offsets = offsets ?? [Int](repeating: 0, count: strides.count)
        count = Axes.product(shape, 0..<shape.count)
        var dims: [Int] = []
        var cols: [[Int]] = Array(repeating: [], count: strides.count)
        for (i, d) in shape.enumerated() where d != 1 {
            if let last = dims.last, (0..<strides.count).allSatisfy({ j in cols[j].last.map { strides[j][i] * d == $0 } ?? false }) {
                dims[dims.count - 1] = last * d
                for j in 0..<strides.count { cols[j][cols[j].count - 1] = strides[j][i] }
            } else {
                dims.append(d)
                for j in 0..<strides.count { cols[j].append(strides[j][i]) }
            }
        }
        // Scalars, and empty outputs (no rows to walk), become one dimension of 1.
        if dims.isEmpty || count == 0 { dims = [1]; for j in 0..<strides.count { cols[j] = [0] } }
        self.dims = dims
        self.strides = cols.flatMap { $0 }
    }

    /// a, when operand 0 is read as interleaved planes: the innermost run steps by a (2 ... 16)
    /// through the source and the dimension outside it has length a and steps by 1, so each group
    /// of a output rows is the a planes of one run of `inner * a` source values (a Transpose
    /// moving a short last axis forward: NHWC -> NCHW with 3 channels). Nil otherwise.
    public var interleavedPlanes: Int? {
        let nd = dims.count
        guard nd >= 2, count > 0 else { return nil }
        let a = strides[nd - 1]
        guard a >= 2, a <= 16, dims[nd - 2] == a, strides[nd - 2] == 1 else { return nil }
        return a
    }

    /// Length of the innermost run.
    @inlinable public var inner: Int { dims[dims.count - 1] }
    /// Number of rows of `inner` elements (0 for an empty output).
    @inlinable public var rows: Int { count == 0 ? 0 : count / inner }
    /// Stride of operand `j` along the innermost run.
    @inlinable public func innerStride(_ j: Int) -> Int { strides[j * dims.count + dims.count - 1] }

    /// Calls `body(outStart, operandStarts)` for each row in `rows`, in order; `outStart` is the
    /// flat output index of the row's first element and `operandStarts[j]` the element index of
    /// operand `j` there. Rows never cross; disjoint ranges may run on different threads.
    @inlinable @inline(__always)
    public func forEachRow(_ rows: Range<Int>, _ body: (Int, UnsafeMutableBufferPointer<Int>) -> Void) {
        guard !rows.isEmpty else { return }
        let nd = dims.count, inner = self.inner
        withUnsafeTemporaryAllocation(of: Int.self, capacity: nd) { idx in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, operands)) { offs in
                // Decompose the first row into outer indices.
                var r = rows.lowerBound
                for j in 0..<operands { offs[j] = offsets[j] }
                idx[nd - 1] = 0
                for k in stride(from: nd - 2, through: 0, by: -1) {
                    idx[k] = r % dims[k]; r /= dims[k]
                    for j in 0..<operands { offs[j] += idx[k] * strides[j * nd + k] }
                }
                for row in rows {
                    body(row * inner, offs)
                    // Odometer step over the outer dimensions.
                    var k = nd - 2
                    while k >= 0 {
                        idx[k] += 1
                        for j in 0..<operands { offs[j] += strides[j * nd + k] }
                        if idx[k] < dims[k] { break }
                        for j in 0..<operands { offs[j] -= strides[j * nd + k] * dims[k] }
                        idx[k] = 0
                        k -= 1
                    }
                }
            }
        }
    }
}
