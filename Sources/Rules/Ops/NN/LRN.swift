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
        r.register(OpDefinition(opType: "LRN") { ctx in [try forward(ctx)] })
    }

    static func forward(_ ctx: OpContext) throws -> Tensor {
        let (xs, x) = try ctx.nnFloat(0, "X")
        guard xs.count >= 2 else { throw GraphError.invalidShape("LRN: input has shape \(xs), expected [N, C, ...]") }
        guard let size: Int = try ctx.attr("size") else { throw GraphError.attribute("LRN: required attribute 'size' is missing") }
        guard size > 0 else { throw GraphError.attribute("LRN: size \(size) must be positive") }
        let alpha: Float = try ctx.attr("alpha", default: 1e-4)
        let beta: Float = try ctx.attr("beta", default: 0.75)
        let bias: Float = try ctx.attr("bias", default: 1)
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
}
