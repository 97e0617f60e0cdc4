import Graph

/// A tiny registry with hand-written ops, so graph-layer tests don't depend on the kernel library.
/// Each op counts its calls so tests can see what the executor ran.
final class CallLog: @unchecked Sendable {
    private(set) var calls: [String] = []
    func record(_ s: String) { calls.append(s) }
}

func toyRegistry(_ log: CallLog = CallLog()) -> OpRegistry {
    var r = OpRegistry()
    r.register(OpDefinition(opType: "AddOne") { ctx in
        log.record(ctx.node.name)
        let x = try ctx.input(0)
        return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 + 1 })]
    })
    r.register(OpDefinition(opType: "Twice") { ctx in
        log.record(ctx.node.name)
        let x = try ctx.input(0)
        return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 * 2 })]
    })
    r.register(OpDefinition(opType: "AddT") { ctx in
        log.record(ctx.node.name)
        let a = try ctx.input(0).floats(), b = try ctx.input(1).floats()
        guard a.count == b.count else { throw GraphError.kernel("AddT: sizes differ") }
        return [try Tensor(shape: try ctx.input(0).shape, floats: zip(a, b).map(+))]
    })
    r.register(OpDefinition(opType: "Shape") { ctx in
        [Tensor.vector(try ctx.input(0).shape.map { Int64($0) })]
    })
    r.register(OpDefinition(opType: "Gather") { ctx in
        let d = try ctx.input(0).ints(), i = try ctx.input(1).ints()
        let idx = try i.map { v -> Int64 in
            let k = Int(v) < 0 ? Int(v) + d.count : Int(v)
            guard k >= 0 && k < d.count else { throw GraphError.kernel("index out of range") }
            return d[k]
        }
        return [try Tensor(shape: try ctx.input(1).shape, ints: idx)]
    })
    r.register(OpDefinition(opType: "Concat") { ctx in
        let all = try ctx.inputs.compactMap { $0 }.flatMap { try $0.ints() }
        return [Tensor.vector(all)]
    })
    r.register(OpDefinition(opType: "Mul") { ctx in
        let a = try ctx.input(0).ints(), b = try ctx.input(1).ints()
        return [Tensor.vector(zip(a, b).map(*))]
    })
    r.register(OpDefinition(opType: "Reshape") { ctx in
        let x = try ctx.input(0)
        var shape = try ctx.input(1).ints().map(Int.init)
        for (i, d) in shape.enumerated() where d == 0 { shape[i] = x.shape[i] }
        if let m = shape.firstIndex(of: -1) {
            shape[m] = x.count / max(1, shape.enumerated().filter { $0.offset != m }.map(\.element).reduce(1, *))
        }
        return [try x.reshaped(shape)]
    })
    return r
}
