import Graph

/// Ops that change only the shape, never the data order: Reshape, Flatten, Squeeze, Unsqueeze
/// (their gradient is the output's, reshaped back); and Shape, which reads it (no gradient).
enum ShapeOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Reshape", vjp: { try Grad.passThrough($0) }, lrp: .gradient) { ctx in
            let x = try ctx.input(0)
            guard let spec = try Axes.values(try ctx.input(1), what: "shape") else { return [x] }
            let allowZero: Int = try ctx.attr("allowzero", default: 0)
            return [try x.reshaped(reshapeTarget(spec, input: x.shape, allowZero: allowZero != 0))]
        })
        r.register(OpDefinition(opType: "Flatten", vjp: { try Grad.passThrough($0) }, lrp: .gradient) { ctx in
            let x = try ctx.input(0)
            let axis: Int = try ctx.attr("axis", default: 1)
            guard axis >= -x.rank, axis <= x.rank else {
                throw GraphError.invalidShape("Flatten axis \(axis) is out of range for rank \(x.rank)")
            }
            let a = axis < 0 ? axis + x.rank : axis
            return [try x.reshaped([Axes.product(x.shape, 0..<a), Axes.product(x.shape, a..<x.rank)])]
        })
        r.register(OpDefinition(opType: "Squeeze", vjp: { try Grad.passThrough($0) }, lrp: .gradient) { ctx in
            let x = try ctx.input(0)
            let axes: Set<Int>
            if let given = try Axes.values(ctx.optionalInput(1)) {
                axes = Set(try Axes.normalize(given, rank: x.rank))
                for a in axes where x.shape[a] != 1 {
                    throw GraphError.invalidShape("cannot squeeze axis \(a) of shape \(x.shape): its size is not 1")
                }
            } else {
                axes = Set(x.shape.indices.filter { x.shape[$0] == 1 })
            }
            return [try x.reshaped(x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] })]
        })
        r.register(OpDefinition(opType: "Unsqueeze", vjp: { try Grad.passThrough($0) }, lrp: .gradient) { ctx in
            let x = try ctx.input(0)
            guard let given = try Axes.values(try ctx.input(1)) else { return [x] }
            let rank = x.rank + given.count
            let axes = Set(try Axes.normalize(given, rank: rank))
            var shape: [Int] = []
            var next = 0
            for i in 0..<rank {
                if axes.contains(i) { shape.append(1) } else { shape.append(x.shape[next]); next += 1 }
            }
            return [try x.reshaped(shape)]
        })
        r.register(OpDefinition(opType: "Shape") { ctx in
            let x = try ctx.input(0)
            func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + x.rank : v, 0), x.rank) }
            let start = clamp(try ctx.attr("start", default: 0)), end = clamp(try ctx.attr("end", default: x.rank))
            return [Tensor.vector(start < end ? x.shape[start..<end].map { Int64($0) } : [])]
        })
    }

    /// The output shape of Reshape: `0` copies the input's dimension (unless `allowZero`), one
    /// `-1` is inferred from the element count. Throws when the counts cannot match.
    static func reshapeTarget(_ spec: [Int], input: [Int], allowZero: Bool) throws -> [Int] {
        var shape = spec
        var infer: Int?
        for (i, d) in spec.enumerated() {
            if d == -1 {
                guard infer == nil else { throw GraphError.invalidShape("Reshape shape \(spec) has more than one -1") }
                infer = i
            } else if d == 0 && !allowZero {
                guard i < input.count else {
                    throw GraphError.invalidShape("Reshape shape \(spec) copies dimension \(i) (0) but the input \(input) has rank \(input.count)")
                }
                shape[i] = input[i]
            } else if d < 0 {
                throw GraphError.invalidShape("Reshape shape \(spec) has invalid dimension \(d)")
            }
        }
        let total = try Axes.checkedCount(input)
        if let k = infer {
            if allowZero && spec.contains(0) {
                throw GraphError.invalidShape("Reshape shape \(spec) combines -1 with 0 while allowzero = 1")
            }
            var known = shape
            known[k] = 1
            let rest = try Axes.checkedCount(known)
            guard rest > 0, total % rest == 0 else {
                throw GraphError.invalidShape("cannot reshape \(input) (\(total) elements) to \(spec)")
            }
            shape[k] = total / rest
        }
        guard try Axes.checkedCount(shape) == total else {
            throw GraphError.invalidShape("cannot reshape \(input) (\(total) elements) to \(spec) (\(shape))")
        }
        return shape
    }
}
