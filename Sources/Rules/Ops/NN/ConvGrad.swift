import Graph

/// The gradient of `Conv` with respect to X, W and B (each only when the walk needs it).
///
/// dX is a transposed convolution: per (batch item, group) col = W_gᵀ · dY_g (sgemm) scattered
/// back with col2im, in cache-sized blocks of input channels split across threads; a 1x1
/// stride-1 convolution needs one GEMM and depthwise convolutions a direct loop. dW = dY · im2col(X)ᵀ,
/// dB sums dY over batch and positions.
extension NNConv {
    static func vjp(_ ctx: BackwardContext) throws -> [Tensor?] {
        let s = try setup(ctx.forwardContext())
        let dy = try ctx.nnOutputGrad(shape: s.outShape)
        let p = s.problem
        var result = ctx.nnNoGradients
        if ctx.nnWants(0) {
            let dx = NNConvGradKernels.inputGrad(p, dy: dy, w: s.w, threads: ctx.threads)
            result[0] = Tensor(unchecked: s.xShape, floats: dx)
        }
        if ctx.nnWants(1) {
            let dw = NNConvGradKernels.weightGrad(p, dy: dy, x: s.x, threads: ctx.threads)
            result[1] = Tensor(unchecked: s.wShape, floats: dw)
        }
        if ctx.nnWants(2), let b = ctx.inputs[2] {
            let db = s.bias == nil ? [Float](repeating: 0, count: b.count) : NNConvGradKernels.biasGrad(p, dy: dy)
            result[2] = Tensor(unchecked: b.shape, floats: db)
        }
        return result
    }
}

/// Raw-buffer kernels for the Conv gradient; shapes are validated by `NNConv.setup`.
enum NNConvGradKernels {
    typealias Problem = NNConvKernels.Problem

    /// dX [N, C, H, W] (flat) for dY [N, M, OH, OW] and W [M, C/group, KH, KW].
    static func inputGrad(_ p: Problem, dy: [Float], w: [Float], threads: Int) -> [Float] {
        var dx = [Float](repeating: 0, count: p.batch * p.inChannels * p.inPlane)
        dy.withUnsafeBufferPointer { db in w.withUnsafeBufferPointer { wb in dx.withUnsafeMutableBufferPointer { xb in
            guard let dp = db.baseAddress, let wp = wb.baseAddress, let xp = xb.baseAddress else { return }
            if p.isDepthwise {
                depthwiseInputGrad(p, dy: dp, w: wp, dx: xp, threads: threads)
                return
            }
            let items = p.batch * p.group
            func pointers(_ i: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) {
                let o = p.offsets(item: i)
                return (dp + o.output, wp + o.weight, xp + o.input)
            }
            if p.group > 1 && items >= threads && threads > 1 {
                parallelChunks(items, threads: threads) { range in
                    for i in range {
                        let (dyg, wg, dxg) = pointers(i)
                        itemInputGrad(p, dy: dyg, w: wg, dx: dxg, channels: 0..<p.cg)
                    }
                }
                return
            }
            for i in 0..<items {
                let (dyg, wg, dxg) = pointers(i)
                if p.isPointwise {
                    BLAS.parallelSgemm(transA: true, m: p.cg, n: p.inPlane, k: p.mg, a: wg, lda: p.depth,
                                       b: dyg, ldb: p.outPlane, c: dxg, ldc: p.inPlane, threads: threads)
                } else {
                    parallelChunks(p.cg, threads: threads) { chans in
                        itemInputGrad(p, dy: dyg, w: wg, dx: dxg, channels: chans)
                    }
                }
            }
        } } }
        return dx
    }

    /// dX for input channels `channels` of one (batch item, group), single-threaded: blocks of
    /// channels whose column matrix fits in cache, col = W[:, rows]ᵀ · dY, then col2im.
    static func itemInputGrad(_ p: Problem, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>, channels: Range<Int>) {
        if p.isPointwise {
            BLAS.sgemm(transA: true, m: channels.count, n: p.inPlane, k: p.mg, a: w + channels.lowerBound, lda: p.depth,
                       b: dy, ldb: p.outPlane, c: dx + channels.lowerBound * p.inPlane, ldc: p.inPlane)
            return
        }
        let taps = p.geo.kernel[0] * p.geo.kernel[1]
        let step = max((64 + taps - 1) / taps, (1 << 17) / max(1, taps * p.outPlane), 1)
        let transposed = scatterWindow(p.geo)
        var col = [Float](repeating: 0, count: min(step, channels.count) * taps * p.outPlane)
        col.withUnsafeMutableBufferPointer { cb in
            guard let cp = cb.baseAddress else { return }
            var c0 = channels.lowerBound
            while c0 < channels.upperBound {
                let c1 = min(channels.upperBound, c0 + step)
                BLAS.sgemm(transA: true, m: (c1 - c0) * taps, n: p.outPlane, k: p.mg, a: w + c0 * taps, lda: p.depth,
                           b: dy, ldb: p.outPlane, c: cp, ldc: p.outPlane)
                NNConvTranspose.col2im(transposed, channels: c1 - c0, col: UnsafePointer(cp),
                                       out: dx + c0 * p.inPlane, threads: 1)
                c0 = c1
            }
        }
    }

    /// The window seen from the columns' side (input = conv output, output = conv input), the form
    /// `NNConvTranspose.col2im` scatters with.
    static func scatterWindow(_ g: NNWindow) -> NNWindow {
        var t = g
        t.input = g.output; t.output = g.input
        return t
    }

    /// dX of a depthwise convolution (group == C, C/group == 1), one thread per input plane.
    static func depthwiseInputGrad(_ p: Problem, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                   dx: UnsafeMutablePointer<Float>, threads: Int) {
        let g = p.geo
        let iw = g.input[1], ow = g.output[1]
        let kh = g.kernel[0], kw = g.kernel[1], sh = g.strides[0], sw = g.strides[1]
        parallelChunks(p.batch * p.inChannels, threads: threads) { range in
            for plane in range {
                let nb = plane / p.inChannels, cin = plane % p.inChannels
                let dst = dx + plane * p.inPlane
                for mch in (cin * p.mg)..<((cin + 1) * p.mg) {
                    let src = dy + (nb * p.outChannels + mch) * p.outPlane
                    let wk = w + mch * kh * kw
                    g.forEachTap { ky, kx, yRange, xRange, yOff, xOff in
                        let wv = wk[ky * kw + kx]
                        for y in yRange {
                            let drow = dst + (y * sh + yOff) * iw + xOff
                            let srow = src + y * ow
                            for xo in xRange { drow[xo * sw] += wv * srow[xo] }
                        }
                    }
                }
            }
        }
    }
}
