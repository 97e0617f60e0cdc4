/// Image resizing that reproduces PIL's `Image.resize` (what torchvision's `Resize` runs on PIL
/// images), bit for bit on 8-bit images.
///
/// Bilinear and bicubic are separable convolutions. For each output pixel `i` the kernel is centred
/// on `(i + 0.5) * in / out` (source coordinates with pixel edges at integers); when shrinking, the
/// kernel is stretched by the factor `in / out` (antialiasing). The taps run from
/// `trunc(centre - support + 0.5)` to `trunc(centre + support + 0.5)` (clipped to the image), and
/// their weights are normalised to sum to 1. On 8-bit images the weights become integers scaled by
/// 2^22 (rounded half away from zero), each sum starts at 2^21 (rounding), and the result is
/// shifted right by 22 and clipped to 0...255. The two passes go through an 8-bit intermediate
/// image, so their order changes the rounding: the horizontal pass runs first, except when the
/// height shrinks and loses more than twice as many pixels as the width does
/// (`outH < inH && inH - outH > 2 * (inW - outW)`), where Pillow 13 runs the vertical pass first
/// (its "resize vertically first" change; the rule was checked against Pillow 13.0.0 on 400 random
/// size pairs). A dimension whose size does not change is not resampled. 16-bit images (mapped to 0...255 floats) use the same weights in double precision,
/// unrounded, as PIL does for float ("F") images.
///
/// Nearest follows PIL's scaling transform: source index `trunc(x)` for `x` starting at
/// `0.5 * in / out` and stepping by `in / out` (accumulated, as PIL does).
enum Resampler {
    /// The taps of a one-dimensional resample: for each output index, the first source index and
    /// its weights.
    struct Taps {
        var start: [Int]
        var weights: [[Double]]
    }

    static func taps(inSize: Int, outSize: Int, filter: ResampleFilter) -> Taps {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let inverse = 1 / filterScale
        var start = [Int](repeating: 0, count: outSize)
        var weights = [[Double]](repeating: [], count: outSize)
        for i in 0..<outSize {
            let centre = (Double(i) + 0.5) * scale
            let lo = max(Int(centre - support + 0.5), 0)
            let hi = min(Int(centre + support + 0.5), inSize)
            var w = [Double](repeating: 0, count: max(hi - lo, 0))
            var total = 0.0
            for k in w.indices {
                w[k] = filter.weight((Double(k + lo) - centre + 0.5) * inverse)
                total += w[k]
            }
            if total != 0 { for k in w.indices { w[k] /= total } }
            start[i] = lo
            weights[i] = w
        }
        return Taps(start: start, weights: weights)
    }

    /// PIL's fixed-point weights (scaled by 2^22, rounded half away from zero), packed: row `i`
    /// holds `count` weights from `i * stride`.
    struct FixedTaps {
        var start: [Int], count: [Int], weights: [Int], stride: Int
        init(_ t: Taps) {
            start = t.start
            count = t.weights.map(\.count)
            stride = max(count.max() ?? 0, 1)
            weights = [Int](repeating: 0, count: stride * t.start.count)
            for (i, row) in t.weights.enumerated() {
                for (k, v) in row.enumerated() { weights[i * stride + k] = v < 0 ? Int(-0.5 + v * 4194304) : Int(0.5 + v * 4194304) }
            }
        }
    }

    /// Source indices of a nearest-neighbour resample (-1: outside, filled with 0 as PIL does).
    static func nearestIndices(inSize: Int, outSize: Int) -> [Int] {
        let step = Double(inSize) / Double(outSize)
        var x = step * 0.5
        var out = [Int](repeating: -1, count: outSize)
        for i in 0..<outSize {
            let v = x < 0 ? -1 : Int(x)
            out[i] = v < inSize ? v : -1
            x += step
        }
        return out
    }

    // MARK: 8-bit

    static func resize(_ img: Raster<UInt8>, width: Int, height: Int, filter: ResampleFilter) -> Raster<UInt8> {
        if width == img.width && height == img.height { return img }
        if filter == .nearest { return nearest(img, width: width, height: height, zero: 0) }
        var r = img
        let vFirst = verticalFirst(inWidth: img.width, inHeight: img.height, width: width, height: height)
        if vFirst && height != img.height {
            r = vertical8(r, taps: taps(inSize: img.height, outSize: height, filter: filter))
        }
        if width != img.width {
            r = horizontal8(r, taps: taps(inSize: img.width, outSize: width, filter: filter))
        }
        if !vFirst && height != img.height {
            r = vertical8(r, taps: taps(inSize: img.height, outSize: height, filter: filter))
        }
        return r
    }

