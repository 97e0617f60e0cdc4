import Graph

/// Comparison and selection with broadcasting: Equal (-> bool) and Where (three-way broadcast).
enum SelectionOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Equal") { ctx in
            let a = try ctx.input(0), b = try ctx.input(1)
            return [try equal(a, b, threads: ctx.threads)]
        })
        r.register(OpDefinition(opType: "Where", vjp: { try whereGrad($0) }, lrp: .gradient) { ctx in
            let c = try ctx.input(0), x = try ctx.input(1), y = try ctx.input(2)
            try require(c, .bool, "condition")
            try requireSameDType([x, y], what: "X and Y")
            return [try dispatch(x.dtype, WhereBody(c: c, x: x, y: y, threads: ctx.threads))]
        })
    }

    /// Elementwise equality of two tensors of one dtype, broadcast.
    static func equal(_ a: Tensor, _ b: Tensor, threads: Int) throws -> Tensor {
        let r: (shape: [Int], values: [Bool])
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)): r = try Broadcast.map(x, a.shape, y, b.shape, threads: threads) { $0 == $1 }
        case (.int64(let x), .int64(let y)): r = try Broadcast.map(x, a.shape, y, b.shape, threads: threads) { $0 == $1 }
        case (.bool(let x), .bool(let y)): r = try Broadcast.map(x, a.shape, y, b.shape, threads: threads) { $0 == $1 }
        default: throw GraphError.kernel("inputs must share one dtype, got \(a.dtype) and \(b.dtype)")
        }
        return Tensor(unchecked: r.shape, bools: r.values)
    }

    struct WhereBody: DTypeBody {
        let c: Tensor, x: Tensor, y: Tensor, threads: Int
        func run<T: TensorScalar>(_ type: T.Type) throws -> Tensor {
            let r = try Broadcast.map(try c.bools(), c.shape, try T.values(x), x.shape, try T.values(y), y.shape,
                                      threads: threads) { $0 ? $1 : $2 }
            return T.tensor(r.shape, r.values)
        }
    }
}

// MARK: Gradients

extension SelectionOps {
    /// Where: X gets the gradient where the condition holds, Y where it does not, each summed
    /// back to its shape; the condition gets none.
    static func whereGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let c = try ctx.input(0)
        let cv = try c.bools(), g = try Grad.output(ctx), shape = ctx.outputs[0].shape
        var out = Grad.none(ctx)
        for (i, pick) in [(1, true), (2, false)] where Grad.wants(ctx, i) {
            let masked = try Broadcast.map(cv, c.shape, g, shape, threads: ctx.threads) { $0 == pick ? $1 : 0 }
            guard masked.shape == shape else {
                throw GraphError.invalidShape("condition \(c.shape) does not broadcast to the output \(shape)")
            }
            let target = try ctx.input(i).shape
            out[i] = Tensor(unchecked: target, floats: try Unbroadcast.sum(masked.values, shape, to: target))
        }
        return out
    }
}
