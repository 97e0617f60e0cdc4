import Graph

/// The gradient of `ConvTranspose`. The forward pass scatters col = W_gᵀ · X_g with col2im, so its
/// adjoint gathers: col = im2col(dY_g) over the same window, then dX_g = W_g · col and
/// dW_g = Σ_batch X_g · colᵀ; dB sums dY over batch and positions.
extension NNConvTranspose {
    static func vjp(_ ctx: BackwardContext) throws -> [Tensor?] {
        let s = try setup(ctx.forwardContext())
        let dy = try ctx.nnOutputGrad(shape: s.outShape)
        var result = ctx.nnNoGradients
        let wantX = ctx.nnWants(0), wantW = ctx.nnWants(1)
        // The window seen as a convolution from the ConvTranspose output back to its input.
        var gathered = s.g
        gathered.input = s.g.output; gathered.output = s.g.input
        let p = NNConvKernels.Problem(batch: s.batch, inChannels: s.outChannels, outChannels: s.inChannels,
                                      group: s.group, geo: gathered)
        let rows = s.rows, inPlane = s.inPlane, outPlane = s.outPlane, cg = s.cg, mg = s.mg
        let threads = ctx.threads
        var dx = [Float](repeating: 0, count: wantX ? s.x.count : 0)
        var dw = [Float](repeating: 0, count: wantW ? s.w.count : 0)
        if wantX || wantW {
            var col = [Float](repeating: 0, count: rows * inPlane)
            dy.withUnsafeBufferPointer { gb in s.x.withUnsafeBufferPointer { xb in s.w.withUnsafeBufferPointer { wb in
                dx.withUnsafeMutableBufferPointer { dxb in dw.withUnsafeMutableBufferPointer { dwb in
                    col.withUnsafeMutableBufferPointer { cb in
                        guard let gp = gb.baseAddress, let xp = xb.baseAddress, let wp = wb.baseAddress,
                              let cp = cb.baseAddress else { return }
                        for nb in 0..<s.batch {
                            for gi in 0..<s.group {
                                let dyg = gp + (nb * s.outChannels + gi * mg) * outPlane
                                parallelChunks(rows, threads: threads, minChunk: 16) { r in
                                    NNConvKernels.im2col(p, x: dyg, col: cp, cols: 0..<inPlane, rows: r)
                                }
                                let xOff = (nb * s.inChannels + gi * cg) * inPlane, wOff = gi * cg * rows
                                if wantX, let dxp = dxb.baseAddress {
                                    BLAS.parallelSgemm(m: cg, n: inPlane, k: rows, a: wp + wOff, lda: rows, b: cp, ldb: inPlane,
                                                       c: dxp + xOff, ldc: inPlane, threads: threads)
                                }
                                if wantW, let dwp = dwb.baseAddress {
                                    BLAS.parallelSgemm(transB: true, m: cg, n: rows, k: inPlane, a: xp + xOff, lda: inPlane,
                                                       b: cp, ldb: inPlane, beta: 1, c: dwp + wOff, ldc: rows, threads: threads)
                                }
                            }
                        }
                    }
                } }
            } } }
        }
        if wantX { result[0] = Tensor(unchecked: s.xShape, floats: dx) }
        if wantW { result[1] = Tensor(unchecked: s.wShape, floats: dw) }
        if ctx.nnWants(2), let b = ctx.inputs[2] {
            var db = [Float](repeating: 0, count: b.count)
            if s.bias != nil {
                for i in 0..<(s.batch * s.outChannels) {
                    var acc: Float = 0
                    for j in (i * outPlane)..<((i + 1) * outPlane) { acc += dy[j] }
                    db[i % s.outChannels] += acc
                }
            }
            result[2] = Tensor(unchecked: b.shape, floats: db)
        }
        return result
    }
}
