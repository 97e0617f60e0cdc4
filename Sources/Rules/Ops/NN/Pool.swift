import CKernels
import Graph

/// ONNX `MaxPool` and `AveragePool` (1-D and 2-D, NCHW): kernel_shape, strides, pads / auto_pad,
/// dilations, ceil_mode, and count_include_pad for AveragePool. MaxPool's optional second output
/// (Indices: flat index of each maximum into the input, row-major or column-major per storage_order)
/// is produced when the node names it. Gradients: PoolGrad.swift.
enum NNPool {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "MaxPool", vjp: { try vjp($0, max: true) }, lrp: .gradient) { ctx in
            try forward(ctx, max: true)
        })
        r.register(OpDefinition(opType: "AveragePool", vjp: { try vjp($0, max: false) }, lrp: .sum) { ctx in
            try forward(ctx, max: false)
        })
    }

    /// Validated pooling geometry, as 2-D, with per-output-row/column tap ranges.
    struct Layout {
        var xShape: [Int], outShape: [Int]
        var g: NNWindow
        var planes: Int
        /// Per output column / row: the kernel taps inside the input, and how many taps lie inside
        /// input + pads (the count_include_pad divisor; a ceil_mode overhang is not counted).
        var xTaps: [Range<Int>], xPadded: [Int], yTaps: [Range<Int>], yPadded: [Int]
        var includePad: Bool

        init(_ ctx: OpContext, xShape xs: [Int]) throws {
            let op = ctx.node.opType
            guard xs.count >= 3 else { throw GraphError.invalidShape("\(op): input has shape \(xs), expected [N, C, spatial...]") }
            guard let kernel = try ctx.nnInts("kernel_shape", count: xs.count - 2) else {
                throw GraphError.attribute("\(op): required attribute 'kernel_shape' is missing")
            }
            let ceilMode: Int = try ctx.attr("ceil_mode", default: 0)
            includePad = try ctx.attr("count_include_pad", default: 0) != 0
            let geo = try NNWindow.resolve(ctx, input: Array(xs[2...]), kernel: kernel, ceilMode: ceilMode != 0)
            g = try geo.as2D(op: op)
            try NNUtil.checkAllocatable(op, "output", [xs[0], xs[1]] + geo.output)
            xShape = xs; outShape = [xs[0], xs[1]] + geo.output; planes = xs[0] * xs[1]
            let g = g
            xTaps = (0..<g.output[1]).map { NNUtil.strideRange(count: g.kernel[1], stride: g.dilations[1], offset: $0 * g.strides[1] - g.padsBegin[1], limit: g.input[1]) }
            xPadded = (0..<g.output[1]).map { NNUtil.strideRange(count: g.kernel[1], stride: g.dilations[1], offset: $0 * g.strides[1], limit: g.input[1] + g.padsBegin[1] + g.padsEnd[1]).count }
            yTaps = (0..<g.output[0]).map { NNUtil.strideRange(count: g.kernel[0], stride: g.dilations[0], offset: $0 * g.strides[0] - g.padsBegin[0], limit: g.input[0]) }
            yPadded = (0..<g.output[0]).map { NNUtil.strideRange(count: g.kernel[0], stride: g.dilations[0], offset: $0 * g.strides[0], limit: g.input[0] + g.padsBegin[0] + g.padsEnd[0]).count }
        }

        /// AveragePool's divisor for output (y, x).
        @inline(__always)
        func divisor(_ y: Int, _ x: Int) -> Int { includePad ? yPadded[y] * xPadded[x] : yTaps[y].count * xTaps[x].count }
    }

    static func forward(_ ctx: OpContext, max isMax: Bool) throws -> [Tensor] {
        let (xs, x) = try ctx.nnFloat(0, "X")
        let l = try Layout(ctx, xShape: xs)
        let wantIndices = isMax && ctx.node.outputs.count > 1 && !ctx.node.outputs[1].isEmpty
        let columnMajor: Int = try ctx.attr("storage_order", default: 0)
        let g = l.g
        let ih = g.input[0], iw = g.input[1], oh = g.output[0], ow = g.output[1]
        let sh = g.strides[0], sw = g.strides[1], dh = g.dilations[0], dw = g.dilations[1]
        let ph = g.padsBegin[0], pw = g.padsBegin[1]
        let average = !isMax
        if isMax && !wantIndices && dh == 1 && dw == 1 {
            return [maxPoolFast(x, l, threads: ctx.threads)]
        }
        var out = [Float](repeating: 0, count: l.planes * oh * ow)
        var indices = [Int64](repeating: 0, count: wantIndices ? l.planes * oh * ow : 0)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in indices.withUnsafeMutableBufferPointer { ib in
            guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
            let idx = wantIndices ? ib.baseAddress : nil
            parallelChunks(l.planes, threads: ctx.threads) { range in
                for plane in range {
                    let src = xp + plane * ih * iw, dst = op + plane * oh * ow
                    for y in 0..<oh {
                        let yr = l.yTaps[y], y0 = y * sh - ph
                        for xo in 0..<ow {
                            let xr = l.xTaps[xo], x0 = xo * sw - pw
                            var acc: Float = average ? 0 : -.infinity
                            var best = -1
                            for ky in yr {
                                let rowStart = (y0 + ky * dh) * iw + x0
                                let row = src + rowStart
                                if average {
                                    for kx in xr { acc += row[kx * dw] }
                                } else if let idx {
                                    for kx in xr {
                                        let v = row[kx * dw]
                                        if v > acc || v.isNaN || best < 0 { acc = v; best = rowStart + kx * dw }
                                    }
                                } else {
                                    for kx in xr { let v = row[kx * dw]; if v > acc || v.isNaN { acc = v } }
                                }
                            }
                            if let idx, !average {
                                let at = columnMajor != 0 && best >= 0 ? (best % iw) * ih + best / iw : best
                                idx[plane * oh * ow + y * ow + xo] = Int64(plane * ih * iw + max(at, 0))
                            }
                            if average {
                                let div = l.divisor(y, xo)
                                acc = div == 0 ? 0 : acc / Float(div)
                            }
                            dst[y * ow + xo] = acc
                        }
                    }
                }
            }
        } } }
        let y = Tensor(unchecked: l.outShape, floats: out)
        return wantIndices ? [y, Tensor(unchecked: l.outShape, ints: indices)] : [y]
    }

    /// MaxPool without dilation or Indices (the common case), separable: for each output row a
    /// vertical pass takes the elementwise maximum of its input rows (`cfcam_max_into`, 16 lanes
    /// at a time), then each output column takes the maximum of its taps in that reduced row (3-tap
    /// windows unrolled). NaN propagates like the general path.
    static func maxPoolFast(_ x: [Float], _ l: Layout, threads: Int) -> Tensor {
        let g = l.g
        let iw = g.input[1], oh = g.output[0], ow = g.output[1]
        let yLo = (0..<oh).map { y in y * g.strides[0] - g.padsBegin[0] + l.yTaps[y].lowerBound }
        let yHi = (0..<oh).map { y in y * g.strides[0] - g.padsBegin[0] + l.yTaps[y].upperBound }
        let xLo = (0..<ow).map { xo in xo * g.strides[1] - g.padsBegin[1] + l.xTaps[xo].lowerBound }
        let xHi = (0..<ow).map { xo in xo * g.strides[1] - g.padsBegin[1] + l.xTaps[xo].upperBound }
        // Full 3-wide windows at stride 2 (all but the padded edges): the C kernel, 16 at a time.
        var inner3s2: Range<Int>? = nil
        if g.kernel[1] == 3 && g.strides[1] == 2, let first = (0..<ow).first(where: { xHi[$0] - xLo[$0] == 3 }) {
            var last = first
            while last + 1 < ow && xHi[last + 1] - xLo[last + 1] == 3 { last += 1 }
            inner3s2 = first..<(last + 1)
        }
        let simd: Int32 = FastGEMM.enabled ? 1 : 0
        let count = l.planes * oh * ow
        let out = [Float](unsafeUninitializedCapacity: count) { ob, initialized in
            x.withUnsafeBufferPointer { xb in
                yLo.withUnsafeBufferPointer { y0 in yHi.withUnsafeBufferPointer { y1 in
                    xLo.withUnsafeBufferPointer { x0 in xHi.withUnsafeBufferPointer { x1 in
                        guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
                        parallelChunks(l.planes * oh, threads: threads, minChunk: 8) { range in
                            let row = UnsafeMutablePointer<Float>.allocate(capacity: iw)
                            defer { row.deallocate() }
                            for r in range {
                                let plane = r / oh, yo = r % oh
                                let src = xp + plane * g.input[0] * iw, drow = op + r * ow
                                let rows = y0[yo]..<y1[yo]
                                guard let first = rows.first else {
                                    drow.update(repeating: -.infinity, count: ow); continue
                                }
                                row.update(from: src + first * iw, count: iw)
                                for yy in rows.dropFirst() { cfcam_max_into(row, src + yy * iw, iw, simd) }
                                if let run = inner3s2 {
                                    cfcam_max3s2(row + x0[run.lowerBound], drow + run.lowerBound, run.count, simd)
                                }
                                for xo in 0..<ow where !(inner3s2?.contains(xo) ?? false) {
                                    let lo = x0[xo], hi = x1[xo]
                                    if hi - lo == 3 {
                                        drow[xo] = nanMax(nanMax(row[lo], row[lo + 1]), row[lo + 2])
                                    } else {
                                        var m = -Float.infinity
                                        for xx in lo..<hi { m = nanMax(m, row[xx]) }
                                        drow[xo] = m
                                    }
                                }
                            }
                        }
                    } }
                } }
            }
            initialized = count
        }
        return Tensor(unchecked: l.outShape, floats: out)
    }

    /// max(a, b), NaN if either is NaN (first NaN wins, like the general path).
    @inline(__always) static func nanMax(_ a: Float, _ b: Float) -> Float {
        (b > a || b.isNaN) && !a.isNaN ? b : a
    }
}
