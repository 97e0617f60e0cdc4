import Graph

/// ONNX `Resize` (canonical inputs X, roi?, scales?, sizes?): modes nearest, linear (N-D
/// multilinear) and cubic; coordinate_transformation_mode half_pixel, half_pixel_symmetric,
/// pytorch_half_pixel, align_corners, asymmetric; every nearest_mode; `axes`;
/// keep_aspect_ratio_policy. tf_crop_and_resize and antialiased downscaling are rejected.
enum NNResize {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Resize", vjp: { try vjp($0) }, lrp: .gradient) { ctx in [try forward(ctx)] })
    }

    /// One per-axis step of the resize: `taps` along `axis` of a tensor of shape `shape`.
    struct Pass { var axis: Int; var taps: NNResizeTaps; var shape: [Int]; var outLen: Int }

    static func forward(_ ctx: OpContext) throws -> Tensor {
        let (xs, x) = try ctx.nnFloat(0, "X")
        let (passes, outShape) = try plan(ctx, xs)
        var cur = x
        for p in passes {
            cur = resizeAxis(cur, shape: p.shape, axis: p.axis, taps: p.taps, outLen: p.outLen, threads: ctx.threads)
        }
        return Tensor(unchecked: outShape, floats: cur)
    }

    /// Validates the attributes and lists the per-axis passes (axes whose size and scale stay are skipped).
    static func plan(_ ctx: OpContext, _ xs: [Int]) throws -> ([Pass], [Int]) {
        let rank = xs.count
        let m = NNResizeTaps.Mode(
            mode: try ctx.attr("mode", default: "nearest"),
            transform: try ctx.attr("coordinate_transformation_mode", default: "half_pixel"),
            nearest: try ctx.attr("nearest_mode", default: "round_prefer_floor"),
            cubicA: try ctx.attr("cubic_coeff_a", default: -0.75),
            excludeOutside: try ctx.attr("exclude_outside", default: 0) != 0)
        guard ["nearest", "linear", "cubic"].contains(m.mode) else {
            throw GraphError.attribute("Resize: unsupported mode '\(m.mode)' (nearest, linear, cubic)")
        }
        let transforms = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"]
        guard transforms.contains(m.transform) else {
            throw GraphError.attribute("Resize: unsupported coordinate_transformation_mode '\(m.transform)' (supported: \(transforms.joined(separator: ", ")))")
        }
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(m.nearest) else {
            throw GraphError.attribute("Resize: unknown nearest_mode '\(m.nearest)'")
        }
        let (scales, outShape) = try targetShape(ctx, xs)
        let antialias: Int = try ctx.attr("antialias", default: 0)
        if antialias != 0, m.mode != "nearest", scales.contains(where: { $0 < 1 }) {
            throw GraphError.attribute("Resize: antialiased downscaling is not supported")
        }
        var passes: [Pass] = [], shape = xs
        for d in 0..<rank where !(outShape[d] == xs[d] && scales[d] == 1) {
            if outShape[d] > 0 && xs[d] == 0 {
                throw GraphError.invalidShape("Resize: cannot resize empty axis \(d) of \(xs) to \(outShape[d])")
            }
            let taps = NNResizeTaps(inLen: xs[d], outLen: outShape[d], scale: scales[d], m)
            passes.append(Pass(axis: d, taps: taps, shape: shape, outLen: outShape[d]))
            shape[d] = outShape[d]
        }
        return (passes, outShape)
    }

    /// Per-axis scales and the output shape, from `scales` or `sizes` (with `axes` and
    /// keep_aspect_ratio_policy).
    static func targetShape(_ ctx: OpContext, _ xs: [Int]) throws -> ([Float], [Int]) {
        let rank = xs.count
        let axes = try (try ctx.attr("axes") ?? Array(0..<rank)).map { try ctx.nnAxis($0, rank: rank, name: "axis") }
        guard Set(axes).count == axes.count else { throw GraphError.attribute("Resize: axes \(axes) repeat an axis") }
        let scalesIn = try ctx.nnOptionalFloat(2, "scales")?.values
        let sizesIn = try ctx.nnOptionalInts(3, "sizes")
        var scales = [Float](repeating: 1, count: rank), out = xs
        if ctx.node.attributes["coordinate_transformation_mode"] == .string("tf_crop_and_resize") {
            throw GraphError.attribute("Resize: coordinate_transformation_mode tf_crop_and_resize is not supported")
        }
        switch (scalesIn, sizesIn) {
        case (let s?, nil):
            guard s.count == axes.count else {
                throw GraphError.invalidShape("Resize: scales has \(s.count) values for \(axes.count) axes of input \(xs)")
            }
            for (k, a) in axes.enumerated() {
                guard s[k] > 0, s[k] <= 1e6 else { throw GraphError.invalidShape("Resize: scale \(s[k]) must be in (0, 1e6]") }
                scales[a] = s[k]
                out[a] = Int((Double(xs[a]) * Double(s[k])).rounded(.down))
            }
        case (nil, let z?):
            guard z.count == axes.count else {
                throw GraphError.invalidShape("Resize: sizes has \(z.count) values for \(axes.count) axes of input \(xs)")
            }
            guard z.allSatisfy({ $0 >= 0 }) else { throw GraphError.invalidShape("Resize: sizes \(z) must not be negative") }
            let policy: String = try ctx.attr("keep_aspect_ratio_policy", default: "stretch")
            if policy == "stretch" {
                for (k, a) in axes.enumerated() {
                    out[a] = z[k]
                    scales[a] = xs[a] == 0 ? 1 : Float(z[k]) / Float(xs[a])
                }
            } else {
                guard policy == "not_larger" || policy == "not_smaller" else {
                    throw GraphError.attribute("Resize: unknown keep_aspect_ratio_policy '\(policy)'")
                }
                let ratios = axes.enumerated().map { Float(z[$0.offset]) / Float(max(xs[$0.element], 1)) }
                let s = policy == "not_larger" ? (ratios.min() ?? 1) : (ratios.max() ?? 1)
                for a in axes {
                    scales[a] = s
                    out[a] = NNUtil.clampedInt((s * Float(xs[a])).rounded(.toNearestOrAwayFromZero))
                }
            }
        case (nil, nil):
            throw GraphError.kernel("Resize: one of the 'scales' and 'sizes' inputs must be given")
        default:
            throw GraphError.kernel("Resize: only one of the 'scales' and 'sizes' inputs may be given")
        }
        try NNUtil.checkAllocatable("Resize", "output", out)
        return (scales, out)
    }

    /// Applies `taps` along `axis` of a tensor of `shape`.
    static func resizeAxis(_ src: [Float], shape: [Int], axis: Int, taps: NNResizeTaps, outLen: Int, threads: Int) -> [Float] {
        let outer = NNUtil.product(shape, 0..<axis), inLen = shape[axis]
        let inner = NNUtil.product(shape, (axis + 1)..<shape.count)
        let width = taps.width
        var out = [Float](repeating: 0, count: outer * outLen * inner)
        src.withUnsafeBufferPointer { sb in out.withUnsafeMutableBufferPointer { ob in
            taps.index.withUnsafeBufferPointer { ib in taps.weight.withUnsafeBufferPointer { wb in
                guard let sp = sb.baseAddress, let op = ob.baseAddress else { return }
                parallelChunks(outer * outLen, threads: threads, minChunk: max(1, 1024 / max(inner, 1))) { range in
                    for line in range {
                        let o = line / outLen, j = line % outLen
                        let dst = op + line * inner
                        for t in 0..<width {
                            let w = wb[j * width + t]
                            if w == 0 { continue }
                            let s = sp + (o * inLen + ib[j * width + t]) * inner
                            for k in 0..<inner { dst[k] += w * s[k] }
                        }
                    }
                }
            } }
        } }
        return out
    }
}
