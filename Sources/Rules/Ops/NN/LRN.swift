import Graph
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ONNX `LRN`: y = x / (bias + alpha / size · Σ x²)^beta, the sum running over channels
/// [c - floor((size-1)/2), c + ceil((size-1)/2)].
enum NNLRN {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "LRN", vjp: { try vjp($0) }, lrp: .elementwise) { ctx in [try forward(ctx)] })
    }

    /// The attributes: window size, alpha, beta, bias.
    static func settings(_ ctx: OpContext, _ xs: [Int]) throws -> (size: Int, alpha: Float, beta: Float, bias: Float) {
        guard xs.count >= 2 else { throw GraphError.invalidShape("LRN: input has shape \(xs), expected [N, C, ...]") }
        guard let size: Int = try ctx.attr("size") else { throw GraphError.attribute("LRN: required attribute 'size' is missing") }
        guard size > 0 else { throw GraphError.attribute("LRN: size \(size) must be positive") }
        return (size, try ctx.attr("alpha", default: 1e-4), try ctx.attr("beta", default: 0.75), try ctx.attr("bias", default: 1))
    }

    static func forward(_ ctx: OpContext) throws -> Tensor {
        let (xs, x) = try ctx.nnFloat(0, "X")
        let (size, alpha, beta, bias) = try settings(ctx, xs)
        let n = xs[0], c = xs[1], plane = NNUtil.product(xs, 2..<xs.count)
        let before = (size - 1) / 2, after = size - 1 - before
        let scale = alpha / Float(size)
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in
            guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
            parallelChunks(n * c, threads: ctx.threads) { range in
                var sq = [Float](repeating: 0, count: plane)
                sq.withUnsafeMutableBufferPointer { sb in
                    guard let sp = sb.baseAddress else { return }
                    for p in range {
                        let nb = p / c, ch = p % c
                        sp.update(repeating: 0, count: plane)
                        for k in max(0, ch - before)...min(c - 1, ch + after) {
                            let src = xp + (nb * c + k) * plane
                            for i in 0..<plane { sp[i] += src[i] * src[i] }
                        }
                        let src = xp + p * plane, dst = op + p * plane
                        for i in 0..<plane { dst[i] = src[i] / powf(bias + scale * sp[i], beta) }
                    }
                }
            }
        } }
        return Tensor(unchecked: xs, floats: out)
    }

    /// With d_c = bias + alpha/size · Σ_{k ∈ win(c)} x_k²:
    /// dX_j = dY_j · d_j^-β - 2β · alpha/size · x_j · Σ_{c : j ∈ win(c)} dY_c · x_c · d_c^(-β-1).
    static func vjp(_ ctx: BackwardContext) throws -> [Tensor?] {
        var result = ctx.nnNoGradients
        guard ctx.nnWants(0) else { return result }
        let (xs, x) = try ctx.forwardContext().nnFloat(0, "X")
        let (size, alpha, beta, bias) = try settings(ctx.forwardContext(), xs)
        let dy = try ctx.nnOutputGrad(shape: xs)
        let n = xs[0], c = xs[1], plane = NNUtil.product(xs, 2..<xs.count)
        let before = (size - 1) / 2, after = size - 1 - before
        let scale = alpha / Float(size)
        // d per element, then t_c = dY_c · x_c · d_c^(-β-1).
        var d = [Float](repeating: 0, count: x.count)
        for nb in 0..<n { for ch in 0..<c { for k in max(0, ch - before)...min(c - 1, ch + after) {
            let src = (nb * c + k) * plane, dst = (nb * c + ch) * plane
            for i in 0..<plane { d[dst + i] += x[src + i] * x[src + i] }
        } } }
        for i in d.indices { d[i] = bias + scale * d[i] }
        let t = (0..<x.count).map { dy[$0] * x[$0] * powf(d[$0], -beta - 1) }
        var dx = (0..<x.count).map { dy[$0] * powf(d[$0], -beta) }
        for nb in 0..<n { for j in 0..<c { for ch in max(0, j - after)...min(c - 1, j + before) {
            let src = (nb * c + ch) * plane, dst = (nb * c + j) * plane
            for i in 0..<plane { dx[dst + i] -= 2 * beta * scale * x[dst + i] * t[src + i] }
        } } }
        result[0] = Tensor(unchecked: xs, floats: dx)
        return result
    }
}
