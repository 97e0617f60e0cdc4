#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Graph

/// Pointwise activations: Relu, LeakyRelu, Elu, Celu, Selu, ThresholdedRelu, Sigmoid, HardSigmoid,
/// HardSwish, Tanh, Erf, Gelu, Softplus, Softsign, Mish, Clip, and PRelu (slope broadcast to the
/// input's shape).
enum ActivationOps {
    /// max(x, 0) in place (NaN stays NaN): Relu's in-place form, and Conv's fused ReLU where its
    /// kernel has no epilogue for it.
    static func relu(_ o: UnsafeMutableBufferPointer<Float>) {
        for i in o.indices { o[i] = Swift.max(o[i], 0) }
    }

    static func register(into r: inout OpRegistry) {
        // Kinks follow PyTorch: Relu'(0) = 0; LeakyRelu'(0) = alpha; Elu'(0) = alpha.
        r.register(OpDefinition(opType: "Relu", vjp: { ctx in try Grad.pointwise(ctx) { x, _ in x > 0 ? 1 : 0 } },
                                lrp: .elementwise, inPlace: { t, _ in
            guard t.dtype == .float32 else { return false }
            try t.withMutableFloats { relu($0) }
            return true
        }) { ctx in
            [try UnaryOps.numeric(ctx, float: { Swift.max($0, 0) }, int: { Swift.max($0, 0) })]
        })
        r.register(OpDefinition(opType: "LeakyRelu", vjp: { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 0.01)
            return try Grad.pointwise(ctx) { x, _ in x > 0 ? 1 : alpha }
        }, lrp: .elementwise) { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 0.01)
            return [try UnaryOps.float(ctx) { $0 < 0 ? alpha * $0 : $0 }]
        })
        r.register(OpDefinition(opType: "Elu", vjp: { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 1)
            return try Grad.pointwise(ctx) { x, _ in x > 0 ? 1 : alpha * expf(x) }
        }, lrp: .elementwise) { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 1)
            return [try UnaryOps.float(ctx) { $0 < 0 ? alpha * expm1f($0) : $0 }]
        })
        // The fast precision uses the vectorised C kernel (Sources/CKernels/elementwise.c, within
        // about 2 ulp of libm's expf); the reference precision keeps libm.
        r.register(OpDefinition(opType: "Sigmoid", vjp: { ctx in try Grad.pointwise(ctx) { _, y in y * (1 - y) } },
                                lrp: .elementwise) { ctx in
            if ctx.precision == .fast, let x = ctx.inputs.first ?? nil, case .float(let v) = x.storage {
                return [Tensor(unchecked: x.shape, floats: logistic(v, silu: false, threads: ctx.threads))]
            }
            return [try UnaryOps.float(ctx, sigmoid)]
        })
        // HardSigmoid / HardSwish: flat (zero gradient) at the corners, like PyTorch.
        r.register(OpDefinition(opType: "HardSigmoid", vjp: { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 0.2), beta: Float = try ctx.attr("beta", default: 0.5)
            return try Grad.pointwise(ctx) { x, _ in
                let v = alpha * x + beta
                return v > 0 && v < 1 ? alpha : 0
            }
        }, lrp: .elementwise) { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 0.2), beta: Float = try ctx.attr("beta", default: 0.5)
            return [try UnaryOps.float(ctx) { Swift.max(0, Swift.min(1, alpha * $0 + beta)) }]
        })
        r.register(OpDefinition(opType: "HardSwish", vjp: { ctx in
            try Grad.pointwise(ctx) { x, _ in x <= -3 ? 0 : (x < 3 ? x / 3 + 0.5 : 1) }
        }, lrp: .elementwise) { ctx in
            [try UnaryOps.float(ctx) { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) }]
        })
        r.register(OpDefinition(opType: "Tanh", vjp: { ctx in try Grad.pointwise(ctx) { _, y in 1 - y * y } },
                                lrp: .elementwise) { ctx in [try UnaryOps.float(ctx) { tanhf($0) }] })
        r.register(OpDefinition(opType: "Erf", vjp: { ctx in
            try Grad.pointwise(ctx) { x, _ in 1.1283791670955126 * expf(-x * x) }
        }, lrp: .elementwise) { ctx in
            if let fast = vectorErf(ctx, gelu: false) { return [fast] }
            return [try UnaryOps.float(ctx) { erff($0) }]
        })
        r.register(OpDefinition(opType: "Gelu", vjp: { ctx in
            let approx: String = try ctx.attr("approximate", default: "none")
            return try Grad.pointwise(ctx, approx == "tanh" ? geluTanhGrad : geluErfGrad)
        }, lrp: .elementwise) { ctx in
            let approx: String = try ctx.attr("approximate", default: "none")
            switch approx {
            case "none":
                if let fast = vectorErf(ctx, gelu: true) { return [fast] }
                return [try UnaryOps.float(ctx, geluErf)]
            case "tanh": return [try UnaryOps.float(ctx, geluTanh)]
            default: throw GraphError.attribute("approximate must be 'none' or 'tanh', got '\(approx)'")
            }
        })
        // Celu'(0) = 1, Selu'(0) = gamma·alpha and ThresholdedRelu'(alpha) = 0, as PyTorch's
        // celu, selu and threshold define them.
        r.register(OpDefinition(opType: "Celu", vjp: { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 1)
            return try Grad.pointwise(ctx) { x, _ in x > 0 ? 1 : expf(x / alpha) }
        }, lrp: .elementwise) { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 1)
            return [try UnaryOps.float(ctx) { $0 > 0 ? $0 : alpha * expm1f($0 / alpha) }]
        })
        r.register(OpDefinition(opType: "Selu", vjp: { ctx in
            let (alpha, gamma) = try seluParameters(ctx.node)
            return try Grad.pointwise(ctx) { x, _ in x > 0 ? gamma : gamma * alpha * expf(x) }
        }, lrp: .elementwise) { ctx in
            let (alpha, gamma) = try seluParameters(ctx.node)
            return [try UnaryOps.float(ctx) { $0 > 0 ? gamma * $0 : gamma * alpha * expm1f($0) }]
        })
        r.register(OpDefinition(opType: "ThresholdedRelu", vjp: { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 1)
            return try Grad.pointwise(ctx) { x, _ in x > alpha ? 1 : 0 }
        }, lrp: .elementwise) { ctx in
            let alpha: Float = try ctx.attr("alpha", default: 1)
            return [try UnaryOps.float(ctx) { $0 > alpha ? $0 : 0 }]
        })
        r.register(OpDefinition(opType: "Softplus", vjp: { ctx in try Grad.pointwise(ctx) { x, _ in sigmoid(x) } },
                                lrp: .elementwise) { ctx in [try UnaryOps.float(ctx, softplus)] })
        r.register(OpDefinition(opType: "Softsign", vjp: { ctx in
            try Grad.pointwise(ctx) { x, _ in let d = 1 + Swift.abs(x); return 1 / (d * d) }
        }, lrp: .elementwise) { ctx in [try UnaryOps.float(ctx) { $0 / (1 + Swift.abs($0)) }] })
        r.register(OpDefinition(opType: "Mish", vjp: { ctx in try Grad.pointwise(ctx, mishGrad) }, lrp: .elementwise) { ctx in
            [try UnaryOps.float(ctx) { $0 * tanhf(softplus($0)) }]
        })
        r.register(OpDefinition(opType: "Clip", vjp: { try clipGrad($0) }, lrp: .elementwise) { ctx in [try clip(ctx)] })
        // PRelu'(0) = slope for x (and 0 for the slope), like PyTorch.
        r.register(OpDefinition(opType: "PRelu", vjp: { try preluGrad($0) }, lrp: .elementwise) { ctx in
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

    /// erf (or the exact GELU) of a float32 input by the vectorised C kernel (within 4.2e-7 of erf;
    /// Sources/CKernels/ck_exp.h), at the fast precision only; nil otherwise (libm's erff).
    static func vectorErf(_ ctx: OpContext, gelu: Bool) -> Tensor? {
        guard ctx.precision == .fast, let x = ctx.inputs.first ?? nil, case .float(let v) = x.storage else { return nil }
        let out = [Float](unsafeUninitializedCapacity: v.count) { o, n in
            v.withUnsafeBufferPointer { src in
                guard let sp = src.baseAddress, let op = o.baseAddress else { return }
                parallelChunks(v.count, threads: ctx.threads, minChunk: 1 << 14) { r in
                    cfcam_erf(sp + r.lowerBound, op + r.lowerBound, r.count, gelu ? 1 : 0, FastGEMM.enabled ? 1 : 0)
                }
            }
            n = v.count
        }
        return Tensor(unchecked: x.shape, floats: out)
    }

    /// sigmoid(v) (or v · sigmoid(v)) of every element, by the C kernel in parallel blocks.
    static func logistic(_ v: [Float], silu: Bool, threads: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: v.count) { out, n in
            v.withUnsafeBufferPointer { src in
                guard let sp = src.baseAddress, let op = out.baseAddress else { return }
                parallelChunks(v.count, threads: threads, minChunk: 1 << 14) { r in
                    cfcam_logistic(sp + r.lowerBound, op + r.lowerBound, r.count, silu ? 1 : 0, FastGEMM.enabled ? 1 : 0)
                }
            }
            n = v.count
        }
    }

    /// Logistic function, without overflow for large |x|.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }

    /// ln(1 + eˣ) without overflow for large x or underflow to 0 for very negative x.
    @inline(__always)
    static func softplus(_ x: Float) -> Float { x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)) }

    /// d/dx of Mish x·tanh(softplus(x)): tanh(sp) + x·σ(x)·(1 - tanh²(sp)).
    static func mishGrad(_ x: Float, _: Float) -> Float {
        let t = tanhf(softplus(x))
        return t + x * sigmoid(x) * (1 - t * t)
    }

    /// Selu's alpha and gamma (defaults: the self-normalising constants).
    static func seluParameters(_ node: Node) throws -> (alpha: Float, gamma: Float) {
        (try node.attr("alpha", default: 1.67326319217681884765625), try node.attr("gamma", default: 1.05070102214813232421875))
    }

    /// Exact GELU: x/2 · (1 + erf(x/√2)).
    @inline(__always)
    static func geluErf(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678118654752)) }

    /// Tanh-approximated GELU: x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
    @inline(__always)
    static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x)))
    }

    /// d/dx of exact GELU: Φ(x) + x·φ(x).
    static func geluErfGrad(_ x: Float, _: Float) -> Float {
        0.5 * (1 + erff(x * 0.70710678118654752)) + x * 0.39894228040143268 * expf(-0.5 * x * x)
    }

    /// d/dx of tanh-GELU: ½(1 + t) + ½x(1 - t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(√(2/π)(x + 0.044715x³)).
    static func geluTanhGrad(_ x: Float, _: Float) -> Float {
        let k: Float = 0.79788456080286536, c: Float = 0.044715
        let t = tanhf(k * (x + c * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x)
    }

    /// PRelu: x gets g where x > 0, slope·g elsewhere; the slope gets x·g where x <= 0, summed
    /// back to its shape.
    static func preluGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let x = try ctx.input(0), slope = try ctx.input(1)
        let g = try Grad.output(ctx), shape = ctx.outputs[0].shape
        var out = Grad.none(ctx)
        if Grad.wants(ctx, 0) {
            out[0] = try Grad.binary(x, slope, g: g, shape: shape, which: 0, threads: ctx.threads) { v, w in v > 0 ? 1 : w }
        }
        if Grad.wants(ctx, 1) {
            out[1] = try Grad.binary(x, slope, g: g, shape: shape, which: 1, threads: ctx.threads) { v, _ in v > 0 ? 0 : v }
        }
        return out
    }

    /// Clip as PyTorch's clamp differentiates it: x gets g where min <= x <= max (bounds
    /// included); the min input gets the sum of g where x < min, the max input where x > max.
    static func clipGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let xv = try ctx.input(0).floats(), g = try Grad.output(ctx)
        guard xv.count == g.count else { throw GraphError.invalidShape("Clip input and output sizes differ") }
        let lo = try ctx.forwardContext().optionalInput(1).map { try $0.floats().first ?? -.infinity } ?? -.infinity
        let hi = try ctx.forwardContext().optionalInput(2).map { try $0.floats().first ?? .infinity } ?? .infinity
        var out = Grad.none(ctx)
        if Grad.wants(ctx, 0) {
            var d = [Float](repeating: 0, count: g.count)
            for i in d.indices where xv[i] >= lo && xv[i] <= hi { d[i] = g[i] }
            out[0] = Tensor(unchecked: ctx.outputs[0].shape, floats: d)
        }
        for (k, bound) in [(1, lo), (2, hi)] where Grad.wants(ctx, k) {
            var s: Float = 0
            for i in g.indices where k == 1 ? xv[i] < bound : xv[i] > bound { s += g[i] }
            let t = try ctx.input(k)
            out[k] = Tensor(unchecked: t.shape, floats: [Float](repeating: s, count: t.count))
        }
        return out
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