    /// Pillow 13's pass order: vertical first when the height shrinks by more than twice the
    /// number of pixels the width loses.
    static func verticalFirst(inWidth: Int, inHeight: Int, width: Int, height: Int) -> Bool {
        height < inHeight && inHeight - height > 2 * (inWidth - width)
    }

    private static func horizontal8(_ img: Raster<UInt8>, taps: Taps) -> Raster<UInt8> {
        let c = img.channels, outW = taps.start.count, inW = img.width
        let k = FixedTaps(taps)
        var out = [UInt8](repeating: 0, count: outW * img.height * c)
        img.samples.withUnsafeBufferPointer { src in
            k.weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<img.height {
                        let row = y * inW * c, orow = y * outW * c
                        for x in 0..<outW {
                            let s = row + k.start[x] * c, n = k.count[x], wx = x * k.stride
                            for ch in 0..<c {
                                var acc = 1 << 21
                                for t in 0..<n { acc += Int(src[s + t * c + ch]) * w[wx + t] }
                                dst[orow + x * c + ch] = clip8(acc)
                            }
                        }
                    }
                }
            }
        }
        return Raster(width: outW, height: img.height, channels: c, samples: out)
    }

    private static func vertical8(_ img: Raster<UInt8>, taps: Taps) -> Raster<UInt8> {
        let c = img.channels, outH = taps.start.count, rowLen = img.width * c
        let k = FixedTaps(taps)
        var out = [UInt8](repeating: 0, count: outH * rowLen)
        img.samples.withUnsafeBufferPointer { src in
            k.weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<outH {
                        let s = k.start[y] * rowLen, n = k.count[y], wy = y * k.stride, orow = y * rowLen
                        for i in 0..<rowLen {
                            var acc = 1 << 21
                            for t in 0..<n { acc += Int(src[s + t * rowLen + i]) * w[wy + t] }
                            dst[orow + i] = clip8(acc)
                        }
                    }
                }
            }
        }
        return Raster(width: img.width, height: outH, channels: c, samples: out)
    }

    @inline(__always) private static func clip8(_ acc: Int) -> UInt8 {
        UInt8(clamping: acc >> 22)
    }

    // MARK: float (16-bit images)

    static func resize(_ img: Raster<Float>, width: Int, height: Int, filter: ResampleFilter) -> Raster<Float> {
        if width == img.width && height == img.height { return img }
        if filter == .nearest { return nearest(img, width: width, height: height, zero: 0) }
        var r = img
        let vFirst = verticalFirst(inWidth: img.width, inHeight: img.height, width: width, height: height)
        if vFirst && height != img.height { r = verticalF(r, taps: taps(inSize: img.height, outSize: height, filter: filter)) }
        if width != img.width { r = horizontalF(r, taps: taps(inSize: img.width, outSize: width, filter: filter)) }
        if !vFirst && height != img.height { r = verticalF(r, taps: taps(inSize: img.height, outSize: height, filter: filter)) }
        return r
    }

    private static func horizontalF(_ r: Raster<Float>, taps t: Taps) -> Raster<Float> {
        let c = r.channels, width = t.start.count
        var out = [Float](repeating: 0, count: width * r.height * c)
        for y in 0..<r.height {
            for x in 0..<width {
                for ch in 0..<c {
                    var acc = 0.0
                    for (j, w) in t.weights[x].enumerated() { acc += Double(r.samples[(y * r.width + t.start[x] + j) * c + ch]) * w }
                    out[(y * width + x) * c + ch] = Float(acc)
                }
            }
        }
        return Raster(width: width, height: r.height, channels: c, samples: out)
    }

    private static func verticalF(_ r: Raster<Float>, taps t: Taps) -> Raster<Float> {
        let rowLen = r.width * r.channels, height = t.start.count
        var out = [Float](repeating: 0, count: height * rowLen)
        for y in 0..<height {
            for i in 0..<rowLen {
                var acc = 0.0
                for (j, w) in t.weights[y].enumerated() { acc += Double(r.samples[(t.start[y] + j) * rowLen + i]) * w }
                out[y * rowLen + i] = Float(acc)
            }
        }
        return Raster(width: r.width, height: height, channels: r.channels, samples: out)
    }

    // MARK: nearest

    private static func nearest<S>(_ img: Raster<S>, width: Int, height: Int, zero: S) -> Raster<S> {
        let xs = nearestIndices(inSize: img.width, outSize: width)
        let ys = nearestIndices(inSize: img.height, outSize: height)
        let c = img.channels
        var out = [S](repeating: zero, count: width * height * c)
        for y in 0..<height where ys[y] >= 0 {
            for x in 0..<width where xs[x] >= 0 {
                for ch in 0..<c { out[(y * width + x) * c + ch] = img.samples[(ys[y] * img.width + xs[x]) * c + ch] }
            }
        }
        return Raster(width: width, height: height, channels: c, samples: out)
    }
}
