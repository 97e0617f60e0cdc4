import CKernels
import Graph
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ONNX `Softmax` and `LogSoftmax` along `axis` (default -1). With `legacy_coerce_2d = 1` (set by the
/// importer for opset < 13 files) the input is flattened to 2-D at `axis` (default 1) and the
/// function runs over the whole second dimension, as opsets 1-12 define.
enum NNSoftmax {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Softmax", vjp: { try vjp($0, log: false) }) { ctx in [try forward(ctx, log: false)] })
        r.register(OpDefinition(opType: "LogSoftmax", vjp: { try vjp($0, log: true) }) { ctx in [try forward(ctx, log: true)] })
    }

    /// The input viewed as [outer, len, inner]; the function runs along `len` with stride `inner`.
    static func layout(_ ctx: OpContext, _ xs: [Int]) throws -> (outer: Int, len: Int, inner: Int) {
        let legacy: Int = try ctx.attr("legacy_coerce_2d", default: 0)
        let rank = xs.count
        let axis = try ctx.nnAxis(try ctx.attr("axis", default: legacy != 0 ? 1 : -1), rank: rank)
        let outer = NNUtil.product(xs, 0..<axis)
        let len = legacy != 0 ? NNUtil.product(xs, axis..<rank) : (rank == 0 ? 1 : xs[axis])
        let inner = legacy != 0 ? 1 : NNUtil.product(xs, min(axis + 1, rank)..<rank)
        return (outer, len, inner)
    }

    static func forward(_ ctx: OpContext, log: Bool) throws -> Tensor {
        let (xs, x) = try ctx.nnFloat(0, "input")
        let (outer, len, inner) = try layout(ctx, xs)
        if !log && inner == 1 && ctx.precision == .fast && len > 0 {
            // Contiguous rows at the fast precision: the vectorised exponential (Sources/CKernels/elementwise.c).
            let out = [Float](unsafeUninitializedCapacity: x.count) { o, n in
                x.withUnsafeBufferPointer { xb in
                    guard let xp = xb.baseAddress, let op = o.baseAddress else { return }
                    parallelChunks(outer, threads: ctx.threads, minChunk: max(1, 4096 / len)) { r in
                        cfcam_softmax_rows(xp + r.lowerBound * len, op + r.lowerBound * len, r.count, len, FastGEMM.enabled ? 1 : 0)
                    }
                }
                n = x.count
            }
            return Tensor(unchecked: xs, floats: out)
        }
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in
            guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
            parallelChunks(outer * inner, threads: ctx.threads, minChunk: max(1, 2048 / max(len, 1))) { range in
                for line in range {
                    let o = line / inner, i = line % inner
                    let src = xp + o * len * inner + i, dst = op + o * len * inner + i
                    var m = -Float.infinity
                    for k in 0..<len { m = max(m, src[k * inner]) }
                    if !m.isFinite { m = 0 }
                    var sum: Float = 0
                    for k in 0..<len { let e = expf(src[k * inner] - m); dst[k * inner] = e; sum += e }
                    if log {
                        let ls = logf(sum)
                        for k in 0..<len { dst[k * inner] = src[k * inner] - m - ls }
                    } else {
                        let inv = 1 / sum
                        for k in 0..<len { dst[k * inner] *= inv }
                    }
                }
            }
        } }
        return Tensor(unchecked: xs, floats: out)
    }

    /// Softmax: dX = y · (dY - Σ dY · y); LogSoftmax: dX = dY - exp(y) · Σ dY (sums along the axis).
    static func vjp(_ ctx: BackwardContext, log: Bool) throws -> [Tensor?] {
        var result = ctx.nnNoGradients
        guard ctx.nnWants(0) else { return result }
        let fwd = ctx.forwardContext()
        let xs = try ctx.input(0).shape
        let (outer, len, inner) = try layout(fwd, xs)
        var yT = try ctx.input(0)
        if let o = ctx.outputs.first, o.shape == xs, o.dtype == .float32 { yT = o } else { yT = try forward(fwd, log: log) }
        let y = try yT.floats()
        let dy = try ctx.nnOutputGrad(shape: xs)
        var dx = [Float](repeating: 0, count: y.count)
        y.withUnsafeBufferPointer { yb in dy.withUnsafeBufferPointer { gb in dx.withUnsafeMutableBufferPointer { db in
            guard let yp = yb.baseAddress, let gp = gb.baseAddress, let dp = db.baseAddress else { return }
            parallelChunks(outer * inner, threads: ctx.threads, minChunk: max(1, 2048 / max(len, 1))) { range in
                for line in range {
                    let base = (line / inner) * len * inner + line % inner
                    let yl = yp + base, gl = gp + base, dl = dp + base
                    var s: Float = 0
                    if log {
                        for k in 0..<len { s += gl[k * inner] }
                        for k in 0..<len { dl[k * inner] = gl[k * inner] - expf(yl[k * inner]) * s }
                    } else {
                        for k in 0..<len { s += gl[k * inner] * yl[k * inner] }
                        for k in 0..<len { dl[k * inner] = yl[k * inner] * (gl[k * inner] - s) }
                    }
                }
            }
        } } }
        result[0] = Tensor(unchecked: xs, floats: dx)
        return result
    }
}
