import Graph

/// Ops that create tensors: Constant (from its attribute), ConstantOfShape and Range.
enum GeneratorOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Constant") { ctx in [try constant(ctx.node)] })
        r.register(OpDefinition(opType: "ConstantOfShape") { ctx in
            guard let dims = try Axes.values(try ctx.input(0), what: "shape") else { return [] }
            let count = try Axes.checkedCount(dims)
            let value: Tensor = try ctx.attr("value") ?? .scalar(Float(0))
            guard value.count == 1 else {
                throw GraphError.attribute("ConstantOfShape value must hold one element, got shape \(value.shape)")
            }
            switch value.storage {
            case .float(let v): return [Tensor(unchecked: dims, floats: [Float](repeating: v[0], count: count))]
            case .int64(let v): return [Tensor(unchecked: dims, ints: [Int64](repeating: v[0], count: count))]
            case .bool(let v): return [Tensor(unchecked: dims, bools: [Bool](repeating: v[0], count: count))]
            }
        })
        r.register(OpDefinition(opType: "Range") { ctx in
            let s = try ctx.input(0), l = try ctx.input(1), d = try ctx.input(2)
            try requireSameDType([s, l, d], what: "start, limit and delta")
            for (t, name) in [(s, "start"), (l, "limit"), (d, "delta")] where t.count != 1 {
                throw GraphError.invalidShape("Range \(name) must be a scalar, got shape \(t.shape)")
            }
            switch (s.storage, l.storage, d.storage) {
            case (.float(let a), .float(let b), .float(let c)): return [try range(a[0], b[0], c[0])]
            case (.int64(let a), .int64(let b), .int64(let c)): return [try range(a[0], b[0], c[0])]
            default: throw GraphError.kernel("Range needs float32 or int64 scalars, got \(s.dtype)")
            }
        })
    }

    /// The tensor a Constant node holds: `value`, or one of value_float(s) / value_int(s).
    static func constant(_ node: Node) throws -> Tensor {
        let keys = ["value", "value_float", "value_floats", "value_int", "value_ints"]
        let present = keys.filter { node.attributes[$0] != nil }
        guard present.count == 1 else {
            let unsupported = node.attributes.keys.filter { !keys.contains($0) }.sorted()
            throw GraphError.attribute("Constant needs exactly one of \(keys.joined(separator: ", "))"
                + (unsupported.isEmpty ? "" : " (unsupported: \(unsupported.joined(separator: ", ")))"))
        }
        switch present[0] {
        case "value": return try node.required("value") as Tensor
        case "value_float": return .scalar(try node.required("value_float") as Float)
        case "value_floats": return .vector(try node.required("value_floats") as [Float])
        case "value_int": return .scalar(Int64(try node.required("value_int") as Int))
        default: return .vector((try node.required("value_ints") as [Int]).map { Int64($0) })
        }
    }

    /// start, start+delta, ... up to (excluding) limit: ceil((limit - start) / delta) values,
    /// accumulated by repeated addition as onnxruntime does.
    static func range(_ start: Float, _ limit: Float, _ delta: Float) throws -> Tensor {
        guard delta != 0, start.isFinite, limit.isFinite, delta.isFinite else {
            throw GraphError.invalidShape("Range needs finite start/limit and a non-zero delta, got \(start), \(limit), \(delta)")
        }
        let n = Swift.max(0, (Double(limit - start) / Double(delta)).rounded(.up))
        let count = try Axes.checkedCount([Int(Swift.min(n, Double(Axes.maxElements + 1)))])
        var out = [Float](repeating: 0, count: count)
        var v = start
        for i in 0..<count { out[i] = v; v += delta }
        return Tensor(unchecked: [count], floats: out)
    }

    static func range(_ start: Int64, _ limit: Int64, _ delta: Int64) throws -> Tensor {
        guard delta != 0 else { throw GraphError.invalidShape("Range delta is 0") }
        let (diff, overflow) = limit.subtractingReportingOverflow(start)
        guard !overflow, diff != .min, delta != .min else { throw GraphError.invalidShape("Range \(start)..<\(limit) step \(delta) is too long") }
        // ceil(diff / delta) without floating point; 0 when the range is empty.
        let n: Int64
        if delta > 0 { n = diff > 0 ? (diff - 1) / delta + 1 : 0 } else { n = diff < 0 ? (-diff - 1) / (-delta) + 1 : 0 }
        let count = try Axes.checkedCount([Int(n)])
        return Tensor(unchecked: [count], ints: (0..<count).map { start &+ Int64($0) &* delta })
    }
}
