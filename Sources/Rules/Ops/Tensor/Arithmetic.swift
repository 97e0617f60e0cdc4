#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Graph

/// Broadcasting arithmetic: Add, Sub, Mul, Div, Mod, Pow, and the variadic Sum, Max, Min.
/// float32 and int64 (int64 wraps on overflow; Div truncates toward zero like C, as onnxruntime).
enum ArithmeticOps {
    static func register(into r: inout OpRegistry) {
        // In place when the other operand has the same shape (residual adds): no new buffer.
        r.register(OpDefinition(opType: "Add", vjp: { try addGrad($0) }, lrp: .sum, inPlace: { a, ctx in
            guard a.dtype == .float32, let b = ctx.optionalInput(1), b.dtype == .float32, b.shape == a.shape else { return false }
            let bv = try b.floats()
            try a.withMutableFloats { o in bv.withUnsafeBufferPointer { p in
                guard let op = o.baseAddress, let pp = p.baseAddress else { return }
                sum(op, pp, into: op, count: o.count, threads: ctx.threads)
            } }
            return true
        }) { ctx in
            let a = try ctx.input(0), b = try ctx.input(1)
            if let sum = try sameShapeSum(a, b, threads: ctx.threads) { return [sum] }
            return [try numeric(ctx, a, b, float: { $0 + $1 }, int: { $0 &+ $1 })]
        })
        r.register(OpDefinition(opType: "Sub", vjp: { try subGrad($0) }, lrp: .sum) { ctx in
            [try numeric(ctx, ctx.input(0), ctx.input(1), float: { $0 - $1 }, int: { $0 &- $1 })]
        })
        r.register(OpDefinition(opType: "Mul", vjp: { try mulGrad($0) }, lrp: .product(signals: [0, 1])) { ctx in
            if let gated = try planeScaled(ctx.input(0), ctx.input(1), threads: ctx.threads) { return [gated] }
            return [try numeric(ctx, ctx.input(0), ctx.input(1), float: { $0 * $1 }, int: { $0 &* $1 })]
        })
        r.register(OpDefinition(opType: "Div", vjp: { try divGrad($0) }, lrp: .product(signals: [0])) { ctx in
            let a = try ctx.input(0), b = try ctx.input(1)
            if case .int64(let d) = b.storage, d.contains(0) {
                throw GraphError.kernel("integer division by zero")
            }
            return [try numeric(ctx, a, b, float: { $0 / $1 },
                                int: { $0.dividedReportingOverflow(by: $1).partialValue })]
        })
        r.register(OpDefinition(opType: "Mod", vjp: { try modGrad($0) }, lrp: .gradient) { ctx in [try mod(ctx)] })
        r.register(OpDefinition(opType: "Pow", vjp: { try powGrad($0) }, lrp: .elementwise) { ctx in [try power(ctx)] })
        r.register(OpDefinition(opType: "Sum", vjp: { try sumGrad($0) }, lrp: .sum) { ctx in
            [try fold(ctx, float: { $0 + $1 }, int: { $0 &+ $1 })]
        })
        r.register(OpDefinition(opType: "Max", vjp: { ctx in try foldGrad(ctx) { a, b in a.isNaN || a > b } }, lrp: .gradient) { ctx in
            [try fold(ctx, float: { $0.isNaN || $0 > $1 ? $0 : $1 }, int: { Swift.max($0, $1) })]
        })
        r.register(OpDefinition(opType: "Min", vjp: { ctx in try foldGrad(ctx) { a, b in a.isNaN || a < b } }, lrp: .gradient) { ctx in
            [try fold(ctx, float: { $0.isNaN || $0 < $1 ? $0 : $1 }, int: { Swift.min($0, $1) })]
        })
    }

    /// a + b for two float32 tensors of one shape (a residual Add that cannot run in place), in
    /// parallel blocks of a plain C loop; nil for anything else.
    static func sameShapeSum(_ a: Tensor, _ b: Tensor, threads: Int) throws -> Tensor? {
        guard a.dtype == .float32, b.dtype == .float32, a.shape == b.shape else { return nil }
        let av = try a.floats(), bv = try b.floats()
        let out = [Float](unsafeUninitializedCapacity: av.count) { o, n in
            av.withUnsafeBufferPointer { ab in bv.withUnsafeBufferPointer { bb in
                guard let ap = ab.baseAddress, let bp = bb.baseAddress, let op = o.baseAddress else { return }
                sum(ap, bp, into: op, count: av.count, threads: threads)
            } }
            n = av.count
        }
        return Tensor(unchecked: a.shape, floats: out)
    }

