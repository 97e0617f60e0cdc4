import Graph

/// Ops that read their input through a strided view and copy it out: Slice (offset and stepped,
/// possibly negative, strides), Transpose (permuted strides) and Expand (zero strides).
enum StridedOps {
    static func register(into r: inout OpRegistry) {
        // Gradients: the output gradient scattered back through the same strided view (Slice,
        // Transpose), or summed over the broadcast axes (Expand).
        r.register(OpDefinition(opType: "Slice", vjp: { ctx in
            guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
            let x = try ctx.input(0)
            guard let view = try sliceView(ctx.forwardContext()) else { return try Grad.passThrough(ctx) }
            return Grad.at(ctx, [0: try scatter(ctx, view, into: x.shape)])
        }, lrp: .gradient) { ctx in
            let x = try ctx.input(0)
            guard let view = try sliceView(ctx) else { return [x] }
            return [try x.strided(view.loop, shape: view.shape, threads: ctx.threads)]
        })
        r.register(OpDefinition(opType: "Transpose", vjp: { ctx in
            guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
            let x = try ctx.input(0)
            return Grad.at(ctx, [0: try scatter(ctx, try transposeView(ctx.forwardContext()), into: x.shape)])
        }, lrp: .gradient) { ctx in
            let view = try transposeView(ctx)
            return [try ctx.input(0).strided(view.loop, shape: view.shape, threads: ctx.threads)]
        })
        r.register(OpDefinition(opType: "Expand", vjp: { ctx in
            guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
            return Grad.at(ctx, [0: try Unbroadcast.tensor(try Grad.outputTensor(ctx), to: try ctx.input(0).shape)])
        }, lrp: .gradient) { ctx in
            let x = try ctx.input(0)
            guard let target = try Axes.values(try ctx.input(1), what: "shape") else { return [x] }
            guard target.allSatisfy({ $0 >= 0 }) else { throw GraphError.invalidShape("Expand shape \(target) has a negative dimension") }
            let shape = try Broadcast.shape(x.shape, target)
            _ = try Axes.checkedCount(shape)
            let loop = StridedLoop(shape: shape, strides: [Broadcast.strides(x.shape, to: shape)])
            return [try x.strided(loop, shape: shape, threads: ctx.threads)]
        })
    }

    /// A strided read of input 0: the output shape and the loop that walks the input.
    typealias View = (shape: [Int], loop: StridedLoop)

    /// The output gradient added back into a zero tensor of `shape` at the positions `view` read.
    static func scatter(_ ctx: BackwardContext, _ view: View, into shape: [Int]) throws -> Tensor {
        let g = try Grad.output(ctx)
        guard view.shape == ctx.outputs[0].shape else {
            throw GraphError.invalidShape("recomputed view \(view.shape) differs from the output \(ctx.outputs[0].shape)")
        }
        return Tensor(unchecked: shape, floats: try Unbroadcast.scatterAdd(g, view.loop, count: Tensor.elementCount(shape)))
    }

    /// Transpose by `perm` (default: reversed axes) as a permuted-stride view.
    static func transposeView(_ ctx: OpContext) throws -> View {
        let x = try ctx.input(0)
        let perm: [Int] = try ctx.attr("perm") ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, perm.sorted() == Array(0..<x.rank) else {
            throw GraphError.attribute("perm \(perm) is not a permutation of the \(x.rank) axes of \(x.shape)")
        }
        let inStrides = Axes.strides(of: x.shape)
        let shape = perm.map { x.shape[$0] }
        return (shape, StridedLoop(shape: shape, strides: [perm.map { inStrides[$0] }]))
    }

    /// ONNX Slice: starts/ends (negative counts from the end, clamped per the step's direction),
    /// optional axes (negative allowed, no repeats) and steps (non-zero, negative walks backwards).
    /// Nil when starts or ends are absent (empty): the input passes unchanged.
    static func sliceView(_ ctx: OpContext) throws -> View? {
        let x = try ctx.input(0)
        guard let starts = try Axes.values(try ctx.input(1), what: "starts"),
              let ends = try Axes.values(try ctx.input(2), what: "ends") else { return nil }
        let axes = try Axes.values(ctx.optionalInput(3)).map { try Axes.normalize($0, rank: x.rank) } ?? Array(0..<starts.count)
        let steps = try Axes.values(ctx.optionalInput(4), what: "steps") ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw GraphError.invalidShape("starts (\(starts.count)), ends (\(ends.count)), axes (\(axes.count)) and steps (\(steps.count)) must have equal lengths")
        }
        guard axes.count <= x.rank else { throw GraphError.invalidShape("\(axes.count) axes for a rank-\(x.rank) input") }

        var shape = x.shape
        let inStrides = Axes.strides(of: x.shape)
        var strides = inStrides
        var offset = 0
        for (i, axis) in axes.enumerated() {
            let dim = x.shape[axis]
            guard steps[i] != 0 else { throw GraphError.invalidShape("slice step for axis \(axis) is 0") }
            // A step longer than the axis takes at most one element; clamping keeps the arithmetic in range.
            let step = Swift.max(Swift.min(steps[i], Swift.max(dim, 1)), -Swift.max(dim, 1))
            var start = starts[i], end = ends[i]
            if start < 0 { start = start &+ dim }
            if end < 0 { end = end &+ dim }
            let n: Int
            if step > 0 {
                start = Swift.min(Swift.max(start, 0), dim)
                end = Swift.min(Swift.max(end, 0), dim)
                n = end > start ? (end - start + step - 1) / step : 0
            } else {
                start = Swift.min(Swift.max(start, 0), dim - 1)
                end = Swift.min(Swift.max(end, -1), dim - 1)
                n = start > end ? (start - end - step - 1) / (-step) : 0
            }
            shape[axis] = n
            if n > 0 { offset += start * inStrides[axis] }
            strides[axis] = inStrides[axis] * step
        }
        if shape.contains(0) { offset = 0 }
        return (shape, StridedLoop(shape: shape, strides: [strides], offsets: [offset]))
    }
}
