import CKernels
import Graph

/// The 2-D convolution kernels behind `Conv` (1-D runs as height 1). Shapes are validated by the
/// caller; everything here works on raw buffers.
enum NNConvKernels {
    /// A class, not a struct: a run passes its problem through several closures, and copying a
    /// struct of the window's seven arrays retained and released each of them every time (retains
    /// and releases were a fifth of a tiny 1x1 convolution's time in `perf`).
    final class Problem: Sendable {
        let batch: Int, inChannels: Int, outChannels: Int, group: Int
        let geo: NNWindow   // 2-D
        /// A 1x1 stride-1 unpadded convolution: a plain product of the weights and the input.
        let isPointwise: Bool

        init(batch: Int, inChannels: Int, outChannels: Int, group: Int, geo: NNWindow) {
            self.batch = batch; self.inChannels = inChannels; self.outChannels = outChannels; self.group = group
            self.geo = geo
            isPointwise = geo.kernel == [1, 1] && geo.strides == [1, 1] && geo.padsBegin == [0, 0]
                && geo.padsEnd == [0, 0]
        }

        var cg: Int { inChannels / group }
        var mg: Int { outChannels / group }
        var inPlane: Int { geo.input[0] * geo.input[1] }
        var outPlane: Int { geo.output[0] * geo.output[1] }
        /// Rows of the im2col matrix (= GEMM depth) per group.
        var depth: Int { cg * geo.kernel[0] * geo.kernel[1] }
        /// Each output channel reads one input channel (group == C): the direct depthwise loops.
        var isDepthwise: Bool { cg == 1 && group > 1 }
        /// The 2-D geometry as the C kernels take it.
        var window: cfcam_window {
            cfcam_window(ih: geo.input[0], iw: geo.input[1], oh: geo.output[0], ow: geo.output[1],
                         kh: geo.kernel[0], kw: geo.kernel[1], sh: geo.strides[0], sw: geo.strides[1],
                         ph: geo.padsBegin[0], pw: geo.padsBegin[1], dh: geo.dilations[0], dw: geo.dilations[1])
        }
        /// Element offsets of (batch item, group) `item` = nb * group + g in the input, weight and
        /// output arrays (the same for the gradients: dY at `output`, dX at `input`).
        func offsets(item: Int) -> (input: Int, weight: Int, output: Int) {
            let nb = item / group, g = item % group
            return ((nb * inChannels + g * cg) * inPlane, g * mg * depth, (nb * outChannels + g * mg) * outPlane)
        }
    }

    /// Output [N, M, OH, OW] as a flat array, then `activation` (the fused activation node: NaN
    /// stays NaN for ReLU and Clip, as in those ops).
    /// Fast depthwise convolutions run the direct C kernel (`directDepthwise`); the reference
    /// precision keeps the Swift loop below.
    /// `constantWeights`: `w` is a graph initializer (the same array every run), so Winograd (and the
    /// narrow 1x1 path, `narrowConv`) may transform it once and cache the result; one-off weights
    /// (LRP's modified copies) never do.
    /// `fast: false` (`ComputePrecision.reference`) accumulates in float64 (`referenceConv`).
    static func run(_ p: Problem, x: [Float], w: [Float], bias: [Float]?, threads: Int, activation: FusedActivation? = nil,
                    constantWeights: Bool = false, fast: Bool = true) -> [Float] {
        let count = p.batch * p.outChannels * p.outPlane
        let act = KernelActivation(activation)
        if fast && p.isDepthwise && p.depth > 0 {
            let packed = constantWeights && FastGEMM.enabled && blockedDepthwiseFits(p)
                ? BlockedDepthwiseWeights.packed(w, channels: p.outChannels, taps: p.depth) : nil
            return [Float](unsafeUninitializedCapacity: count) { ob, initialized in
                x.withUnsafeBufferPointer { xb in w.withUnsafeBufferPointer { wb in (packed ?? []).withUnsafeBufferPointer { pb in
                    guard let xp = xb.baseAddress, let wp = wb.baseAddress, let op = ob.baseAddress else { return }
                    directDepthwise(p, x: xp, w: wp, packed: packed == nil ? nil : pb.baseAddress, bias: bias, out: op,
                                    threads: threads, activation: act)
                } } }
                initialized = count
            }
        }
        // The fast GEMM and Winograd epilogues apply every activation in their stores; the other
        // paths apply ReLU after the product, other activations in one pass after that.
        let product = runUnfused(p, x: x, w: w, bias: bias, threads: threads, activation: act,
                                 constantWeights: constantWeights, fast: fast)
        var result = product.result
        if !product.applied && act.kind != Int32(CFCAM_ACT_NONE) && act.kind != Int32(CFCAM_ACT_RELU) {
            result.withUnsafeMutableBufferPointer { o in
                guard let op = o.baseAddress else { return }
                act.apply(op, count: o.count, threads: threads, simd: fast && FastGEMM.enabled)
            }
        }
        return result
    }

