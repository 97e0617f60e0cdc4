#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph

/// Pointwise activations: Relu, LeakyRelu, Elu, Sigmoid, HardSigmoid, HardSwish, Tanh, Erf, Gelu,
/// Clip, and PRelu (slope broadcast to the input's shape).
enum ActivationOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Relu") { ctx in
            [try UnaryOps.numeric(ctx, float: { Swift.max($0, 0) }, int: { Swift.max($0, 0) })]
        })
        r.register(OpDefinition(opType: "LeakyRelu") { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 0.01)
            return [try UnaryOps.float(ctx) { $0 < 0 ? alpha * $0 : $0 }]
        })
        r.register(OpDefinition(opType: "Elu") { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 1)
            return [try UnaryOps.float(ctx) { $0 < 0 ? alpha * expm1f($0) : $0 }]
        })
        r.register(OpDefinition(opType: "Sigmoid") { ctx in [try UnaryOps.float(ctx, sigmoid)] })
        r.register(OpDefinition(opType: "HardSigmoid") { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 0.2), beta: Float = try ctx.attr("beta", default: 0.5)
            return [try UnaryOps.float(ctx) { Swift.max(0, Swift.min(1, alpha * $0 + beta)) }]
        })
        r.register(OpDefinition(opType: "HardSwish") { ctx in
            [try UnaryOps.float(ctx) { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) }]
        })
        r.register(OpDefinition(opType: "Tanh") { ctx in [try UnaryOps.float(ctx) { tanhf($0) }] })
        r.register(OpDefinition(opType: "Erf") { ctx in [try UnaryOps.float(ctx) { erff($0) }] })
        r.register(OpDefinition(opType: "Gelu") { ctx in
            let approx: String = try ctx.attr("approximate", default: "none")
            switch approx {
            case "none": return [try UnaryOps.float(ctx, geluErf)]
            case "tanh": return [try UnaryOps.float(ctx, geluTanh)]
            default: throw GraphError.attribute("approximate must be 'none' or 'tanh', got '\(approx)'")
            }
        })
        r.register(OpDefinition(opType: "Clip") { ctx in [try clip(ctx)] })
        r.register(OpDefinition(opType: "PRelu") { ctx in
            let x = try ctx.input(0), slope = try ctx.input(1)
            let r = try Broadcast.map(try x.floats(), x.shape, try slope.floats(), slope.shape, threads: ctx.threads) {
                $0 < 0 ? $0 * $1 : $0
            }
            guard r.shape == x.shape else {
                throw GraphError.invalidShape("slope \(slope.shape) does not broadcast to input \(x.shape)")
            }
            return [Tensor(unchecked: r.shape, floats: r.values)]
        })
    }

    /// Logistic function, without overflow for large |x|.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }

    /// Exact GELU: x/2 · (1 + erf(x/√2)).
    @inline(__always)
    static func geluErf(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678118654752)) }

    /// Tanh-approximated GELU: x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
    @inline(__always)
    static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x)))
    }

    /// Clip(x, min?, max?): min and max are optional scalar inputs of x's dtype; the result is
    /// min(max(x, min), max) as onnxruntime computes it.
    static func clip(_ ctx: OpContext) throws -> Tensor {
        let x = try ctx.input(0)
        func bound(_ i: Int, _ name: String) throws -> Tensor? {
            guard let t = ctx.optionalInput(i) else { return nil }
            guard t.count == 1 else { throw GraphError.invalidShape("\(name) must be a scalar, got shape \(t.shape)") }
            try require(t, x.dtype, name)
            return t
        }
        let lo = try bound(1, "min"), hi = try bound(2, "max")
        switch x.dtype {
        case .float32:
            let a = try lo?.floats()[0] ?? -.infinity, b = try hi?.floats()[0] ?? .infinity
            return try UnaryOps.float(ctx) { Swift.min(Swift.max($0, a), b) }
        case .int64:
            let a = try lo?.ints()[0] ?? .min, b = try hi?.ints()[0] ?? .max
            return Tensor(unchecked: x.shape, ints: Broadcast.map(try x.ints(), threads: ctx.threads) { Swift.min(Swift.max($0, a), b) })
        case .bool:
            throw GraphError.kernel("Clip does not take bool tensors")
        }
    }
}