    /// out[i] = a[i] + b[i] for i < count (out may be a), in parallel blocks of 64k elements.
    static func sum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                    count: Int, threads: Int) {
        parallelChunks(count, threads: threads, minChunk: 1 << 16) { r in
            cfcam_add(a + r.lowerBound, b + r.lowerBound, out + r.lowerBound, r.count)
        }
    }

    /// x [N, C, spatial...] times s [N, C, 1, ...] (either order): the squeeze-excite gate, one
    /// vectorised pass per plane (Sources/CKernels/elementwise.c; the same products as the
    /// broadcasting loop). Nil for any other pair of shapes.
    static func planeScaled(_ a: Tensor, _ b: Tensor, threads: Int) throws -> Tensor? {
        func gate(_ x: Tensor, _ s: Tensor) -> Bool {
            x.rank >= 3 && s.rank == x.rank && s.shape[0] == x.shape[0] && s.shape[1] == x.shape[1]
                && s.shape.dropFirst(2).allSatisfy { $0 == 1 } && x.shape.dropFirst(2).contains { $0 > 1 }
        }
        guard a.dtype == .float32, b.dtype == .float32 else { return nil }
        let x: Tensor, s: Tensor
        if gate(a, b) { (x, s) = (a, b) } else if gate(b, a) { (x, s) = (b, a) } else { return nil }
        guard s.count > 0, x.count > 0 else { return nil }
        let xv = try x.floats(), sv = try s.floats(), planes = s.count, size = x.count / planes
        let out = [Float](unsafeUninitializedCapacity: xv.count) { o, n in
            xv.withUnsafeBufferPointer { xb in sv.withUnsafeBufferPointer { sb in
                guard let xp = xb.baseAddress, let sp = sb.baseAddress, let op = o.baseAddress else { return }
                parallelChunks(planes, threads: threads, minChunk: max(1, 8192 / size)) { r in
                    cfcam_scale_planes(xp + r.lowerBound * size, sp + r.lowerBound, op + r.lowerBound * size, r.count, size,
                                       FastGEMM.enabled ? 1 : 0)
                }
            } }
            n = xv.count
        }
        return Tensor(unchecked: x.shape, floats: out)
    }

    /// `f` / `g` applied with broadcasting to two float32 or two int64 tensors.
    @inline(__always)
    static func numeric(_ ctx: OpContext, _ a: Tensor, _ b: Tensor,
                        float f: (Float, Float) -> Float, int g: (Int64, Int64) -> Int64) throws -> Tensor {
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            let r = try Broadcast.map(x, a.shape, y, b.shape, threads: ctx.threads, f)
            return Tensor(unchecked: r.shape, floats: r.values)
        case (.int64(let x), .int64(let y)):
            let r = try Broadcast.map(x, a.shape, y, b.shape, threads: ctx.threads, g)
            return Tensor(unchecked: r.shape, ints: r.values)
        default:
            throw GraphError.kernel("inputs must both be float32 or both int64, got \(a.dtype) and \(b.dtype)")
        }
    }

    /// Left fold of a variadic op over its inputs, broadcasting at each step.
    @inline(__always)
    static func fold(_ ctx: OpContext, float f: (Float, Float) -> Float, int g: (Int64, Int64) -> Int64) throws -> Tensor {
        let xs = try variadicInputs(ctx)
        try requireSameDType(xs)
        guard xs[0].dtype != .bool else { throw GraphError.kernel("bool inputs are not supported") }
        var acc = xs[0]
        for x in xs.dropFirst() { acc = try numeric(ctx, acc, x, float: f, int: g) }
        return acc
    }

    /// Pow: the result has the base's dtype; the exponent may be float32 or int64 (ONNX T1).
    /// Integer results truncate the double-precision power toward zero, as onnxruntime does.
    static func power(_ ctx: OpContext) throws -> Tensor {
        let base = try ctx.input(0), ex = try ctx.input(1)
        switch (base.storage, ex.storage) {
        case (.float(let x), .float(let y)):
            let r = try Broadcast.map(x, base.shape, y, ex.shape, threads: ctx.threads) { powf($0, $1) }
            return Tensor(unchecked: r.shape, floats: r.values)
        case (.float(let x), .int64(let y)):
            let r = try Broadcast.map(x, base.shape, y, ex.shape, threads: ctx.threads) { Float(pow(Double($0), Double($1))) }
            return Tensor(unchecked: r.shape, floats: r.values)
        case (.int64(let x), .int64(let y)):
            let r = try Broadcast.map(x, base.shape, y, ex.shape, threads: ctx.threads) { truncatedInt(pow(Double($0), Double($1))) }
            return Tensor(unchecked: r.shape, ints: r.values)
        case (.int64(let x), .float(let y)):
            let r = try Broadcast.map(x, base.shape, y, ex.shape, threads: ctx.threads) { truncatedInt(pow(Double($0), Double($1))) }
            return Tensor(unchecked: r.shape, ints: r.values)
        default:
            throw GraphError.kernel("Pow needs float32 or int64 inputs, got \(base.dtype) and \(ex.dtype)")
        }
    }

    /// Mod(a, b; fmod): fmod = 0 takes the sign of the divisor (Python's `%`, NumPy's `mod`),
    /// fmod = 1 the sign of the dividend (C's `fmod`), for float32 and int64 alike. A float
    /// divisor of 0 gives NaN; an integer divisor of 0 throws, as integer Div does.
    static func mod(_ ctx: OpContext) throws -> Tensor {
        let a = try ctx.input(0), b = try ctx.input(1)
        let fmod: Int = try ctx.attr("fmod", default: 0)
        guard fmod == 0 || fmod == 1 else { throw GraphError.attribute("Mod 'fmod' must be 0 or 1, got \(fmod)") }
        if case .int64(let d) = b.storage, d.contains(0) {
            throw GraphError.kernel("integer modulo by zero")
        }
        if fmod == 1 {
            return try numeric(ctx, a, b, float: { fmodf($0, $1) },
                               int: { $0.remainderReportingOverflow(dividingBy: $1).partialValue })
        }
        return try numeric(ctx, a, b, float: floorMod, int: { x, y in
            let r = x.remainderReportingOverflow(dividingBy: y).partialValue
            return r != 0 && (r < 0) != (y < 0) ? r &+ y : r
        })
    }

    /// The float remainder with the divisor's sign (NumPy's `mod`): a zero result takes the
    /// divisor's sign, and a finite dividend over an infinite divisor of the other sign gives
    /// that infinity.
    @inline(__always)
    static func floorMod(_ x: Float, _ y: Float) -> Float {
        let r = fmodf(x, y)
        if r == 0 { return Float(signOf: y, magnitudeOf: 0) }
        return (r < 0) != (y < 0) ? r + y : r
    }

    /// `d` truncated toward zero; 0 for NaN and values outside the int64 range.
    @inline(__always)
    static func truncatedInt(_ d: Double) -> Int64 {
        d.isFinite ? Int64(exactly: d.rounded(.towardZero)) ?? 0 : 0
    }
}

