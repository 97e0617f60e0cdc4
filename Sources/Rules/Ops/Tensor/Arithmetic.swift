#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph

/// Broadcasting arithmetic: Add, Sub, Mul, Div, Pow, and the variadic Sum, Max, Min.
/// float32 and int64 (int64 wraps on overflow; Div truncates toward zero like C, as onnxruntime).
enum ArithmeticOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Add") { ctx in
            [try numeric(ctx, ctx.input(0), ctx.input(1), float: { $0 + $1 }, int: { $0 &+ $1 })]
        })
        r.register(OpDefinition(opType: "Sub") { ctx in
            [try numeric(ctx, ctx.input(0), ctx.input(1), float: { $0 - $1 }, int: { $0 &- $1 })]
        })
        r.register(OpDefinition(opType: "Mul") { ctx in
            [try numeric(ctx, ctx.input(0), ctx.input(1), float: { $0 * $1 }, int: { $0 &* $1 })]
        })
        r.register(OpDefinition(opType: "Div") { ctx in
            let a = try ctx.input(0), b = try ctx.input(1)
            if case .int64(let d) = b.storage, d.contains(0) {
                throw GraphError.kernel("integer division by zero")
            }
            return [try numeric(ctx, a, b, float: { $0 / $1 },
                                int: { $0.dividedReportingOverflow(by: $1).partialValue })]
        })
        r.register(OpDefinition(opType: "Pow") { ctx in [try power(ctx)] })
        r.register(OpDefinition(opType: "Sum") { ctx in
            [try fold(ctx, float: { $0 + $1 }, int: { $0 &+ $1 })]
        })
        r.register(OpDefinition(opType: "Max") { ctx in
            [try fold(ctx, float: { $0.isNaN || $0 > $1 ? $0 : $1 }, int: { Swift.max($0, $1) })]
        })
        r.register(OpDefinition(opType: "Min") { ctx in
            [try fold(ctx, float: { $0.isNaN || $0 < $1 ? $0 : $1 }, int: { Swift.min($0, $1) })]
        })
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

    /// `d` truncated toward zero; 0 for NaN and values outside the int64 range.
    @inline(__always)
    static func truncatedInt(_ d: Double) -> Int64 {
        d.isFinite ? Int64(exactly: d.rounded(.towardZero)) ?? 0 : 0
    }
}
