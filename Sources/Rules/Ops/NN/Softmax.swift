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
        r.register(OpDefinition(opType: "Softmax") { ctx in [try forward(ctx, log: false)] })
        r.register(OpDefinition(opType: "LogSoftmax") { ctx in [try forward(ctx, log: true)] })
    }

    static func forward(_ ctx: OpContext, log: Bool) throws -> Tensor {
        let (xs, x) = try ctx.nnFloat(0, "input")
        let legacy: Int = try ctx.attr("legacy_coerce_2d", default: 0)
        let rank = xs.count
        let axis = try ctx.nnAxis(try ctx.attr("axis", default: legacy != 0 ? 1 : -1), rank: rank)
        // Viewed as [outer, len, inner]; the function runs along `len` with stride `inner`.
        let outer = NNUtil.product(xs, 0..<axis)
        let len = legacy != 0 ? NNUtil.product(xs, axis..<rank) : (rank == 0 ? 1 : xs[axis])
        let inner = legacy != 0 ? 1 : NNUtil.product(xs, min(axis + 1, rank)..<rank)
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
}