// MARK: Gradients

extension ArithmeticOps {
    /// d(a + b): the output gradient, summed back to each operand's shape.
    static func addGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        try linearGrad(ctx, signs: [1, 1])
    }

    /// d(a - b): +g to a, -g to b, each summed back to its shape.
    static func subGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        try linearGrad(ctx, signs: [1, -1])
    }

    /// Sum(x0, x1, ...): every input gets the output gradient summed back to its shape.
    static func sumGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        try linearGrad(ctx, signs: [Float](repeating: 1, count: ctx.inputs.count))
    }

    /// Inputs i get `signs[i] * g`, unbroadcast.
    private static func linearGrad(_ ctx: BackwardContext, signs: [Float]) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let g = try Grad.output(ctx), shape = ctx.outputs[0].shape
        var out = Grad.none(ctx)
        for i in out.indices where Grad.wants(ctx, i) && i < signs.count {
            var v = try Unbroadcast.sum(g, shape, to: try ctx.input(i).shape)
            if signs[i] != 1 { for k in v.indices { v[k] *= signs[i] } }
            out[i] = Tensor(unchecked: try ctx.input(i).shape, floats: v)
        }
        return out
    }

    /// The gradient of a broadcasting binary op for each wanted operand; `da` and `db` give
    /// dy/da and dy/db at one element pair.
    private static func binaryGrad(_ ctx: BackwardContext, _ da: (Float, Float) -> Float,
                                   _ db: (Float, Float) -> Float) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let a = try ctx.input(0), b = try ctx.input(1).cast(to: .float32)
        let g = try Grad.output(ctx), shape = ctx.outputs[0].shape
        var out = Grad.none(ctx)
        if Grad.wants(ctx, 0) { out[0] = try Grad.binary(a, b, g: g, shape: shape, which: 0, threads: ctx.threads, da) }
        if Grad.wants(ctx, 1) { out[1] = try Grad.binary(a, b, g: g, shape: shape, which: 1, threads: ctx.threads, db) }
        return out
    }

    /// d(a * b) = (b, a).
    static func mulGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        try binaryGrad(ctx, { _, b in b }, { a, _ in a })
    }

    /// d(a / b) = (1 / b, -a / b²), as PyTorch computes them.
    static func divGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        try binaryGrad(ctx, { _, b in 1 / b }, { a, b in -a / (b * b) })
    }

    /// Mod as PyTorch differentiates `remainder` (fmod = 0) and `fmod` (fmod = 1): the dividend
    /// gets the gradient unchanged, the divisor -floor(a / b) resp. -trunc(a / b) times it.
    static func modGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        let trunc: Int = try ctx.attr("fmod", default: 0)
        return try binaryGrad(ctx, { _, _ in 1 }, { a, b in -(a / b).rounded(trunc == 1 ? .towardZero : .down) })
    }

    /// Pow as PyTorch differentiates it: base e·x^(e-1), 0 where e = 0; exponent x^e·ln x, 0 where
    /// x = 0 and e >= 0 (NaN for negative bases, like PyTorch). An int64 exponent gets none.
    static func powGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        try binaryGrad(ctx, { x, e in e == 0 ? 0 : e * powf(x, e - 1) },
                       { x, e in x == 0 && e >= 0 ? 0 : powf(x, e) * logf(x) })
    }

    /// Max / Min as the left fold the forward computes, each pairwise step split like PyTorch's
    /// `maximum` / `minimum`: the winner takes the gradient, equal operands half each. So three
    /// tied inputs get 1/4, 1/4, 1/2 (as torch.maximum(torch.maximum(a, b), c) does).
    /// `wins(a, b)`: the accumulated value a is strictly selected over b.
    static func foldGrad(_ ctx: BackwardContext, wins: (Float, Float) -> Bool) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let g = try Grad.output(ctx), shape = ctx.outputs[0].shape
        let present = ctx.inputs.indices.filter { ctx.inputs[$0] != nil }
        // Every input read at the output's shape, and the running fold after each input.
        let full = try present.map { try Grad.expand(try ctx.input($0), to: shape, threads: ctx.threads) }
        guard var acc = full.first else { return Grad.none(ctx) }
        var folds = [acc]
        for x in full.dropFirst() {
            for i in acc.indices where !wins(acc[i], x[i]) && acc[i] != x[i] { acc[i] = x[i] }
            folds.append(acc)
        }
        var gradFull = [[Float]](repeating: [], count: full.count)
        var gAcc = g
        for k in stride(from: full.count - 1, through: 1, by: -1) {
            let a = folds[k - 1], b = full[k]
            var gb = [Float](repeating: 0, count: g.count)
            for i in gAcc.indices {
                if a[i] == b[i] { gb[i] = gAcc[i] / 2; gAcc[i] /= 2 } else if !wins(a[i], b[i]) { gb[i] = gAcc[i]; gAcc[i] = 0 }
            }
            gradFull[k] = gb
        }
        gradFull[0] = gAcc
        var out = Grad.none(ctx)
        for (k, i) in present.enumerated() where Grad.wants(ctx, i) {
            let s = try ctx.input(i).shape
            out[i] = Tensor(unchecked: s, floats: try Unbroadcast.sum(gradFull[k], shape, to: s))
        }
        return out
    }
}
