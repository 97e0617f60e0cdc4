import Graph

/// Comparison, logic and selection with broadcasting: Equal, Less, Greater, LessOrEqual,
/// GreaterOrEqual (float32 / int64 operands of one dtype, Equal also bool; -> bool), Not, And, Or,
/// Xor (bool), and Where (three-way broadcast). Comparisons and logic carry no gradient.
enum SelectionOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Equal") { ctx in
            let a = try ctx.input(0), b = try ctx.input(1)
            return [try equal(a, b, threads: ctx.threads)]
        })
        // IEEE comparisons: any comparison with NaN is false.
        r.register(OpDefinition(opType: "Less") { ctx in [try compare(ctx, float: { $0 < $1 }, int: { $0 < $1 })] })
        r.register(OpDefinition(opType: "Greater") { ctx in [try compare(ctx, float: { $0 > $1 }, int: { $0 > $1 })] })
        r.register(OpDefinition(opType: "LessOrEqual") { ctx in [try compare(ctx, float: { $0 <= $1 }, int: { $0 <= $1 })] })
        r.register(OpDefinition(opType: "GreaterOrEqual") { ctx in
            [try compare(ctx, float: { $0 >= $1 }, int: { $0 >= $1 })]
        })
        r.register(OpDefinition(opType: "Not") { ctx in
            let x = try ctx.input(0)
            try require(x, .bool, "X")
            return [Tensor(unchecked: x.shape, bools: Broadcast.map(try x.bools(), threads: ctx.threads) { !$0 })]
        })
        r.register(OpDefinition(opType: "And") { ctx in [try logic(ctx) { $0 && $1 }] })
        r.register(OpDefinition(opType: "Or") { ctx in [try logic(ctx) { $0 || $1 }] })
        r.register(OpDefinition(opType: "Xor") { ctx in [try logic(ctx) { $0 != $1 }] })
        r.register(OpDefinition(opType: "Where", vjp: { try whereGrad($0) }, lrp: .gradient) { ctx in
            let c = try ctx.input(0), x = try ctx.input(1), y = try ctx.input(2)
            try require(c, .bool, "condition")
            try requireSameDType([x, y], what: "X and Y")
            return [try dispatch(x.dtype, WhereBody(c: c, x: x, y: y, threads: ctx.threads))]
        })
    }

    /// Elementwise equality of two tensors of one dtype, broadcast.
    static func equal(_ a: Tensor, _ b: Tensor, threads: Int) throws -> Tensor {
        try compare(a, b, threads: threads, float: { $0 == $1 }, int: { $0 == $1 }, bool: { $0 == $1 })
    }

    /// `f` / `g` / `h` applied with broadcasting to two float32, int64 or bool tensors; a nil `h`
    /// refuses bool operands.
    static func compare(_ a: Tensor, _ b: Tensor, threads: Int, float f: (Float, Float) -> Bool,
                        int g: (Int64, Int64) -> Bool, bool h: ((Bool, Bool) -> Bool)? = nil) throws -> Tensor {
        let r: (shape: [Int], values: [Bool])
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)): r = try Broadcast.map(x, a.shape, y, b.shape, threads: threads, f)
        case (.int64(let x), .int64(let y)): r = try Broadcast.map(x, a.shape, y, b.shape, threads: threads, g)
        case (.bool(let x), .bool(let y)):
            guard let h else { throw GraphError.kernel("inputs must be float32 or int64, got bool") }
            r = try Broadcast.map(x, a.shape, y, b.shape, threads: threads, h)
        default: throw GraphError.kernel("inputs must share one dtype, got \(a.dtype) and \(b.dtype)")
        }
        return Tensor(unchecked: r.shape, bools: r.values)
    }

    /// An order comparison of inputs 0 and 1 (float32 or int64), broadcast.
    static func compare(_ ctx: OpContext, float f: (Float, Float) -> Bool, int g: (Int64, Int64) -> Bool) throws -> Tensor {
        try compare(ctx.input(0), ctx.input(1), threads: ctx.threads, float: f, int: g)
    }

    /// A logical op on bool inputs 0 and 1, broadcast.
    static func logic(_ ctx: OpContext, _ f: (Bool, Bool) -> Bool) throws -> Tensor {
        let a = try ctx.input(0), b = try ctx.input(1)
        try require(a, .bool, "A")
        try require(b, .bool, "B")
        let r = try Broadcast.map(try a.bools(), a.shape, try b.bools(), b.shape, threads: ctx.threads, f)
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
