import Graph

/// Concat and Split along one axis, for every dtype. Both move contiguous blocks of
/// `product(shape[axis...])` elements per outer index.
enum ConcatSplitOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Concat", vjp: { try concatGrad($0) }, lrp: .gradient) { ctx in
            let xs = try variadicInputs(ctx)
            try requireSameDType(xs)
            let rank = xs[0].rank
            guard rank > 0 else { throw GraphError.invalidShape("Concat needs tensors of rank >= 1, got scalars") }
            let axisAttr: Int = try ctx.node.required("axis")
            let axis = try Axes.normalize(axisAttr, rank: rank)
            var shape = xs[0].shape
            shape[axis] = 0
            for x in xs {
                guard x.rank == rank, (0..<rank).allSatisfy({ $0 == axis || x.shape[$0] == xs[0].shape[$0] }) else {
                    throw GraphError.invalidShape("cannot concatenate shapes \(xs.map(\.shape)) along axis \(axisAttr)")
                }
                shape[axis] += x.shape[axis]
            }
            return [try dispatch(xs[0].dtype, ConcatBody(xs: xs, axis: axis, shape: shape))]
        })
        r.register(OpDefinition(opType: "Split", vjp: { try splitGrad($0) }, lrp: .gradient) { ctx in
            let x = try ctx.input(0)
            let axis = try Axes.normalize(try ctx.attr("axis", default: 0), rank: x.rank)
            let sizes = try splitSizes(ctx, dim: x.shape[axis])
            return try dispatch(x.dtype, SplitBody(x: x, axis: axis, sizes: sizes))
        })
    }

    /// Piece lengths along the axis: the `split` input, else `num_outputs` (ceil-sized pieces,
    /// the last one smaller), else an equal split into as many pieces as the node has outputs.
    static func splitSizes(_ ctx: OpContext, dim: Int) throws -> [Int] {
        let outputs = ctx.node.outputs.count
        if let s = ctx.optionalInput(1) {
            guard let sizes = try Axes.values(s, what: "split") else { return [] }
            guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == dim else {
                throw GraphError.invalidShape("split sizes \(sizes) must be non-negative and sum to the axis length \(dim)")
            }
            guard sizes.count == outputs else {
                throw GraphError.invalidShape("split has \(sizes.count) sizes but the node has \(outputs) outputs")
            }
            return sizes
        }
        if let n: Int = try ctx.attr("num_outputs") {
            guard n >= 1, n == outputs else {
                throw GraphError.attribute("num_outputs = \(n) must be >= 1 and equal the node's \(outputs) outputs")
            }
            let chunk = (dim + n - 1) / n
            guard chunk * (n - 1) <= dim else {
                throw GraphError.invalidShape("cannot split an axis of length \(dim) into \(n) pieces")
            }
            return [Int](repeating: chunk, count: n - 1) + [dim - chunk * (n - 1)]
        }
        guard outputs >= 1, dim % outputs == 0 else {
            throw GraphError.invalidShape("axis length \(dim) does not split evenly into \(outputs) outputs")
        }
        return [Int](repeating: dim / outputs, count: outputs)
    }

    struct ConcatBody: DTypeBody {
        let xs: [Tensor], axis: Int, shape: [Int]
        func run<T: TensorScalar>(_ type: T.Type) throws -> Tensor {
            let outer = Axes.product(shape, 0..<axis), inner = Axes.product(shape, axis + 1..<shape.count)
            let row = shape[axis] * inner
            let parts = try xs.map { try T.values($0) }
            let out = [T](unsafeUninitializedCapacity: outer * row) { po, n in
                var col = 0
                for (x, v) in zip(xs, parts) {
                    let w = x.shape[axis] * inner
                    v.withUnsafeBufferPointer { pv in
                        for o in 0..<outer {
                            for k in 0..<w { po[o * row + col + k] = pv[o * w + k] }
                        }
                    }
                    col += w
                }
                n = outer * row
            }
            return T.tensor(shape, out)
        }
    }

    struct SplitBody: DTypeBody {
        let x: Tensor, axis: Int, sizes: [Int]
        func run<T: TensorScalar>(_ type: T.Type) throws -> [Tensor] {
            let outer = Axes.product(x.shape, 0..<axis), inner = Axes.product(x.shape, axis + 1..<x.rank)
            let row = x.shape[axis] * inner
            let v = try T.values(x)
            var col = 0
            return v.withUnsafeBufferPointer { pv in
                sizes.map { size in
                    let w = size * inner
                    var shape = x.shape
                    shape[axis] = size
                    let out = [T](unsafeUninitializedCapacity: outer * w) { po, n in
                        for o in 0..<outer {
                            for k in 0..<w { po[o * w + k] = pv[o * row + col + k] }
                        }
                        n = outer * w
                    }
                    col += w
                    return T.tensor(shape, out)
                }
            }
        }
    }
}

// MARK: Gradients

extension ConcatSplitOps {
    /// Concat: the output gradient split back into the inputs' pieces along the axis.
    static func concatGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let g = try Grad.outputTensor(ctx)
        let axis = try Axes.normalize(try ctx.node.required("axis") as Int, rank: g.rank)
        let present = ctx.inputs.indices.filter { ctx.inputs[$0] != nil }
        let sizes = try present.map { i -> Int in
            let x = try ctx.input(i)
            guard x.rank == g.rank else { throw GraphError.invalidShape("Concat input \(x.shape) and output \(g.shape) differ in rank") }
            return x.shape[axis]
        }
        guard sizes.reduce(0, +) == g.shape[axis] else {
            throw GraphError.invalidShape("Concat inputs do not add up to the output \(g.shape) along axis \(axis)")
        }
        let pieces = try SplitBody(x: g, axis: axis, sizes: sizes).run(Float.self)
        var out = Grad.none(ctx)
        for (k, i) in present.enumerated() where Grad.wants(ctx, i) { out[i] = pieces[k] }
        return out
    }

    /// Split: the outputs' gradients (zeros for outputs nothing flows into) concatenated back.
    static func splitGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
        let x = try ctx.input(0)
        let axis = try Axes.normalize(try ctx.attr("axis", default: 0), rank: x.rank)
        let gs = try ctx.outputs.indices.map { try Grad.outputTensor(ctx, $0) }
        guard gs.allSatisfy({ $0.rank == x.rank }), gs.reduce(0, { $0 + $1.shape[axis] }) == x.shape[axis] else {
            throw GraphError.invalidShape("Split output gradients \(gs.map(\.shape)) do not assemble into the input \(x.shape)")
        }
        return Grad.at(ctx, [0: try ConcatBody(xs: gs, axis: axis, shape: x.shape).run(Float.self)])
    }
}
