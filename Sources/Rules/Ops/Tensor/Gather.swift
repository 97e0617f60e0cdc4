import Graph

/// Gather(data, indices; axis): picks slices of `data` along `axis` at int64 `indices` of any
/// rank (negative indices count from the end). Output shape:
/// data.shape[..<axis] + indices.shape + data.shape[(axis+1)...]. Out-of-range indices throw.
enum GatherOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Gather", vjp: { try gatherGrad($0) }, lrp: .gradient) { ctx in
            let data = try ctx.input(0), indices = try ctx.input(1)
            let (axis, idx) = try plan(data, indices, axis: try ctx.attr("axis", default: 0))
            let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
            return [try dispatch(data.dtype, GatherBody(data: data, axis: axis, indices: idx, shape: shape))]
        })
    }

    /// The normalised axis and indices (negative ones counted from the end, range-checked).
    static func plan(_ data: Tensor, _ indices: Tensor, axis: Int) throws -> (axis: Int, indices: [Int]) {
        try require(indices, .int64, "indices")
        let axis = try Axes.normalize(axis, rank: data.rank)
        let dim = data.shape[axis]
        let idx = try indices.ints().map { i -> Int in
            let j = i < 0 ? Int(i) + dim : Int(i)
            guard j >= 0, j < dim else {
                throw GraphError.invalidShape("Gather index \(i) is out of range for axis \(axis) of size \(dim) (data shape \(data.shape))")
            }
            return j
        }
        return (axis, idx)
    }

    /// Gather's gradient: each output slice added back at the data position it was read from;
    /// repeated indices accumulate. The indices get none.
    static func gatherGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
        let data = try ctx.input(0)
        let (axis, idx) = try plan(data, try ctx.input(1), axis: try ctx.attr("axis", default: 0))
        let g = try Grad.output(ctx)
        let outer = Axes.product(data.shape, 0..<axis), inner = Axes.product(data.shape, axis + 1..<data.rank)
        let row = data.shape[axis] * inner, n = idx.count
        guard g.count == outer * n * inner else {
            throw GraphError.invalidShape("Gather output gradient has \(g.count) values, expected \(outer * n * inner)")
        }
        var out = [Float](repeating: 0, count: data.count)
        for o in 0..<outer {
            for (j, i) in idx.enumerated() {
                let dst = o * row + i * inner, src = (o * n + j) * inner
                for k in 0..<inner { out[dst + k] += g[src + k] }
            }
        }
        return Grad.at(ctx, [0: Tensor(unchecked: data.shape, floats: out)])
    }

    struct GatherBody: DTypeBody {
        let data: Tensor, axis: Int, indices: [Int], shape: [Int]
        func run<T: TensorScalar>(_ type: T.Type) throws -> Tensor {
            let outer = Axes.product(data.shape, 0..<axis), inner = Axes.product(data.shape, axis + 1..<data.rank)
            let row = data.shape[axis] * inner, n = indices.count
            let v = try T.values(data)
            let out = v.withUnsafeBufferPointer { pv in
                [T](unsafeUninitializedCapacity: outer * n * inner) { po, count in
                    for o in 0..<outer {
                        for (j, i) in indices.enumerated() {
                            let src = o * row + i * inner, dst = (o * n + j) * inner
                            for k in 0..<inner { po[dst + k] = pv[src + k] }
                        }
                    }
                    count = outer * n * inner
                }
            }
            return T.tensor(shape, out)
        }
    }
}
