import Graph

/// Gradients of `MaxPool` (all of an output's gradient goes to the first maximum of its window in
/// row-major scan order, as PyTorch does; a NaN counts as the maximum) and `AveragePool` (spread
/// evenly over the window's taps inside the input, divided like the forward pass).
extension NNPool {
    static func vjp(_ ctx: BackwardContext, max isMax: Bool) throws -> [Tensor?] {
        var result = ctx.nnNoGradients
        guard ctx.nnWants(0) else { return result }
        let fwd = ctx.forwardContext()
        let (xs, x) = try fwd.nnFloat(0, "X")
        let l = try Layout(fwd, xShape: xs)
        let dy = try ctx.nnOutputGrad(shape: l.outShape)
        let g = l.g
        let ih = g.input[0], iw = g.input[1], oh = g.output[0], ow = g.output[1]
        let sh = g.strides[0], sw = g.strides[1], dh = g.dilations[0], dw = g.dilations[1]
        let ph = g.padsBegin[0], pw = g.padsBegin[1]
        var dx = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in dy.withUnsafeBufferPointer { gb in dx.withUnsafeMutableBufferPointer { db in
            guard let xp = xb.baseAddress, let gp = gb.baseAddress, let dp = db.baseAddress else { return }
            parallelChunks(l.planes, threads: ctx.threads) { range in
                for plane in range {
                    let src = xp + plane * ih * iw, dst = dp + plane * ih * iw, grad = gp + plane * oh * ow
                    for y in 0..<oh {
                        let yr = l.yTaps[y], y0 = y * sh - ph
                        for xo in 0..<ow {
                            let xr = l.xTaps[xo], x0 = xo * sw - pw
                            let gv = grad[y * ow + xo]
                            if isMax {
                                var acc = -Float.infinity, best = -1
                                for ky in yr {
                                    let rowStart = (y0 + ky * dh) * iw + x0
                                    for kx in xr {
                                        let v = src[rowStart + kx * dw]
                                        if best < 0 || v > acc || (v.isNaN && !acc.isNaN) { acc = v; best = rowStart + kx * dw }
                                    }
                                }
                                if best >= 0 { dst[best] += gv }
                            } else {
                                let div = l.divisor(y, xo)
                                guard div > 0 else { continue }
                                let share = gv / Float(div)
                                for ky in yr {
                                    let row = dst + (y0 + ky * dh) * iw + x0
                                    for kx in xr { row[kx * dw] += share }
                                }
                            }
                        }
                    }
                }
            }
        } } }
        result[0] = Tensor(unchecked: xs, floats: dx)
        return result
    }
}
