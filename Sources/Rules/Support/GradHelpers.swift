import Graph

/// Building blocks shared by the VJPs of the built-in ops: reading output gradients, asking which
/// input gradients are wanted, and the pointwise / broadcasting patterns most ops follow.
///
/// Conventions: a VJP returns one entry per node input; nil where the input is absent, not float32
/// (int64 indices, bool masks, shapes), or not wanted (`ctx.needs[i]` false).
enum Grad {
    /// The gradient of output `i` as float32 values, checked against that output's shape.
    static func output(_ ctx: BackwardContext, _ i: Int = 0) throws -> [Float] {
        guard i < ctx.outputGrads.count, i < ctx.outputs.count else {
            throw GraphError.kernel("no gradient for output #\(i)")
        }
        let g = ctx.outputGrads[i]
        guard g.shape == ctx.outputs[i].shape else {
            throw GraphError.invalidShape("gradient of output #\(i) has shape \(g.shape), the output \(ctx.outputs[i].shape)")
        }
        return try g.floats()
    }

    /// The gradient of output `i` as a tensor (float32, the output's shape).
    static func outputTensor(_ ctx: BackwardContext, _ i: Int = 0) throws -> Tensor {
        Tensor(unchecked: ctx.outputs[i].shape, floats: try output(ctx, i))
    }

    /// Whether input `i` is present, float32 and its gradient is wanted.
    static func wants(_ ctx: BackwardContext, _ i: Int) -> Bool {
        i < ctx.needs.count && ctx.needs[i] && i < ctx.inputs.count && ctx.inputs[i]?.dtype == .float32
    }

    /// No gradient for any input.
    static func none(_ ctx: BackwardContext) -> [Tensor?] { [Tensor?](repeating: nil, count: ctx.inputs.count) }

    /// A gradient list holding `grads[i]` at the given input positions and nil elsewhere.
    static func at(_ ctx: BackwardContext, _ grads: [Int: Tensor]) -> [Tensor?] {
        var out = none(ctx)
        for (i, g) in grads where i < out.count { out[i] = g }
        return out
    }

    /// Whether the op ran on float32 data (output 0 is float32). Int64 shape arithmetic and bool
    /// masks carry no gradient.
    static func isFloat(_ ctx: BackwardContext) -> Bool { ctx.outputs.first?.dtype == .float32 }

    /// Pointwise op y = f(x): input 0 gets `g * d(x, y)` element by element.
    static func pointwise(_ ctx: BackwardContext, _ d: (Float, Float) -> Float) throws -> [Tensor?] {
        guard wants(ctx, 0), isFloat(ctx) else { return none(ctx) }
        let x = try ctx.input(0)
        let xv = try x.floats(), yv = try ctx.outputs[0].floats(), g = try output(ctx)
        guard xv.count == g.count, yv.count == g.count else {
            throw GraphError.invalidShape("input \(x.shape) and output \(ctx.outputs[0].shape) differ for a pointwise op")
        }
        let out = [Float](unsafeUninitializedCapacity: g.count) { po, n in
            xv.withUnsafeBufferPointer { px in
                yv.withUnsafeBufferPointer { py in
                    g.withUnsafeBufferPointer { pg in
                        parallelChunks(pg.count, threads: ctx.threads, minChunk: Broadcast.minParallelElements) { r in
                            for i in r { po[i] = pg[i] * d(px[i], py[i]) }
                        }
                    }
                }
            }
            n = g.count
        }
        return at(ctx, [0: Tensor(unchecked: x.shape, floats: out)])
    }

    /// Ops that only reinterpret or pass their data (Identity, Dropout, Reshape, Flatten, Squeeze,
    /// Unsqueeze, Cast between float types): input 0 gets output 0's gradient in its own shape.
    static func passThrough(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard wants(ctx, 0), isFloat(ctx) else { return none(ctx) }
        let x = try ctx.input(0)
        return at(ctx, [0: try outputTensor(ctx).reshaped(x.shape)])
    }

    /// The float32 tensor `x` read at the broadcast shape `shape` (which `x` must broadcast to).
    static func expand(_ x: Tensor, to shape: [Int], threads: Int) throws -> [Float] {
        let v = try x.floats()
        if x.shape == shape { return v }
        guard x.rank <= shape.count, (try? Broadcast.shape(x.shape, shape)) == shape else {
            throw GraphError.invalidShape("\(x.shape) does not broadcast to \(shape)")
        }
        return Broadcast.gather(v, StridedLoop(shape: shape, strides: [Broadcast.strides(x.shape, to: shape)]), threads: threads)
    }

    /// Gradient `g` (over the broadcast output shape `shape`) of a broadcasting binary op
    /// y = f(a, b), for the operand `which` (0: a, 1: b): `g * d(a, b)` summed back to its shape.
    static func binary(_ a: Tensor, _ b: Tensor, g: [Float], shape: [Int], which: Int, threads: Int,
                       _ d: (Float, Float) -> Float) throws -> Tensor {
        let av = try a.floats(), bv = try b.floats()
        let partial = try Broadcast.map(av, a.shape, bv, b.shape, threads: threads) { (x: Float, y: Float) in
            d(x, y)
        }
        guard partial.shape == shape else {
            throw GraphError.invalidShape("operands \(a.shape) and \(b.shape) broadcast to \(partial.shape), the output is \(shape)")
        }
        var values = partial.values
        for i in values.indices { values[i] *= g[i] }
        let target = which == 0 ? a.shape : b.shape
        return Tensor(unchecked: target, floats: try Unbroadcast.sum(values, shape, to: target))
    }
}
