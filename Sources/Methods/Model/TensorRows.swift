import Graph

/// Row (batch-axis) slicing and stacking, for running a batch in chunks.
extension Tensor {
    /// Rows `range` of a tensor [N, ...] (any dtype).
    public func rows(_ range: Range<Int>) throws -> Tensor {
        guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw ExplainError("rows \(range) of a tensor of shape \(shape)")
        }
        let per = shape[0] == 0 ? 0 : count / shape[0]
        let lo = range.lowerBound * per, hi = range.upperBound * per
        let s = [range.count] + Array(shape.dropFirst())
        switch storage {
        case .float(let v): return Tensor(unchecked: s, floats: Array(v[lo..<hi]))
        case .int64(let v): return Tensor(unchecked: s, ints: Array(v[lo..<hi]))
        case .bool(let v): return Tensor(unchecked: s, bools: Array(v[lo..<hi]))
        }
    }

    /// Rows `range`, the last row repeated until the result has `count` rows (a fixed-batch chunk).
    func rows(_ range: Range<Int>, paddedTo total: Int) throws -> Tensor {
        guard range.count < total else { return try rows(range) }
        var idx = Array(range)
        while idx.count < total { idx.append(range.upperBound - 1) }
        return try Tensor.stack(idx.map { try rows($0..<($0 + 1)) })
    }

    /// Tensors of equal trailing shape stacked along the batch axis.
    public static func stack(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { throw ExplainError("nothing to stack") }
        let tail = Array(first.shape.dropFirst())
        guard parts.allSatisfy({ $0.rank == first.rank && Array($0.shape.dropFirst()) == tail && $0.dtype == first.dtype }) else {
            throw ExplainError("cannot stack tensors of shapes \(parts.map(\.shape))")
        }
        let n = parts.reduce(0) { $0 + $1.shape[0] }
        switch first.storage {
        case .float:
            var v: [Float] = []; v.reserveCapacity(n * (first.count / max(1, first.shape[0])))
            for p in parts { v += try p.floats() }
            return Tensor(unchecked: [n] + tail, floats: v)
        case .int64:
            var v: [Int64] = []
            for p in parts { v += try p.ints() }
            return Tensor(unchecked: [n] + tail, ints: v)
        case .bool:
            var v: [Bool] = []
            for p in parts { v += try p.bools() }
            return Tensor(unchecked: [n] + tail, bools: v)
        }
    }
}
