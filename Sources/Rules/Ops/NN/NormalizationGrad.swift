import Graph

/// Gradients of the normalisation ops.
///
/// BatchNormalization (inference, running statistics are constants of the forward pass):
/// y = (x - mean) · s / σ + B with σ = sqrt(var + ε), so dX = dY · s / σ, dScale = Σ dY · x̂,
/// dB = Σ dY, dMean = -Σ dY · s / σ, dVar = -½ Σ dY · (x - mean) · s / σ³.
/// Instance / Layer normalisation (statistics of the row itself): with ĝ = dY · scale,
/// dX = (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂)) / σ.
extension NNNormalization {
    static func batchNormVJP(_ ctx: BackwardContext) throws -> [Tensor?] {
        let fwd = ctx.forwardContext()
        let (xs, x) = try fwd.nnFloat(0, "X")
        guard xs.count >= 2 else { throw GraphError.invalidShape("BatchNormalization: input has shape \(xs), expected [N, C, ...]") }
        let c = xs[1], size = NNUtil.product(xs, 2..<xs.count), planes = xs[0] * c
        var params: [[Float]] = []
        var shapes: [[Int]] = []
        for (i, name) in ["scale", "B", "mean", "var"].enumerated() {
            let (s, v) = try fwd.nnFloat(i + 1, name)
            try NNUtil.checkVector("BatchNormalization", name, s, count: c)
            params.append(v); shapes.append(s)
        }
        let eps: Float = try ctx.attr("epsilon", default: 1e-5)
        let dy = try ctx.nnOutputGrad(shape: xs)
        let inv = (0..<c).map { 1 / (params[3][$0] + eps).squareRoot() }
        // Per channel: Σ dY and Σ dY · (x - mean).
        var sumDy = [Double](repeating: 0, count: c), sumDyX = [Double](repeating: 0, count: c)
        for p in 0..<planes {
            let ch = p % c, mean = params[2][ch]
            var s: Double = 0, sx: Double = 0
            for i in (p * size)..<((p + 1) * size) { s += Double(dy[i]); sx += Double(dy[i]) * Double(x[i] - mean) }
            sumDy[ch] += s; sumDyX[ch] += sx
        }
        var result = ctx.nnNoGradients
        func put(_ i: Int, _ v: [Float]) { if ctx.nnWants(i) { result[i] = Tensor(unchecked: shapes[i - 1], floats: v) } }
        if ctx.nnWants(0) {
            let mul = (0..<c).map { params[0][$0] * inv[$0] }
            result[0] = perChannelAffine(xs, dy, mul: mul, add: [Float](repeating: 0, count: c), threads: ctx.threads)
        }
        put(1, (0..<c).map { Float(sumDyX[$0]) * inv[$0] })
        put(2, sumDy.map { Float($0) })
        put(3, (0..<c).map { -Float(sumDy[$0]) * params[0][$0] * inv[$0] })
        put(4, (0..<c).map { -0.5 * Float(sumDyX[$0]) * params[0][$0] * inv[$0] * inv[$0] * inv[$0] })
        return result
    }

    static func instanceNormVJP(_ ctx: BackwardContext) throws -> [Tensor?] {
        let p = try InstanceSetup(ctx.forwardContext())
        let (xs, c, size, scale) = (p.xs, p.c, p.size, p.scale)
        let dy = try ctx.nnOutputGrad(shape: xs)
        let (dx, dyXhat) = normalizeRowsBackward(p.x, dy: dy, rows: p.rows, size: size, eps: p.eps, threads: ctx.threads) { r, _ in scale[r % c] }
        var result = ctx.nnNoGradients
        if ctx.nnWants(0) { result[0] = Tensor(unchecked: xs, floats: dx) }
        var dScale = [Float](repeating: 0, count: c), dB = [Float](repeating: 0, count: c)
        for r in 0..<(xs[0] * c) {
            for i in (r * size)..<((r + 1) * size) { dScale[r % c] += dyXhat[i]; dB[r % c] += dy[i] }
        }
        if ctx.nnWants(1) { result[1] = Tensor(unchecked: p.ss, floats: dScale) }
        if ctx.nnWants(2) { result[2] = Tensor(unchecked: p.bs, floats: dB) }
        return result
    }

    static func layerNormVJP(_ ctx: BackwardContext) throws -> [Tensor?] {
        let p = try LayerSetup(ctx.forwardContext())
        let (xs, inner, size, rows, ss, s) = (p.xs, p.inner, p.size, p.rows, p.ss, p.s)
        let dy = try ctx.nnOutputGrad(shape: xs)
        let (dx, dyXhat) = normalizeRowsBackward(p.x, dy: dy, rows: rows, size: size, eps: p.eps, threads: ctx.threads) { _, i in s[i] }
        var result = ctx.nnNoGradients
        if ctx.nnWants(0) { result[0] = Tensor(unchecked: xs, floats: dx) }
        let full = [rows, size]
        if ctx.nnWants(1) {
            let perPos = try NNUtil.unbroadcast(dyXhat, full: full, to: [1, size])
            result[1] = Tensor(unchecked: ss, floats: try NNUtil.unbroadcast(perPos, full: inner, to: ss))
        }
        if ctx.nnWants(2), let b = ctx.inputs[2], b.count > 0 {
            let perPos = try NNUtil.unbroadcast(dy, full: full, to: [1, size])
            result[2] = Tensor(unchecked: b.shape, floats: try NNUtil.unbroadcast(perPos, full: inner, to: b.shape))
        }
        return result
    }

    /// For rows normalised by `normalizeRows` with per-element scale `gamma(row, i)`: dX and
    /// dY · x̂ (element-wise, for the scale gradient).
    static func normalizeRowsBackward(_ x: [Float], dy: [Float], rows: Int, size: Int, eps: Float, threads: Int,
                                      _ gamma: (Int, Int) -> Float) -> (dx: [Float], dyXhat: [Float]) {
        var dx = [Float](repeating: 0, count: x.count), dyXhat = dx
        x.withUnsafeBufferPointer { xb in dy.withUnsafeBufferPointer { gb in
            dx.withUnsafeMutableBufferPointer { db in dyXhat.withUnsafeMutableBufferPointer { hb in
                guard let xp = xb.baseAddress, let gp = gb.baseAddress, let dp = db.baseAddress, let hp = hb.baseAddress else { return }
                parallelChunks(rows, threads: threads, minChunk: max(1, 4096 / max(size, 1))) { range in
                    for r in range {
                        let src = xp + r * size, g = gp + r * size
                        let (mean, inv) = NNNormalization.rowStatistics(src, size: size, eps: eps)
                        var sumG: Double = 0, sumGX: Double = 0
                        for i in 0..<size {
                            let xh = (Double(src[i]) - mean) * inv, gh = Double(g[i]) * Double(gamma(r, i))
                            sumG += gh; sumGX += gh * xh
                            hp[r * size + i] = Float(Double(g[i]) * xh)
                        }
                        let mg = sumG / Double(size), mgx = sumGX / Double(size)
                        for i in 0..<size {
                            let xh = (Double(src[i]) - mean) * inv, gh = Double(g[i]) * Double(gamma(r, i))
                            dp[r * size + i] = Float((gh - mg - xh * mgx) * inv)
                        }
                    }
                }
            } }
        } }
        return (dx, dyXhat)
    }
}
