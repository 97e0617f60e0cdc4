import Graph

/// Small float-tensor helpers for the LRP rules (element-wise maps, batch-wise sums, broadcasting
/// of per-channel bounds). Internal: the public surface is the rules themselves.
enum LRPMath {
    /// The float values of `t`, or a rule-mismatch style error naming what was expected.
    static func floats(_ t: Tensor, _ what: String) throws -> [Float] {
        guard t.dtype == .float32 else { throw LRPError.invalidRequest("\(what) must be float32, got \(t.dtype)") }
        return try t.floats()
    }

    static func map(_ t: Tensor, _ f: (Float) -> Float) throws -> Tensor {
        Tensor(unchecked: t.shape, floats: try t.floats().map(f))
    }

    /// Element-wise combination of two same-shape float tensors.
    static func zip(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
        guard a.shape == b.shape else { throw GraphError.invalidShape("LRP: shapes \(a.shape) and \(b.shape) differ") }
        let x = try a.floats(), y = try b.floats()
        var r = [Float](repeating: 0, count: x.count)
        for i in r.indices { r[i] = f(x[i], y[i]) }
        return Tensor(unchecked: a.shape, floats: r)
    }

    static func sum(_ ts: [Tensor]) throws -> Tensor? {
        guard var acc = ts.first else { return nil }
        for t in ts.dropFirst() { acc = try Tensor.add(acc, t) }
        return acc
    }

    static func scale(_ t: Tensor, _ s: Float) throws -> Tensor { try map(t) { $0 * s } }

    /// Sum over every axis but the first (per-sample totals); a rank-0 tensor is one sample.
    static func perSampleSums(_ t: Tensor) throws -> [Float] {
        let v = try t.floats()
        let b = t.rank == 0 ? 1 : t.shape[0]
        guard b > 0 else { return [] }
        let per = v.count / b
        return (0..<b).map { i in v[(i * per)..<((i + 1) * per)].reduce(0, +) }
    }

    /// `t` with sample i multiplied by `factors[i]`.
    static func scalePerSample(_ t: Tensor, _ factors: [Float]) throws -> Tensor {
        var v = try t.floats()
        let b = t.rank == 0 ? 1 : t.shape[0]
        guard factors.count == b, b > 0 else { throw LRPError.invalidRequest("\(factors.count) factors for \(b) samples") }
        let per = v.count / b
        for i in 0..<b { for j in 0..<per { v[i * per + j] *= factors[i] } }
        return Tensor(unchecked: t.shape, floats: v)
    }

    /// Expands `bound` (a scalar, or a tensor whose shape is a prefix-aligned broadcast of `shape`
    /// such as [C], [1, C], [1, C, 1, 1], zennit's `expand`) to `shape`.
    static func expand(_ bound: Tensor, to shape: [Int]) throws -> Tensor {
        let v = bound.floatValues()
        if v.count == 1 { return Tensor(unchecked: shape, floats: [Float](repeating: v[0], count: Tensor.elementCount(shape))) }
        var bs = bound.shape
        // zennit appends singleton dims to a lower-rank tensor whose dims match the leading ones;
        // a 1-D per-channel vector [C] is treated as [1, C, 1, ...] (the usual meaning for images).
        if bs.count == 1, shape.count >= 2, bs[0] == shape[1] { bs = [1, bs[0]] }
        if bs.count < shape.count { bs += [Int](repeating: 1, count: shape.count - bs.count) }
        guard bs.count == shape.count, Swift.zip(bs, shape).allSatisfy({ $0 == 1 || $0 == $1 }) else {
            throw LRPError.invalidParameter("bound of shape \(bound.shape) does not broadcast to input shape \(shape)")
        }
        let strides = Broadcast.strides(bs, to: shape)
        let n = Tensor.elementCount(shape)
        var out = [Float](repeating: 0, count: n)
        var idx = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            var off = 0
            for d in 0..<shape.count { off += idx[d] * strides[d] }
            out[i] = v[off]
            var d = shape.count - 1
            while d >= 0 { idx[d] += 1; if idx[d] < shape[d] { break }; idx[d] = 0; d -= 1 }
        }
        return Tensor(unchecked: shape, floats: out)
    }
}
