import CKernels
import Graph

/// ONNX `GlobalAveragePool` and `GlobalMaxPool`: X [N, C, spatial...] -> [N, C, 1, ...].
enum NNGlobalPool {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "GlobalAveragePool", vjp: { try vjp($0, max: false) }, lrp: .sum) { ctx in
            [try forward(ctx, max: false)]
        })
        r.register(OpDefinition(opType: "GlobalMaxPool", vjp: { try vjp($0, max: true) }, lrp: .gradient) { ctx in
            [try forward(ctx, max: true)]
        })
    }

    static func forward(_ ctx: OpContext, max isMax: Bool) throws -> Tensor {
        let (xs, x) = try ctx.nnFloat(0, "X")
        guard xs.count >= 3 else {
            throw GraphError.invalidShape("\(ctx.node.opType): input has shape \(xs), expected [N, C, spatial...]")
        }
        let planes = xs[0] * xs[1], size = NNUtil.product(xs, 2..<xs.count)
        var out = [Float](repeating: 0, count: planes)
        // The fast precision sums 64 lanes at a time in C (a different summation order, within
        // float rounding); the reference precision keeps the sequential sum.
        let vector = !isMax && ctx.precision == .fast
        let simd: Int32 = FastGEMM.enabled ? 1 : 0
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in
            guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
            parallelChunks(planes, threads: ctx.threads, minChunk: max(1, 4096 / max(size, 1))) { range in
                if vector {
                    cfcam_plane_means(xp + range.lowerBound * size, op + range.lowerBound, range.count, size, simd)
                    return
                }
                for p in range {
                    let src = xp + p * size
                    if isMax {
                        var m = -Float.infinity
                        for i in 0..<size { let v = src[i]; if v > m || v.isNaN { m = v } }
                        op[p] = m
                    } else {
                        var s: Float = 0
                        for i in 0..<size { s += src[i] }
                        op[p] = size == 0 ? 0 : s / Float(size)
                    }
                }
            }
        } }
        return Tensor(unchecked: [xs[0], xs[1]] + [Int](repeating: 1, count: xs.count - 2), floats: out)
    }

    /// GlobalAveragePool spreads dY / size over the plane; GlobalMaxPool sends dY to the plane's
    /// first maximum (a NaN counts as the maximum), as PyTorch does.
    static func vjp(_ ctx: BackwardContext, max isMax: Bool) throws -> [Tensor?] {
        var result = ctx.nnNoGradients
        guard ctx.nnWants(0) else { return result }
        let (xs, x) = try ctx.forwardContext().nnFloat(0, "X")
        guard xs.count >= 3 else {
            throw GraphError.invalidShape("\(ctx.node.opType): input has shape \(xs), expected [N, C, spatial...]")
        }
        let dy = try ctx.nnOutputGrad(shape: [xs[0], xs[1]] + [Int](repeating: 1, count: xs.count - 2))
        let planes = xs[0] * xs[1], size = NNUtil.product(xs, 2..<xs.count)
        var dx = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in dx.withUnsafeMutableBufferPointer { db in
            guard let xp = xb.baseAddress, let dp = db.baseAddress else { return }
            parallelChunks(planes, threads: ctx.threads, minChunk: max(1, 4096 / max(size, 1))) { range in
                for p in range where size > 0 {
                    let src = xp + p * size, dst = dp + p * size
                    if isMax {
                        var best = 0, m = src[0]
                        for i in 1..<max(size, 1) where src[i] > m || (src[i].isNaN && !m.isNaN) { m = src[i]; best = i }
                        dst[best] = dy[p]
                    } else {
                        let share = dy[p] / Float(size)
                        for i in 0..<size { dst[i] = share }
                    }
                }
            }
        } }
        result[0] = Tensor(unchecked: xs, floats: dx)
        return result
    }
}
