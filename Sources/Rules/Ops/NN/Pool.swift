import Graph

/// ONNX `MaxPool` and `AveragePool` (1-D and 2-D, NCHW): kernel_shape, strides, pads / auto_pad,
/// dilations, ceil_mode, and count_include_pad for AveragePool. MaxPool's optional second output
/// (Indices: flat index of each maximum into the input, row-major or column-major per storage_order)
/// is produced when the node names it.
enum NNPool {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "MaxPool") { ctx in try forward(ctx, max: true) })
        r.register(OpDefinition(opType: "AveragePool") { ctx in try forward(ctx, max: false) })
    }

    static func forward(_ ctx: OpContext, max isMax: Bool) throws -> [Tensor] {
        let op = ctx.node.opType
        let (xs, x) = try ctx.nnFloat(0, "X")
        guard xs.count >= 3 else { throw GraphError.invalidShape("\(op): input has shape \(xs), expected [N, C, spatial...]") }
        guard let kernel = try ctx.nnInts("kernel_shape", count: xs.count - 2) else {
            throw GraphError.attribute("\(op): required attribute 'kernel_shape' is missing")
        }
        let wantIndices = isMax && ctx.node.outputs.count > 1 && !ctx.node.outputs[1].isEmpty
        let columnMajor: Int = try ctx.attr("storage_order", default: 0)
        let ceilMode: Int = try ctx.attr("ceil_mode", default: 0)
        let includePad: Int = try ctx.attr("count_include_pad", default: 0)
        let geo = try NNWindow.resolve(ctx, input: Array(xs[2...]), kernel: kernel, ceilMode: ceilMode != 0)
        let g = try geo.as2D(op: op)
        try NNUtil.checkAllocatable(op, "output", [xs[0], xs[1]] + geo.output)
        let planes = xs[0] * xs[1]
        let ih = g.input[0], iw = g.input[1], oh = g.output[0], ow = g.output[1]
        let kh = g.kernel[0], kw = g.kernel[1], sh = g.strides[0], sw = g.strides[1]
        let dh = g.dilations[0], dw = g.dilations[1], ph = g.padsBegin[0], pw = g.padsBegin[1]
        // Per output column / row: the kernel taps inside the input, and how many taps lie inside
        // input + pads (the count_include_pad divisor; a ceil_mode overhang is not counted).
        let xTaps = (0..<ow).map { NNUtil.strideRange(count: kw, stride: dw, offset: $0 * sw - pw, limit: iw) }
        let xPadded = (0..<ow).map { NNUtil.strideRange(count: kw, stride: dw, offset: $0 * sw, limit: iw + pw + g.padsEnd[1]).count }
        let yTaps = (0..<oh).map { NNUtil.strideRange(count: kh, stride: dh, offset: $0 * sh - ph, limit: ih) }
        let yPadded = (0..<oh).map { NNUtil.strideRange(count: kh, stride: dh, offset: $0 * sh, limit: ih + ph + g.padsEnd[0]).count }
        let average = !isMax
        var out = [Float](repeating: 0, count: planes * oh * ow)
        var indices = [Int64](repeating: 0, count: wantIndices ? planes * oh * ow : 0)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in indices.withUnsafeMutableBufferPointer { ib in
            guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
            let idx = wantIndices ? ib.baseAddress : nil
            parallelChunks(planes, threads: ctx.threads) { range in
                for plane in range {
                    let src = xp + plane * ih * iw, dst = op + plane * oh * ow
                    for y in 0..<oh {
                        let yr = yTaps[y], y0 = y * sh - ph
                        for xo in 0..<ow {
                            let xr = xTaps[xo], x0 = xo * sw - pw
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
                                let div = includePad != 0 ? yPadded[y] * xPadded[xo] : yr.count * xr.count
                                acc = div == 0 ? 0 : acc / Float(div)
                            }
                            dst[y * ow + xo] = acc
                        }
                    }
                }
            }
        } } }
        let shape = [xs[0], xs[1]] + geo.output
        let y = Tensor(unchecked: shape, floats: out)
        return wantIndices ? [y, Tensor(unchecked: shape, ints: indices)] : [y]
    }
}