    /// The convolution with `activation` applied (`applied` true: the fast GEMM and Winograd paths)
    /// or only its ReLU (`applied` false: the reference and OpenBLAS paths clamp at 0 when the
    /// activation is ReLU and leave any other to the caller).
    private static func runUnfused(_ p: Problem, x: [Float], w: [Float], bias: [Float]?, threads: Int,
                                   activation: KernelActivation, constantWeights: Bool,
                                   fast: Bool) -> (result: [Float], applied: Bool) {
        let count = p.batch * p.outChannels * p.outPlane
        let relu = activation.kind == Int32(CFCAM_ACT_RELU)
        if !fast && p.depth > 0 && !p.isDepthwise {
            return ([Float](unsafeUninitializedCapacity: count) { ob, initialized in
                x.withUnsafeBufferPointer { xb in w.withUnsafeBufferPointer { wb in
                    guard let xp = xb.baseAddress, let wp = wb.baseAddress, let op = ob.baseAddress else { return }
                    referenceConv(p, x: xp, w: wp, bias: bias, out: op, threads: threads, relu: relu)
                } }
                initialized = count
            }, false)
        }
        if fast && FastGEMM.enabled && p.depth > 0 && !p.isDepthwise {
            return ([Float](unsafeUninitializedCapacity: count) { ob, initialized in
                let biasValues = bias ?? []
                x.withUnsafeBufferPointer { xb in
                    w.withUnsafeBufferPointer { wb in
                        biasValues.withUnsafeBufferPointer { bb in
                            guard let xp = xb.baseAddress, let wp = wb.baseAddress, let op = ob.baseAddress else { return }
                            let bp = bias == nil ? nil : bb.baseAddress
                            if constantWeights, let geometry = winogradGeometry(p) {
                                winogradConv(p, geometry: geometry, x: xp, w: w, bias: bp, out: op, threads: threads,
                                             activation: activation)
                            } else if constantWeights && narrowFits(p) {
                                narrowConv(p, x: xp, w: w, bias: bp, out: op, threads: threads, activation: activation)
                            } else if constantWeights && lanesFits(p) {
                                lanesConv(p, x: xp, w: w, bias: bp, out: op, threads: threads, activation: activation)
                            } else {
                                fastConv(p, x: xp, w: wp, bias: bp, out: op, threads: threads, activation: activation)
                            }
                        }
                    }
                }
                initialized = count
            }, true)
        }
        var out = [Float](repeating: 0, count: count)
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
                    if p.isDepthwise {
                        depthwise(p, x: xp, w: wp, out: op, threads: threads)
                    } else {
                        gemmConv(p, x: xp, w: wp, out: op, beta: beta, threads: threads)
                    }
                }
            }
        }
        if relu { out.withUnsafeMutableBufferPointer { ActivationOps.relu($0) } }
        return (out, false)
    }

    /// im2col + sgemm per (batch item, group); a 1x1 stride-1 unpadded convolution multiplies the
    /// input directly. Threads: many groups run as parallel items; otherwise each item's output
    /// columns are split into blocks, each thread building its own im2col block (cache-sized) and
    /// running a single-threaded sgemm on it; small spatial maps split output channels instead.
    static func gemmConv(_ p: Problem, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         out: UnsafeMutablePointer<Float>, beta: Float, threads: Int) {
        let items = p.batch * p.group
        let pointwise = p.isPointwise
        func pointers(_ i: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) {
            let o = p.offsets(item: i)
            return (x + o.input, w + o.weight, out + o.output)
        }
        if p.group > 1 && items >= threads && threads > 1 {
            parallelChunks(items, threads: threads) { range in
                var col = [Float](repeating: 0, count: pointwise ? 0 : p.depth * p.outPlane)
                col.withUnsafeMutableBufferPointer { cb in
                    for i in range {
                        let (xg, wg, og) = pointers(i)
                        var b = xg
                        if !pointwise, let cp = cb.baseAddress {
                            im2col(p, x: xg, col: cp, cols: 0..<p.outPlane, rows: 0..<p.depth); b = UnsafePointer(cp)
                        }
                        BLAS.sgemm(m: p.mg, n: p.outPlane, k: p.depth, a: wg, lda: p.depth, b: b, ldb: p.outPlane,
                                   beta: beta, c: og, ldc: p.outPlane)
                    }
                }
            }
            return
        }
        let split = GemmSplit(m: p.mg, n: p.outPlane, k: p.depth, threads: threads)
        for i in 0..<items {
            let (xg, wg, og) = pointers(i)
            if pointwise {
                BLAS.parallelSgemm(m: p.mg, n: p.outPlane, k: p.depth, a: wg, lda: p.depth, b: xg, ldb: p.outPlane,
                                   beta: beta, c: og, ldc: p.outPlane, threads: threads)
            } else if split.splitColumns {
                parallelChunks(split.blocks, threads: split.blocks) { blocks in
                    for blk in blocks {
                        let r = split.range(blk)
                        var col = [Float](repeating: 0, count: p.depth * r.count)
                        col.withUnsafeMutableBufferPointer { cb in
                            guard let cp = cb.baseAddress else { return }
                            im2col(p, x: xg, col: cp, cols: r, rows: 0..<p.depth)
                            BLAS.sgemm(m: p.mg, n: r.count, k: p.depth, a: wg, lda: p.depth, b: cp, ldb: r.count,
                                       beta: beta, c: og + r.lowerBound, ldc: p.outPlane)
                        }
                    }
                }
            } else {
                var col = [Float](repeating: 0, count: p.depth * p.outPlane)
                col.withUnsafeMutableBufferPointer { cb in
                    guard let cp = cb.baseAddress else { return }
                    parallelChunks(p.depth, threads: threads, minChunk: 16) { rows in
                        im2col(p, x: xg, col: cp, cols: 0..<p.outPlane, rows: rows)
                    }
                    BLAS.parallelSgemm(m: p.mg, n: p.outPlane, k: p.depth, a: wg, lda: p.depth, b: cp, ldb: p.outPlane,
                                       beta: beta, c: og, ldc: p.outPlane, threads: threads)
                }
            }
        }
    }

    /// Fills rows `rows` of the im2col matrix restricted to output positions `cols`:
    /// col[r][pos - cols.lowerBound] = x[c][oy*sh - ph + ky*dh][ox*sw - pw + kx*dw] (0 outside),
    /// with r = (c*KH + ky)*KW + kx and pos = oy*OW + ox. Row stride is `rowStride` (default
    /// `cols.count`); `col` holds
    /// row `firstRow` first (so a slice of rows can fill a slice-sized block). C kernel:
    /// `Sources/CKernels/im2col.c`.
    static func im2col(_ p: Problem, x: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>,
                       cols: Range<Int>, rows: Range<Int>, firstRow: Int = 0, rowStride: Int? = nil) {
        let ld = rowStride ?? cols.count
        var w = p.window
        cfcam_im2col(&w, x, col + (rows.lowerBound - firstRow) * ld, ld, rows.lowerBound, rows.upperBound,
                     cols.lowerBound, cols.upperBound, FastGEMM.enabled ? 1 : 0)
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
                g.forEachTap { ky, kx, yRange, xRange, yOff, xOff in
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
