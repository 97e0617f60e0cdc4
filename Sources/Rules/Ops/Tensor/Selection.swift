import Graph

/// Comparison and selection with broadcasting: Equal (-> bool) and Where (three-way broadcast).
enum SelectionOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Equal") { ctx in
            let a = try ctx.input(0), b = try ctx.input(1)
            return [try equal(a, b, threads: ctx.threads)]
        })
        r.register(OpDefinition(opType: "Where") { ctx in
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
