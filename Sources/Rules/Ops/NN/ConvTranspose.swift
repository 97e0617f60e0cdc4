import Graph

/// ONNX `ConvTranspose` (1-D and 2-D, NCHW): groups, strides, pads / auto_pad, output_padding,
/// dilations, output_shape, optional bias.
///
/// Inputs: X [N, C, spatial...], W [C, M/group, kernel...], B [M]?. Per (batch item, group):
/// col = W_gᵀ · X_g with sgemm, then col2im scatters the columns into the output.
enum NNConvTranspose {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "ConvTranspose", vjp: { try vjp($0) }, lrp: .linear(weight: 1, bias: 2)) { ctx in
            [try forward(ctx)]
        })
    }

    /// A validated transposed convolution; `g` is 2-D with `input` the (small) input and `output`
    /// the (large) output.
    struct Setup {
        var xShape: [Int], wShape: [Int], outShape: [Int]
        var x: [Float], w: [Float], bias: [Float]?
        var g: NNWindow
        var batch: Int, inChannels: Int, outChannels: Int, group: Int
        var cg: Int { inChannels / group }
        var mg: Int { outChannels / group }
        var inPlane: Int { g.input[0] * g.input[1] }
        var outPlane: Int { g.output[0] * g.output[1] }
        /// Rows of the column matrix per group (mg · KH · KW).
        var rows: Int { mg * g.kernel[0] * g.kernel[1] }
    }

    static func forward(_ ctx: OpContext) throws -> Tensor {
        let s = try setup(ctx)
        let n = s.batch, c = s.inChannels, m = s.outChannels, group = s.group, cg = s.cg, mg = s.mg
        let g = s.g, x = s.x, w = s.w, bias = s.bias
        let inPlane = s.inPlane, outPlane = s.outPlane, rows = s.rows
        var out = [Float](repeating: 0, count: n * m * outPlane)
        var col = [Float](repeating: 0, count: rows * inPlane)
        x.withUnsafeBufferPointer { xb in w.withUnsafeBufferPointer { wb in
            out.withUnsafeMutableBufferPointer { ob in col.withUnsafeMutableBufferPointer { cb in
                guard let xp = xb.baseAddress, let wp = wb.baseAddress, let op = ob.baseAddress,
                      let cp = cb.baseAddress else { return }
                for nb in 0..<n {
                    for gi in 0..<group {
                        let xg = xp + (nb * c + gi * cg) * inPlane
                        let wg = wp + gi * cg * rows
                        BLAS.sgemm(transA: true, m: rows, n: inPlane, k: cg, a: wg, lda: rows, b: xg, ldb: inPlane,
                                   c: cp, ldc: inPlane)
                        let og = op + (nb * m + gi * mg) * outPlane
                        col2im(g, channels: mg, col: UnsafePointer(cp), out: og, threads: ctx.threads)
                    }
                }
                if let bias {
                    for i in 0..<(n * m) {
                        let b = bias[i % m], base = op + i * outPlane
                        for j in 0..<outPlane { base[j] += b }
                    }
                }
            } }
        } }
        return Tensor(unchecked: s.outShape, floats: out)
    }

    /// Reads and checks inputs and attributes; shared by the forward pass and the gradient.
    static func setup(_ ctx: OpContext) throws -> Setup {
        let (xs, x) = try ctx.nnFloat(0, "X")
        let (ws, w) = try ctx.nnFloat(1, "W")
        guard xs.count == 3 || xs.count == 4 else {
            throw GraphError.invalidShape("ConvTranspose: input has shape \(xs); 1-D and 2-D ([N, C, L] or [N, C, H, W]) are supported")
        }
        guard ws.count == xs.count else {
            throw GraphError.invalidShape("ConvTranspose: weight has shape \(ws), input has rank \(xs.count)")
        }
        let group: Int = try ctx.attr("group", default: 1)
        let n = xs[0], c = xs[1]
        guard group > 0, c % group == 0 else { throw GraphError.attribute("ConvTranspose: group \(group) must divide input channels \(c)") }
        guard ws[0] == c else {
            throw GraphError.invalidShape("ConvTranspose: weight has \(ws[0]) input channels, input has \(c)")
        }
        let mg = ws[1], m = mg * group, cg = c / group
        let rank = xs.count - 2
        let kernel = Array(ws[2...])
        if let ks = try ctx.nnInts("kernel_shape", count: rank), ks != kernel {
            throw GraphError.attribute("ConvTranspose: kernel_shape \(ks) does not match weight shape \(ws)")
        }
        var bias: [Float]? = nil
        if let b = try ctx.nnOptionalFloat(2, "B") {
            try NNUtil.checkVector("ConvTranspose", "bias", b.shape, count: m)
            bias = b.values
        }
        let geo = try geometry(ctx, input: Array(xs[2...]), kernel: kernel)
        // 2-D view: geo.input is the (small) input, geo.output the (large) output.
        let g = try geo.as2D(op: "ConvTranspose")
        try NNUtil.checkAllocatable("ConvTranspose", "output", [n, m] + geo.output)
        try NNUtil.checkAllocatable("ConvTranspose", "column buffer", [mg] + kernel + geo.input)
        return Setup(xShape: xs, wShape: ws, outShape: [n, m] + geo.output, x: x, w: w, bias: bias, g: g,
                     batch: n, inChannels: c, outChannels: m, group: group)
    }

    /// Adds col[(m*KH + ky)*KW + kx][y*W + x] to out[m][y*sh - ph + ky*dh][x*sw - pw + kx*dw].
    static func col2im(_ g: NNWindow, channels: Int, col: UnsafePointer<Float>,
                       out: UnsafeMutablePointer<Float>, threads: Int) {
        let ih = g.input[0], iw = g.input[1], oh = g.output[0], ow = g.output[1]
        let kh = g.kernel[0], kw = g.kernel[1], sh = g.strides[0], sw = g.strides[1]
        parallelChunks(channels, threads: threads) { range in
            for mch in range {
                let dst = out + mch * oh * ow
                for ky in 0..<kh {
                    let yOff = ky * g.dilations[0] - g.padsBegin[0]
                    let yRange = NNUtil.strideRange(count: ih, stride: sh, offset: yOff, limit: oh)
                    for kx in 0..<kw {
                        let xOff = kx * g.dilations[1] - g.padsBegin[1]
                        let xRange = NNUtil.strideRange(count: iw, stride: sw, offset: xOff, limit: ow)
                        if xRange.isEmpty { continue }
                        let src = col + ((mch * kh + ky) * kw + kx) * ih * iw
                        for y in yRange {
                            let drow = dst + (y * sh + yOff) * ow + xOff
                            let srow = src + y * iw
                            for xi in xRange { drow[xi * sw] += srow[xi] }
                        }
                    }
                }
            }
        }
    }

    /// Output size and begin/end pads from pads / output_padding / output_shape / auto_pad.
    /// `input` and `output` of the result are the ConvTranspose input and output sizes.
    static func geometry(_ ctx: OpContext, input: [Int], kernel: [Int]) throws -> NNWindow {
        let r = input.count
        let strides = try ctx.nnInts("strides", count: r) ?? [Int](repeating: 1, count: r)
        let dilations = try ctx.nnInts("dilations", count: r) ?? [Int](repeating: 1, count: r)
        let outPad = try ctx.nnInts("output_padding", count: r) ?? [Int](repeating: 0, count: r)
        guard strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), kernel.allSatisfy({ $0 > 0 }) else {
            throw GraphError.attribute("ConvTranspose: strides \(strides), dilations \(dilations) and kernel \(kernel) must be positive")
        }
        guard input.allSatisfy({ $0 > 0 }) else { throw GraphError.invalidShape("ConvTranspose: empty spatial input \(input)") }
        guard outPad.allSatisfy({ $0 >= 0 }) else { throw GraphError.attribute("ConvTranspose: output_padding \(outPad) must not be negative") }
        let autoPad: String = try ctx.attr("auto_pad", default: "NOTSET")
        var outputShape: [Int]? = try ctx.attr("output_shape")
        if let os = outputShape, os.contains(where: { $0 < 0 || $0 > NNUtil.valueLimit }) {
            throw GraphError.attribute("ConvTranspose: output_shape \(os) has out-of-range values")
        }
        if let os = outputShape, os.count == r + 2 { outputShape = Array(os[2...]) }
        if let os = outputShape, os.count != r {
            throw GraphError.attribute("ConvTranspose: output_shape \(os) does not fit \(r) spatial axes")
        }
        var g = NNWindow(input: input, kernel: kernel, strides: strides, dilations: dilations,
                               padsBegin: [Int](repeating: 0, count: r), padsEnd: [Int](repeating: 0, count: r),
                               output: [Int](repeating: 0, count: r))
        let explicit = try ctx.nnInts("pads", count: 2 * r) ?? [Int](repeating: 0, count: 2 * r)
        for i in 0..<r {
            let full = strides[i] * (input[i] - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1
            var target: Int? = outputShape?[i]
            if target == nil, autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" { target = input[i] * strides[i] }
            if let t = target {
                // ONNX splits total_padding with floor division; a negative total (output_shape
                // larger than the full result) extends the output with bias-only positions.
                let total = full - t
                let small = total >= 0 ? total / 2 : -((-total + 1) / 2), large = total - small
                g.padsBegin[i] = autoPad == "SAME_UPPER" ? small : large
                g.padsEnd[i] = autoPad == "SAME_UPPER" ? large : small
                g.output[i] = t
            } else {
                switch autoPad {
                case "NOTSET", "": g.padsBegin[i] = explicit[i]; g.padsEnd[i] = explicit[i + r]
                case "VALID": break
                default: throw GraphError.attribute("ConvTranspose: unknown auto_pad '\(autoPad)'")
                }
                guard g.padsBegin[i] >= 0, g.padsEnd[i] >= 0 else {
                    throw GraphError.attribute("ConvTranspose: pads \(explicit) must not be negative")
                }
                g.output[i] = full - g.padsBegin[i] - g.padsEnd[i]
                guard g.output[i] > 0 else {
                    throw GraphError.invalidShape("ConvTranspose: pads \(explicit) leave no output on spatial axis \(i)")
                }
            }
        }
        return g
    }
}
