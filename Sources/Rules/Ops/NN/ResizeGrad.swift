import Graph

/// The gradient of `Resize` with respect to X: each per-axis pass is linear (output j = Σ_t
/// weight[j, t] · input[index[j, t]]), so the gradient runs the passes in reverse, scattering
/// weight · dY back to the tapped input positions. Covers nearest, linear and cubic.
extension NNResize {
    static func vjp(_ ctx: BackwardContext) throws -> [Tensor?] {
        var result = ctx.nnNoGradients
        guard ctx.nnWants(0) else { return result }
        let fwd = ctx.forwardContext()
        let xs = try ctx.input(0).shape
        let (passes, outShape) = try plan(fwd, xs)
        var cur = try ctx.nnOutputGrad(shape: outShape)
        for p in passes.reversed() {
            cur = scatterAxis(cur, shape: p.shape, axis: p.axis, taps: p.taps, outLen: p.outLen, threads: ctx.threads)
        }
        result[0] = Tensor(unchecked: xs, floats: cur)
        return result
    }

    /// The transpose of `resizeAxis`: `grad` has `shape` with `outLen` on `axis`; the result has `shape`.
    static func scatterAxis(_ grad: [Float], shape: [Int], axis: Int, taps: NNResizeTaps, outLen: Int, threads: Int) -> [Float] {
        let outer = NNUtil.product(shape, 0..<axis), inLen = shape[axis]
        let inner = NNUtil.product(shape, (axis + 1)..<shape.count)
        let width = taps.width
        var out = [Float](repeating: 0, count: outer * inLen * inner)
        grad.withUnsafeBufferPointer { gb in out.withUnsafeMutableBufferPointer { ob in
            taps.index.withUnsafeBufferPointer { ib in taps.weight.withUnsafeBufferPointer { wb in
                guard let gp = gb.baseAddress, let op = ob.baseAddress else { return }
                // Output lines of one outer index may hit the same input line: split over `outer` only.
                parallelChunks(outer, threads: threads, minChunk: max(1, 4096 / max(outLen * inner, 1))) { range in
                    for o in range {
                        for j in 0..<outLen {
                            let src = gp + (o * outLen + j) * inner
                            for t in 0..<width {
                                let w = wb[j * width + t]
                                if w == 0 { continue }
                                let dst = op + (o * inLen + ib[j * width + t]) * inner
                                for k in 0..<inner { dst[k] += w * src[k] }
                            }
                        }
                    }
                }
            } }
        } }
        return out
    }
}
