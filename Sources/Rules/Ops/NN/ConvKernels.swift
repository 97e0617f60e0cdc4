import Graph

/// The 2-D convolution kernels behind `Conv` (1-D runs as height 1). Shapes are validated by the
/// caller; everything here works on raw buffers.
enum NNConvKernels {
    struct Problem {
        var batch: Int, inChannels: Int, outChannels: Int, group: Int
        var geo: NNWindow   // 2-D
        var cg: Int { inChannels / group }
        var mg: Int { outChannels / group }
        var inPlane: Int { geo.input[0] * geo.input[1] }
        var outPlane: Int { geo.output[0] * geo.output[1] }
        /// Rows of the im2col matrix (= GEMM depth) per group.
        var depth: Int { cg * geo.kernel[0] * geo.kernel[1] }
        var isPointwise: Bool {
            geo.kernel == [1, 1] && geo.strides == [1, 1] && geo.padsBegin == [0, 0] && geo.padsEnd == [0, 0]
        }
    }

    /// Output [N, M, OH, OW] as a flat array.
    static func run(_ p: Problem, x: [Float], w: [Float], bias: [Float]?, threads: Int) -> [Float] {
        var out = [Float](repeating: 0, count: p.batch * p.outChannels * p.outPlane)
        if let bias {
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<(p.batch * p.outChannels) {
                    let b = bias[i % p.outChannels]
                    let base = i * p.outPlane
                    for j in 0..<p.outPlane { o[base + j] = b }
                }
            }
        }
        let beta: Float = bias == nil ? 0 : 1
        x.withUnsafeBufferPointer { xb in
            w.withUnsafeBufferPointer { wb in
                out.withUnsafeMutableBufferPointer { ob in
                    guard let xp = xb.baseAddress, let wp = wb.baseAddress, let op = ob.baseAddress else { return }
                    if p.cg == 1 && p.group > 1 {
                        depthwise(p, x: xp, w: wp, out: op, threads: threads)
                    } else {
                        gemmConv(p, x: xp, w: wp, out: op, beta: beta, threads: threads)
                    }
                }
            }
        }
        return out
    }

    /// im2col + sgemm per (batch item, group); a 1x1 stride-1 unpadded convolution multiplies the
    /// input directly. Many groups run in parallel with single-threaded BLAS; otherwise BLAS threads.
    static func gemmConv(_ p: Problem, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         out: UnsafeMutablePointer<Float>, beta: Float, threads: Int) {
        let items = p.batch * p.group
        let parallelItems = p.group > 1 && items >= threads && threads > 1
        let pointwise = p.isPointwise
        let colCount = pointwise ? 0 : p.depth * p.outPlane
        func item(_ i: Int, col: UnsafeMutablePointer<Float>?, colThreads: Int) {
            let nb = i / p.group, g = i % p.group
            let xg = x + (nb * p.inChannels + g * p.cg) * p.inPlane
            let wg = w + g * p.mg * p.depth
            let og = out + (nb * p.outChannels + g * p.mg) * p.outPlane
            var b = UnsafePointer(xg)
            if let col {
                im2col(p, x: xg, col: col, threads: colThreads)
                b = UnsafePointer(col)
            }
            BLAS.sgemm(m: p.mg, n: p.outPlane, k: p.depth, a: wg, lda: p.depth, b: b, ldb: p.outPlane,
                       beta: beta, c: og, ldc: p.outPlane)
        }
        if parallelItems {
            BLAS.setThreads(1)
            parallelChunks(items, threads: threads) { range in
                var col = [Float](repeating: 0, count: colCount)
                col.withUnsafeMutableBufferPointer { cb in
                    for i in range { item(i, col: pointwise ? nil : cb.baseAddress, colThreads: 1) }
                }
            }
        } else {
            BLAS.setThreads(threads)
            var col = [Float](repeating: 0, count: colCount)
            col.withUnsafeMutableBufferPointer { cb in
                for i in 0..<items { item(i, col: pointwise ? nil : cb.baseAddress, colThreads: threads) }
            }
        }
    }

    /// Fills col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw] (0 outside).
    static func im2col(_ p: Problem, x: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>, threads: Int) {
        let g = p.geo
        let ih = g.input[0], iw = g.input[1], oh = g.output[0], ow = g.output[1]
        let kh = g.kernel[0], kw = g.kernel[1], sw = g.strides[1]
        let outPlane = p.outPlane
        parallelChunks(p.depth, threads: threads, minChunk: 4) { rows in
            for r in rows {
                let c = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                let dst = col + r * outPlane
                let src = x + c * ih * iw
                let yRange = g.validOutputs(axis: 0, tap: ky)
                let xRange = g.validOutputs(axis: 1, tap: kx)
                let xOff = kx * g.dilations[1] - g.padsBegin[1]
                for y in 0..<oh {
                    let row = dst + y * ow
                    guard yRange.contains(y), !xRange.isEmpty else {
                        row.update(repeating: 0, count: ow); continue
                    }
                    let sy = y * g.strides[0] - g.padsBegin[0] + ky * g.dilations[0]
                    let srow = src + sy * iw
                    if xRange.lowerBound > 0 { row.update(repeating: 0, count: xRange.lowerBound) }
                    if sw == 1 {
                        (row + xRange.lowerBound).update(from: srow + xRange.lowerBound + xOff, count: xRange.count)
                    } else {
                        for xo in xRange { row[xo] = srow[xo * sw + xOff] }
                    }
                    if xRange.upperBound < ow { (row + xRange.upperBound).update(repeating: 0, count: ow - xRange.upperBound) }
                }
            }
        }
    }

    /// Direct convolution when each output channel reads one input channel (group == C).
    static func depthwise(_ p: Problem, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                          out: UnsafeMutablePointer<Float>, threads: Int) {
        let g = p.geo
        let iw = g.input[1], ow = g.output[1]
        let kh = g.kernel[0], kw = g.kernel[1], sh = g.strides[0], sw = g.strides[1]
        let planes = p.batch * p.outChannels
        parallelChunks(planes, threads: threads) { range in
            for plane in range {
                let nb = plane / p.outChannels, mch = plane % p.outChannels
                let cin = mch / p.mg
                let src = x + (nb * p.inChannels + cin) * p.inPlane
                let dst = out + plane * p.outPlane
                let wk = w + mch * kh * kw
                for ky in 0..<kh {
                    let yRange = g.validOutputs(axis: 0, tap: ky)
                    let yOff = ky * g.dilations[0] - g.padsBegin[0]
                    for kx in 0..<kw {
                        let xRange = g.validOutputs(axis: 1, tap: kx)
                        if xRange.isEmpty { continue }
                        let xOff = kx * g.dilations[1] - g.padsBegin[1]
                        let wv = wk[ky * kw + kx]
                        for y in yRange {
                            let srow = src + (y * sh + yOff) * iw + xOff
                            let drow = dst + y * ow
                            if sw == 1 {
                                for xo in xRange { drow[xo] += wv * srow[xo] }
                            } else {
                                for xo in xRange { drow[xo] += wv * srow[xo * sw] }
                            }
                        }
                    }
                }
            }
        }
    }
}
