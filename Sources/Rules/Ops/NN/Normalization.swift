import CKernels
import Graph

/// ONNX `BatchNormalization` (inference form), `InstanceNormalization` and `LayerNormalization`
/// (first output only). Gradients: NormalizationGrad.swift.
enum NNNormalization {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "BatchNormalization", vjp: { try batchNormVJP($0) }, lrp: .batchNorm) { ctx in
            [try batchNorm(ctx)]
        })
        r.register(OpDefinition(opType: "InstanceNormalization", vjp: { try instanceNormVJP($0) }, lrp: .normalization) { ctx in
            [try instanceNorm(ctx)]
        })
        r.register(OpDefinition(opType: "LayerNormalization", vjp: { try layerNormVJP($0) }, lrp: .normalization) { ctx in
            [try layerNorm(ctx)]
        })
    }

    /// y = (x - mean) / sqrt(var + epsilon) · scale + B per channel (axis 1).
    static func batchNorm(_ ctx: OpContext) throws -> Tensor {
        let (xs, x) = try ctx.nnFloat(0, "X")
        guard xs.count >= 2 else { throw GraphError.invalidShape("BatchNormalization: input has shape \(xs), expected [N, C, ...]") }
        let training: Int = try ctx.attr("training_mode", default: 0)
        guard training == 0 else { throw GraphError.attribute("BatchNormalization: training_mode = 1 is not supported (inference only)") }
        let c = xs[1]
        var params: [[Float]] = []
        for (i, name) in ["scale", "B", "mean", "var"].enumerated() {
            let (s, v) = try ctx.nnFloat(i + 1, name)
            try NNUtil.checkVector("BatchNormalization", name, s, count: c)
            params.append(v)
        }
        let eps: Float = try ctx.attr("epsilon", default: 1e-5)
        let mul = (0..<c).map { params[0][$0] / (params[3][$0] + eps).squareRoot() }
        let add = (0..<c).map { params[1][$0] - params[2][$0] * mul[$0] }
        return perChannelAffine(xs, x, mul: mul, add: add, threads: ctx.threads)
    }

    /// A validated InstanceNormalization: rows are (n, c) planes of `size` elements.
    struct InstanceSetup {
        var xs: [Int], x: [Float], c: Int, size: Int, eps: Float
        var ss: [Int], scale: [Float], bs: [Int], bias: [Float]
        var rows: Int { xs[0] * c }

        init(_ ctx: OpContext) throws {
            (xs, x) = try ctx.nnFloat(0, "input")
            guard xs.count >= 3 else { throw GraphError.invalidShape("InstanceNormalization: input has shape \(xs), expected [N, C, spatial...]") }
            c = xs[1]
            (ss, scale) = try ctx.nnFloat(1, "scale")
            (bs, bias) = try ctx.nnFloat(2, "B")
            try NNUtil.checkVector("InstanceNormalization", "scale", ss, count: c)
            try NNUtil.checkVector("InstanceNormalization", "B", bs, count: c)
            eps = try ctx.attr("epsilon", default: 1e-5)
            size = NNUtil.product(xs, 2..<xs.count)
        }
    }

    /// A validated LayerNormalization: rows of `size` = product of the axes [axis, rank), Scale
    /// broadcast to them (`s`).
    struct LayerSetup {
        var xs: [Int], x: [Float], inner: [Int], size: Int, eps: Float
        var ss: [Int], s: [Float]
        var rows: Int { size == 0 ? 0 : x.count / size }

        init(_ ctx: OpContext) throws {
            (xs, x) = try ctx.nnFloat(0, "X")
            let axis = try ctx.nnAxis(try ctx.attr("axis", default: -1), rank: xs.count)
            inner = Array(xs[axis...])
            size = Tensor.elementCount(inner)
            let scale: [Float]
            (ss, scale) = try ctx.nnFloat(1, "Scale")
            s = try broadcastTo(ss, scale, inner, what: "Scale")
            eps = try ctx.attr("epsilon", default: 1e-5)
        }
    }

    /// Per (n, c): normalise over the spatial axes, then scale[c] and B[c].
    static func instanceNorm(_ ctx: OpContext) throws -> Tensor {
        let p = try InstanceSetup(ctx)
        let (c, scale, bias) = (p.c, p.scale, p.bias)
        let out = normalizeRows(p.x, rows: p.rows, size: p.size, eps: p.eps, threads: ctx.threads) { row, _ in
            (scale[row % c], bias[row % c])
        }
        return Tensor(unchecked: p.xs, floats: out)
    }

    /// Normalise over axes [axis, rank), then Scale and optional B (broadcast to those axes).
    /// At the fast precision (AVX-512) one C pass per row (`cfcam_layernorm_rows`: float
    /// statistics in 16 lanes); otherwise the double-accumulating loop below.
    static func layerNorm(_ ctx: OpContext) throws -> Tensor {
        let p = try LayerSetup(ctx)
        var b = [Float](repeating: 0, count: p.size)
        if let (bs, bv) = try ctx.nnOptionalFloat(2, "B") { b = try broadcastTo(bs, bv, p.inner, what: "B") }
        if ctx.precision == .fast && FastGEMM.enabled && p.size > 0 {
            let out = [Float](unsafeUninitializedCapacity: p.x.count) { ob, initialized in
                p.x.withUnsafeBufferPointer { xb in p.s.withUnsafeBufferPointer { sb in b.withUnsafeBufferPointer { bb in
                    guard let xp = xb.baseAddress, let op = ob.baseAddress, let sp = sb.baseAddress,
                          let bp = bb.baseAddress else { return }
                    parallelChunks(p.rows, threads: ctx.threads, minChunk: max(1, 8192 / p.size)) { r in
                        cfcam_layernorm_rows(xp + r.lowerBound * p.size, op + r.lowerBound * p.size, r.count, p.size,
                                             sp, bp, p.eps)
                    }
                } } }
                initialized = p.x.count
            }
            return Tensor(unchecked: p.xs, floats: out)
        }
        let out = p.s.withUnsafeBufferPointer { sb in b.withUnsafeBufferPointer { bb in
            normalizeRows(p.x, rows: p.rows, size: p.size, eps: p.eps, threads: ctx.threads) { _, i in (sb[i], bb[i]) }
        } }
        return Tensor(unchecked: p.xs, floats: out)
    }

    /// Unidirectional broadcast of a parameter to `target` (LayerNormalization's Scale / B).
    static func broadcastTo(_ shape: [Int], _ v: [Float], _ target: [Int], what: String) throws -> [Float] {
        if shape == target { return v }
        guard shape.count <= target.count,
              (try? NNUtil.broadcastShapes(shape, target)) == target else {
            throw GraphError.invalidShape("LayerNormalization: \(what) of shape \(shape) does not broadcast to the normalised shape \(target)")
        }
        let full = [Int](repeating: 1, count: target.count - shape.count) + shape
        let str = NNUtil.stridesOf(full).enumerated().map { full[$0.offset] == 1 ? 0 : $0.element }
        let tstr = NNUtil.stridesOf(target)
        return (0..<Tensor.elementCount(target)).map { flat in
            var off = 0
            for d in 0..<target.count { off += (flat / tstr[d]) % target[d] * str[d] }
            return v[off]
        }
    }

    /// Mean and 1 / sqrt(variance + eps) of one row (biased variance, accumulated in Double), shared
    /// by the forward normalisation and its gradient.
    @inline(__always)
    static func rowStatistics(_ src: UnsafePointer<Float>, size: Int, eps: Float) -> (mean: Double, invStd: Double) {
        var mean: Double = 0
        for i in 0..<size { mean += Double(src[i]) }
        mean /= Double(size)
        var v: Double = 0
        for i in 0..<size { let d = Double(src[i]) - mean; v += d * d }
        v /= Double(size)
        return (mean, 1 / (v + Double(eps)).squareRoot())
    }

    /// y[r][i] = (x[r][i] - mean_r) / sqrt(var_r + eps) · s + b with (s, b) = param(r, i).
    static func normalizeRows(_ x: [Float], rows: Int, size: Int, eps: Float, threads: Int,
                              _ param: (Int, Int) -> (Float, Float)) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in
            guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
            parallelChunks(rows, threads: threads, minChunk: max(1, 4096 / max(size, 1))) { range in
                for r in range {
                    let src = xp + r * size, dst = op + r * size
                    let (mean, invStd) = rowStatistics(src, size: size, eps: eps)
                    let inv = Float(invStd), m = Float(mean)
                    for i in 0..<size {
                        let (s, b) = param(r, i)
                        dst[i] = (src[i] - m) * inv * s + b
                    }
                }
            }
        } }
        return out
    }

    /// y = x · mul[c] + add[c] over [N, C, ...].
    static func perChannelAffine(_ xs: [Int], _ x: [Float], mul: [Float], add: [Float], threads: Int) -> Tensor {
        let c = xs[1], size = NNUtil.product(xs, 2..<xs.count), planes = xs[0] * c
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in
            guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
            parallelChunks(planes, threads: threads, minChunk: max(1, 4096 / max(size, 1))) { range in
                for p in range {
                    let m = mul[p % c], a = add[p % c], src = xp + p * size, dst = op + p * size
                    for i in 0..<size { dst[i] = src[i] * m + a }
                }
            }
        } }
        return Tensor(unchecked: xs, floats: out)
    }
}
