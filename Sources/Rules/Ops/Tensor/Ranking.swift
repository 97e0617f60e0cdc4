import Graph

/// Ops that rank values along one axis: ArgMax, ArgMin (int64 positions; no gradient) and TopK
/// (the k largest or smallest values and their int64 positions; the values are differentiable).
/// float32 and int64 data. NaN ranks above every number (for ArgMin too, like NumPy: a NaN is
/// picked first), and equal values keep their order along the axis.
///
/// Every kernel views its input as (outer, n, inner): `n` is the axis length, `outer` and `inner`
/// the products of the dimensions before and after it.
enum RankingOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "ArgMax") { ctx in [try arg(ctx, largest: true)] })
        r.register(OpDefinition(opType: "ArgMin") { ctx in [try arg(ctx, largest: false)] })
        r.register(OpDefinition(opType: "TopK", vjp: { try topKGrad($0) }, lrp: .gradient) { ctx in
            let p = try topKPlan(ctx)
            let x = try ctx.input(0)
            var shape = x.shape
            shape[p.axis] = p.k
            let values = try dispatch(x.dtype, TakeBody(x: x, plan: p, shape: shape))
            return [values, Tensor(unchecked: shape, ints: p.picks.map { Int64($0) })]
        })
    }

    /// (outer, n, inner) of `shape` around `axis`.
    static func split(_ shape: [Int], axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (Axes.product(shape, 0..<axis), shape[axis], Axes.product(shape, axis + 1..<shape.count))
    }

    /// Whether `a` ranks strictly above `b` (a larger number, or a NaN over a number) when
    /// `largest`, strictly below otherwise (NaN still first).
    @inline(__always)
    static func before<T: Comparable>(_ a: T, _ b: T, largest: Bool) -> Bool {
        // `x != x` holds only for NaN.
        if a != a || b != b { return a != a && b == b }
        return largest ? a > b : a < b
    }

    // MARK: ArgMax / ArgMin

    static func arg(_ ctx: OpContext, largest: Bool) throws -> Tensor {
        let x = try ctx.input(0)
        let axis = try Axes.normalize(try ctx.attr("axis", default: 0), rank: x.rank)
        let keep: Int = try ctx.attr("keepdims", default: 1)
        let last: Int = try ctx.attr("select_last_index", default: 0)
        guard x.shape[axis] > 0 else {
            throw GraphError.invalidShape("\(largest ? "ArgMax" : "ArgMin") over axis \(axis) of size 0 (shape \(x.shape))")
        }
        var shape = x.shape
        if keep != 0 { shape[axis] = 1 } else { shape.remove(at: axis) }
        let (outer, n, inner) = split(x.shape, axis: axis)
        func run<T: Comparable>(_ v: [T]) -> [Int64] {
            var out = [Int64](repeating: 0, count: outer * inner)
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * n * inner + i
                    var best = 0, bv = v[base]
                    for j in 1..<max(n, 1) {
                        let c = v[base + j * inner]
                        // A later equal value wins only with select_last_index.
                        if before(c, bv, largest: largest) || (last != 0 && !before(bv, c, largest: largest)) {
                            best = j; bv = c
                        }
                    }
                    out[o * inner + i] = Int64(best)
                }
            }
            return out
        }
        switch x.storage {
        case .float(let v): return Tensor(unchecked: shape, ints: run(v))
        case .int64(let v): return Tensor(unchecked: shape, ints: run(v))
        case .bool: throw GraphError.kernel("input must be float32 or int64, got bool")
        }
    }

    // MARK: TopK

    /// The normalised axis, k, and for each (outer, inner) slice the k picked positions along the
    /// axis, in output order: `picks[(o * k + j) * inner + i]`.
    struct TopKPlan {
        let axis: Int, k: Int, picks: [Int]
    }

    /// TopK(X, K; axis = -1, largest = 1, sorted = 1). The result is always sorted (ONNX leaves the
    /// order free when sorted = 0); equal values come in index order.
    static func topKPlan(_ ctx: OpContext) throws -> TopKPlan {
        let x = try ctx.input(0), kt = try ctx.input(1)
        guard x.rank > 0 else { throw GraphError.invalidShape("TopK needs an input of rank >= 1, got a scalar") }
        let axis = try Axes.normalize(try ctx.attr("axis", default: -1), rank: x.rank)
        let largest: Int = try ctx.attr("largest", default: 1)
        try require(kt, .int64, "K")
        guard kt.count == 1, kt.rank <= 1 else { throw GraphError.invalidShape("K must hold one value, got shape \(kt.shape)") }
        let k64 = try kt.ints()[0]
        let (outer, n, inner) = split(x.shape, axis: axis)
        guard k64 >= 0, k64 <= Int64(n) else {
            throw GraphError.invalidShape("TopK K = \(k64) is outside 0...\(n), the length of axis \(axis) of \(x.shape)")
        }
        let k = Int(k64)
        func run<T: Comparable>(_ v: [T]) -> [Int] {
            var picks = [Int](repeating: 0, count: outer * k * inner)
            var order = [Int](repeating: 0, count: n)
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * n * inner + i
                    for j in 0..<n { order[j] = j }
                    order.sort { a, b in
                        let va = v[base + a * inner], vb = v[base + b * inner]
                        if before(va, vb, largest: largest != 0) { return true }
                        if before(vb, va, largest: largest != 0) { return false }
                        return a < b
                    }
                    for j in 0..<k { picks[(o * k + j) * inner + i] = order[j] }
                }
            }
            return picks
        }
        switch x.storage {
        case .float(let v): return TopKPlan(axis: axis, k: k, picks: run(v))
        case .int64(let v): return TopKPlan(axis: axis, k: k, picks: run(v))
        case .bool: throw GraphError.kernel("input must be float32 or int64, got bool")
        }
    }

    /// The picked values of `x`, whatever its dtype.
    struct TakeBody: DTypeBody {
        let x: Tensor, plan: TopKPlan, shape: [Int]
        func run<T: TensorScalar>(_ type: T.Type) throws -> Tensor {
            let v = try T.values(x)
            let (_, n, inner) = split(x.shape, axis: plan.axis)
            let k = plan.k
            let out = plan.picks.indices.map { p -> T in
                let i = p % inner, o = p / (k * inner)
                return v[(o * n + plan.picks[p]) * inner + i]
            }
            return T.tensor(shape, out)
        }
    }

    /// TopK: each value's gradient goes back to the position it was taken from; the rest of the
    /// input gets zero, K none.
    static func topKGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
        let x = try ctx.input(0)
        let p = try topKPlan(ctx.forwardContext())
        let g = try Grad.output(ctx)
        guard g.count == p.picks.count else {
            throw GraphError.invalidShape("TopK values gradient has \(g.count) values, expected \(p.picks.count)")
        }
        let (_, n, inner) = split(x.shape, axis: p.axis)
        var out = [Float](repeating: 0, count: x.count)
        for q in p.picks.indices {
            let i = q % inner, o = q / (p.k * inner)
            out[(o * n + p.picks[q]) * inner + i] += g[q]
        }
        return Grad.at(ctx, [0: Tensor(unchecked: x.shape, floats: out)])
    }
}
