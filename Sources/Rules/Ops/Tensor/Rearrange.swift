import Graph

/// Ops that copy their input into a new arrangement through one strided view (any dtype): Tile
/// (zero strides over the copies), DepthToSpace and SpaceToDepth (a 6-D reshape and transpose of
/// an NCHW tensor). Their gradients scatter the output gradient back through the same view, so
/// Tile's copies add up.
enum RearrangeOps {
    /// An output shape and the loop that reads the input in output order; no loop for an empty
    /// output (nothing to read, and the view's arithmetic could overflow on hostile sizes).
    typealias Arrangement = (shape: [Int], loop: StridedLoop?)

    static func register(into r: inout OpRegistry) {
        for (op, plan) in [("Tile", tile), ("DepthToSpace", depthToSpace), ("SpaceToDepth", spaceToDepth)] {
            r.register(OpDefinition(opType: op, vjp: { ctx in
                guard Grad.isFloat(ctx), Grad.wants(ctx, 0) else { return Grad.none(ctx) }
                let x = try ctx.input(0)
                let a = try plan(ctx.forwardContext())
                guard let loop = a.loop else { return Grad.at(ctx, [0: Tensor.zeros(x.shape)]) }
                return Grad.at(ctx, [0: try StridedOps.scatter(ctx, (a.shape, loop), into: x.shape)])
            }, lrp: .gradient) { ctx in
                let x = try ctx.input(0)
                let a = try plan(ctx)
                guard let loop = a.loop else { return [Tensor.zeros(a.shape, dtype: x.dtype)] }
                return [try x.strided(loop, shape: a.shape, threads: ctx.threads)]
            })
        }
    }

    /// The product of non-negative sizes, throwing on overflow (unlike `Axes.checkedCount`, also
    /// when a later factor is 0, so every partial product of a view's shape stays in range).
    static func product(_ factors: [Int], _ what: @autoclosure () -> String) throws -> Int {
        var p = 1
        for f in factors {
            let (m, o) = p.multipliedReportingOverflow(by: f)
            guard !o else { throw GraphError.invalidShape("\(what()) overflows") }
            p = m
        }
        return p
    }

    /// `shape` with its element count checked (at most `Axes.maxElements`), and the loop when it
    /// is not empty.
    static func arrangement(_ shape: [Int], _ loop: () -> StridedLoop) throws -> Arrangement {
        let n = try Axes.checkedCount(shape)
        return (shape, n == 0 ? nil : loop())
    }

    /// Tile(input, repeats): every dimension times its repeat count (one non-negative count per
    /// axis). The input is read as (r0, d0, r1, d1, ...) with stride 0 along each repeat, which is
    /// the tiled output in row-major order.
    static func tile(_ ctx: OpContext) throws -> Arrangement {
        let x = try ctx.input(0)
        let repeats = try Axes.values(try ctx.input(1), what: "repeats") ?? []
        guard repeats.count == x.rank else {
            throw GraphError.invalidShape("Tile repeats \(repeats) must have one entry per axis of \(x.shape)")
        }
        guard repeats.allSatisfy({ $0 >= 0 }) else { throw GraphError.invalidShape("Tile repeats \(repeats) has a negative entry") }
        let shape = try x.shape.indices.map { i in try product([x.shape[i], repeats[i]], "Tile of \(x.shape) by \(repeats)") }
        let own = Axes.strides(of: x.shape)
        return try arrangement(shape) {
            StridedLoop(shape: x.shape.indices.flatMap { [repeats[$0], x.shape[$0]] },
                        strides: [x.shape.indices.flatMap { [0, own[$0]] }])
        }
    }

    /// The `blocksize` attribute (>= 1) and `mode` (DCR or CRD) of DepthToSpace / SpaceToDepth,
    /// for an NCHW input.
    static func blockPlan(_ ctx: OpContext, _ x: Tensor) throws -> (b: Int, crd: Bool) {
        let b: Int = try ctx.node.required("blocksize")
        guard b >= 1 else { throw GraphError.attribute("blocksize must be at least 1, got \(b)") }
        guard x.rank == 4 else { throw GraphError.invalidShape("input must be 4-D (N, C, H, W), got \(x.shape)") }
        let mode: String = try ctx.attr("mode", default: "DCR")
        guard mode == "DCR" || mode == "CRD" else { throw GraphError.attribute("mode must be 'DCR' or 'CRD', got '\(mode)'") }
        return (b, mode == "CRD")
    }

    /// The input viewed as the 6-D `split` (same element order) and transposed by `perm`, giving `shape`.
    static func permuted(_ split: [Int], _ perm: [Int], shape: [Int]) throws -> Arrangement {
        try arrangement(shape) {
            let s = Axes.strides(of: split)
            return StridedLoop(shape: perm.map { split[$0] }, strides: [perm.map { s[$0] }])
        }
    }

    /// DepthToSpace: (N, C, H, W) -> (N, C/b², H·b, W·b). DCR reads the channels as (b, b, C/b²),
    /// CRD as (C/b², b, b).
    static func depthToSpace(_ ctx: OpContext) throws -> Arrangement {
        let x = try ctx.input(0)
        let (b, crd) = try blockPlan(ctx, x)
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let bb = try product([b, b], "blocksize² (blocksize \(b))")
        guard c % bb == 0 else {
            throw GraphError.invalidShape("DepthToSpace: channels \(c) are not divisible by blocksize² = \(bb)")
        }
        let shape = [n, c / bb, try product([h, b], "H·blocksize"), try product([w, b], "W·blocksize")]
        return crd ? try permuted([n, c / bb, b, b, h, w], [0, 1, 4, 2, 5, 3], shape: shape)
                   : try permuted([n, b, b, c / bb, h, w], [0, 3, 4, 1, 5, 2], shape: shape)
    }

    /// SpaceToDepth: (N, C, H, W) -> (N, C·b², H/b, W/b), each b×b block moved into the channels;
    /// DCR orders the new channels as (b, b, C), CRD as (C, b, b).
    static func spaceToDepth(_ ctx: OpContext) throws -> Arrangement {
        let x = try ctx.input(0)
        let (b, crd) = try blockPlan(ctx, x)
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        guard h % b == 0, w % b == 0 else {
            throw GraphError.invalidShape("SpaceToDepth: height \(h) and width \(w) must be divisible by blocksize \(b)")
        }
        let shape = [n, try product([c, b, b], "C·blocksize² (blocksize \(b))"), h / b, w / b]
        return try permuted([n, c, h / b, b, w / b, b], crd ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4], shape: shape)
    }
}
