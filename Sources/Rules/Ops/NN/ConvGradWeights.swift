import Graph

/// The parameter gradients of `Conv`: dW = Σ_batch dY_g · im2col(X_g)ᵀ per group, and dB.
extension NNConvGradKernels {
    /// dW [M, C/group, KH, KW] (flat). Threads split the rows of im2col (columns of dW_g), or the
    /// groups when there are enough of them; depthwise convolutions use a direct loop.
    static func weightGrad(_ p: Problem, dy: [Float], x: [Float], threads: Int) -> [Float] {
        var dw = [Float](repeating: 0, count: p.outChannels * p.depth)
        dy.withUnsafeBufferPointer { db in x.withUnsafeBufferPointer { xb in dw.withUnsafeMutableBufferPointer { wb in
            guard let dp = db.baseAddress, let xp = xb.baseAddress, let wp = wb.baseAddress else { return }
            if p.isDepthwise {
                depthwiseWeightGrad(p, dy: dp, x: xp, dw: wp, threads: threads)
                return
            }
            func group(_ g: Int, rows: Range<Int>) {
                var col = [Float](repeating: 0, count: p.isPointwise ? 0 : rows.count * p.outPlane)
                col.withUnsafeMutableBufferPointer { cb in
                    for nb in 0..<p.batch {
                        let dyg = dp + (nb * p.outChannels + g * p.mg) * p.outPlane
                        let xg = xp + (nb * p.inChannels + g * p.cg) * p.inPlane
                        var b = xg + rows.lowerBound * p.inPlane
                        if !p.isPointwise, let cp = cb.baseAddress {
                            // im2col addresses rows absolutely; shift the buffer so row `lo` lands at its start.
                            NNConvKernels.im2col(p, x: xg, col: cp - rows.lowerBound * p.outPlane,
                                                 cols: 0..<p.outPlane, rows: rows)
                            b = UnsafePointer(cp)
                        }
                        BLAS.sgemm(transB: true, m: p.mg, n: rows.count, k: p.outPlane, a: dyg, lda: p.outPlane,
                                   b: b, ldb: p.outPlane, beta: 1, c: wp + g * p.mg * p.depth + rows.lowerBound, ldc: p.depth)
                    }
                }
            }
            if p.group >= threads && threads > 1 {
                parallelChunks(p.group, threads: threads) { gs in for g in gs { group(g, rows: 0..<p.depth) } }
            } else {
                for g in 0..<p.group {
                    parallelChunks(p.depth, threads: threads, minChunk: 16) { rows in group(g, rows: rows) }
                }
            }
        } } }
        return dw
    }

    /// dW of a depthwise convolution, one thread per output channel (summing over the batch).
    static func depthwiseWeightGrad(_ p: Problem, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                    dw: UnsafeMutablePointer<Float>, threads: Int) {
        let g = p.geo
        let iw = g.input[1], ow = g.output[1]
        let kh = g.kernel[0], kw = g.kernel[1], sh = g.strides[0], sw = g.strides[1]
        parallelChunks(p.outChannels, threads: threads) { range in
            for mch in range {
                let cin = mch / p.mg
                for nb in 0..<p.batch {
                    let src = x + (nb * p.inChannels + cin) * p.inPlane
                    let grad = dy + (nb * p.outChannels + mch) * p.outPlane
                    g.forEachTap { ky, kx, yRange, xRange, yOff, xOff in
                        var acc: Float = 0
                        for y in yRange {
                            let srow = src + (y * sh + yOff) * iw + xOff
                            let grow = grad + y * ow
                            for xo in xRange { acc += grow[xo] * srow[xo * sw] }
                        }
                        dw[(mch * kh + ky) * kw + kx] += acc
                    }
                }
            }
        }
    }

    /// dB [M]: dY summed over the batch and all output positions.
    static func biasGrad(_ p: Problem, dy: [Float]) -> [Float] {
        var db = [Float](repeating: 0, count: p.outChannels)
        dy.withUnsafeBufferPointer { g in
            for i in 0..<(p.batch * p.outChannels) {
                var s: Float = 0
                let base = i * p.outPlane
                for j in 0..<p.outPlane { s += g[base + j] }
                db[i % p.outChannels] += s
            }
        }
        return db
    }
}
