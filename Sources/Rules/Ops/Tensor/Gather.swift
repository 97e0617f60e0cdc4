import Graph

/// Gather(data, indices; axis): picks slices of `data` along `axis` at int64 `indices` of any
/// rank (negative indices count from the end). Output shape:
/// data.shape[..<axis] + indices.shape + data.shape[(axis+1)...]. Out-of-range indices throw.
enum GatherOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Gather") { ctx in
            let data = try ctx.input(0), indices = try ctx.input(1)
            try require(indices, .int64, "indices")
            let axis = try Axes.normalize(try ctx.attr("axis", default: 0), rank: data.rank)
            let dim = data.shape[axis]
            let idx = try indices.ints().map { i -> Int in
                let j = i < 0 ? Int(i) + dim : Int(i)
                guard j >= 0, j < dim else {
                    throw GraphError.invalidShape("Gather index \(i) is out of range for axis \(axis) of size \(dim) (data shape \(data.shape))")
                }
                return j
            }
            let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
            return [try dispatch(data.dtype, GatherBody(data: data, axis: axis, indices: idx, shape: shape))]
        })
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
