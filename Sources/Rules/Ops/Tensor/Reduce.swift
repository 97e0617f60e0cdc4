import Graph

/// ReduceSum, ReduceMean, ReduceMax over the `axes` input (absent or empty: every axis, or the
/// input unchanged when noop_with_empty_axes = 1), keeping reduced axes as 1 when keepdims = 1.
///
/// Runs of adjacent reduced axes are merged, and each run is reduced as an (outer, n, inner) view,
/// innermost run first, so no transposition is needed.
enum ReduceOps {
    enum Kind { case sum, mean, max }

    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "ReduceSum", vjp: { ctx in try reduceGrad(ctx, .sum) }, lrp: .sum) { ctx in
            [try reduce(ctx, .sum)]
        })
        r.register(OpDefinition(opType: "ReduceMean", vjp: { ctx in try reduceGrad(ctx, .mean) }, lrp: .sum) { ctx in
            [try reduce(ctx, .mean)]
        })
        r.register(OpDefinition(opType: "ReduceMax", vjp: { ctx in try reduceGrad(ctx, .max) }, lrp: .gradient) { ctx in
            [try reduce(ctx, .max)]
        })
    }

    /// The sorted reduced axes and the output shape, or nil when the op passes its input unchanged
    /// (empty axes with noop_with_empty_axes = 1).
    static func plan(_ ctx: OpContext, _ x: Tensor) throws -> (axes: [Int], outShape: [Int], keepShape: [Int])? {
        let keep: Int = try ctx.attr("keepdims", default: 1)
        let noop: Int = try ctx.attr("noop_with_empty_axes", default: 0)
        let given = try Axes.values(ctx.optionalInput(1)) ?? []
        if given.isEmpty && noop != 0 { return nil }
        let axes = given.isEmpty ? Array(0..<x.rank) : try Axes.normalize(given, rank: x.rank).sorted()
        let reduced = Set(axes)
        let keepShape = x.shape.indices.map { reduced.contains($0) ? 1 : x.shape[$0] }
        let outShape = keep != 0 ? keepShape : x.shape.indices.filter { !reduced.contains($0) }.map { x.shape[$0] }
        return (axes, outShape, keepShape)
    }

    static func reduce(_ ctx: OpContext, _ kind: Kind) throws -> Tensor {
        let x = try ctx.input(0)
        guard let (axes, outShape, _) = try plan(ctx, x) else { return x }

        // Merge adjacent axes into runs [lo, hi), then reduce from the innermost run outward.
        var runs: [Range<Int>] = []
        for a in axes {
            if let last = runs.last, last.upperBound == a { runs[runs.count - 1] = last.lowerBound..<(a + 1) } else { runs.append(a..<(a + 1)) }
        }
        var shape = x.shape
        let n = axes.reduce(1) { $0 * x.shape[$1] }
        switch x.storage {
        case .float(var v):
            for run in runs.reversed() {
                if kind == .max {
                    v = step(v, &shape, run, identity: -Float.infinity, threads: ctx.threads) { $0.isNaN || $0 > $1 ? $0 : $1 }
                } else {
                    v = step(v, &shape, run, identity: 0, threads: ctx.threads) { $0 + $1 }
                }
            }
            if kind == .mean { let d = Float(n); v = v.map { $0 / d } }
            return Tensor(unchecked: outShape, floats: v)
        case .int64(var v):
            for run in runs.reversed() {
                if kind == .max {
                    v = step(v, &shape, run, identity: Int64.min, threads: ctx.threads) { Swift.max($0, $1) }
                } else {
                    v = step(v, &shape, run, identity: 0, threads: ctx.threads) { $0 &+ $1 }
                }
            }
            if kind == .mean {
                guard n > 0 else { throw GraphError.invalidShape("ReduceMean over an empty int64 axis") }
                v = v.map { $0 / Int64(n) }
            }
            return Tensor(unchecked: outShape, ints: v)
        case .bool:
            throw GraphError.kernel("input must be float32 or int64, got bool")
        }
    }

    /// ReduceSum / ReduceMean: the output gradient spread over the reduced axes (divided by their
    /// element count for the mean). ReduceMax: to the maxima, split evenly among ties as
    /// PyTorch's `amax` does (a NaN maximum passes no gradient).
    static func reduceGrad(_ ctx: BackwardContext, _ kind: Kind) throws -> [Tensor?] {
        guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
        let x = try ctx.input(0)
        guard let (axes, outShape, keepShape) = try plan(ctx.forwardContext(), x) else { return try Grad.passThrough(ctx) }
        guard outShape == ctx.outputs[0].shape else {
            throw GraphError.invalidShape("recomputed output shape \(outShape) differs from \(ctx.outputs[0].shape)")
        }
        var g = try Grad.output(ctx)
        switch kind {
        case .sum, .mean:
            if kind == .mean {
                let n = Float(axes.reduce(1) { $0 * x.shape[$1] })
                for i in g.indices { g[i] /= n }
            }
            let spread = try Grad.expand(Tensor(unchecked: keepShape, floats: g), to: x.shape, threads: ctx.threads)
            return Grad.at(ctx, [0: Tensor(unchecked: x.shape, floats: spread)])
        case .max:
            let xv = try x.floats(), y = try ctx.outputs[0].floats()
            let mask = try Broadcast.map(xv, x.shape, y, keepShape, threads: ctx.threads) { (a: Float, m: Float) -> Float in a == m ? 1 : 0 }
            let ties = try Unbroadcast.sum(mask.values, x.shape, to: keepShape)
            for i in g.indices { g[i] = ties[i] > 0 ? g[i] / ties[i] : 0 }
            let r = try Broadcast.map(mask.values, x.shape, g, keepShape, threads: ctx.threads) { $0 * $1 }
            return Grad.at(ctx, [0: Tensor(unchecked: x.shape, floats: r.values)])
        }
    }

    /// Reduces dimensions `run` of `shape` (replaced by one dimension of 1) with `f`.
    @inline(__always)
    static func step<T: BitwiseCopyable>(_ x: [T], _ shape: inout [Int], _ run: Range<Int>, identity: T, threads: Int,
                                         _ f: (T, T) -> T) -> [T] {
        let outer = Axes.product(shape, 0..<run.lowerBound)
        let n = Axes.product(shape, run)
        let inner = Axes.product(shape, run.upperBound..<shape.count)
        shape.replaceSubrange(run, with: [1])
        return x.withUnsafeBufferPointer { px in
            [T](unsafeUninitializedCapacity: outer * inner) { po, count in
                parallelChunks(outer, threads: threads, minChunk: max(1, Broadcast.minParallelElements / max(1, n * inner))) { rows in
                    for o in rows {
                        let base = o * n * inner
                        if inner == 1 {
                            // Four partial accumulators: vectorisable and more accurate for long sums.
                            var a0 = identity, a1 = identity, a2 = identity, a3 = identity
                            var k = 0
                            while k + 4 <= n {
                                a0 = f(a0, px[base + k]); a1 = f(a1, px[base + k + 1])
                                a2 = f(a2, px[base + k + 2]); a3 = f(a3, px[base + k + 3])
                                k += 4
                            }
                            while k < n { a0 = f(a0, px[base + k]); k += 1 }
                            po[o] = f(f(a0, a1), f(a2, a3))
                        } else {
                            let dst = o * inner
                            for j in 0..<inner { po[dst + j] = identity }
                            for k in 0..<n {
                                let src = base + k * inner
                                for j in 0..<inner { po[dst + j] = f(po[dst + j], px[src + j]) }
                            }
                        }
                    }
                }
                count = outer * inner
            }
        }
    }
}
