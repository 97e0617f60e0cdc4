import Graph

/// ReduceSum, ReduceMean, ReduceMax over the `axes` input (absent or empty: every axis, or the
/// input unchanged when noop_with_empty_axes = 1), keeping reduced axes as 1 when keepdims = 1.
///
/// Runs of adjacent reduced axes are merged, and each run is reduced as an (outer, n, inner) view,
/// innermost run first, so no transposition is needed.
enum ReduceOps {
    enum Kind { case sum, mean, max }

    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "ReduceSum") { ctx in [try reduce(ctx, .sum)] })
        r.register(OpDefinition(opType: "ReduceMean") { ctx in [try reduce(ctx, .mean)] })
        r.register(OpDefinition(opType: "ReduceMax") { ctx in [try reduce(ctx, .max)] })
    }

    static func reduce(_ ctx: OpContext, _ kind: Kind) throws -> Tensor {
        let x = try ctx.input(0)
        let keep: Int = try ctx.attr("keepdims", default: 1)
        let noop: Int = try ctx.attr("noop_with_empty_axes", default: 0)
        let given = try Axes.values(ctx.optionalInput(1)) ?? []
        if given.isEmpty && noop != 0 { return x }
        let axes = given.isEmpty ? Array(0..<x.rank) : try Axes.normalize(given, rank: x.rank).sorted()
        let reduced = Set(axes)
        let outShape = keep != 0 ? x.shape.indices.map { reduced.contains($0) ? 1 : x.shape[$0] }
                                 : x.shape.indices.filter { !reduced.contains($0) }.map { x.shape[$0] }

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
