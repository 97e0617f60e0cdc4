/// Explanation maps drawn as pictures: a colormapped heatmap, alone or blended over the image.
public enum Overlay {
    /// The map blended over `image`, computed as pytorch-grad-cam's
    /// `show_cam_on_image(img, mask, use_rgb=True, colormap, image_weight=1-alpha)` does, in the same
    /// single-precision steps, so the pixels are identical:
    ///
    ///     mask    = normalisation.apply(map)
    ///     heat    = Float(colormap.color(mask)) / 255          (index = UInt8(255 * mask), truncating)
    ///     img     = Float(8-bit sample) / 255
    ///     cam     = (1 - imageWeight) * heat + imageWeight * img,  imageWeight = 1 - alpha
    ///     cam     = cam / max(cam)                             (the maximum over all pixels and channels)
    ///     out     = UInt8(255 * cam)                           (truncating)
    ///
    /// The weights are formed in double precision and then rounded to Float, as Python does with
    /// `1 - image_weight` before NumPy multiplies the float32 arrays. If every `cam` value is 0 (a black
    /// image under a colormap whose colours are black) the result is black instead of NaN.
    ///
    /// `map` holds `image.width * image.height` values, row-major, at the image's resolution. Grey
    /// images are replicated to RGB and 16-bit images scaled to 8 bits (`v / 257`, rounded) first. The
    /// result is 8-bit RGB.
    ///
    /// `dimOutside`: when given, every pixel outside that rectangle (the region the model saw, e.g. a
    /// centre crop) is drawn at half brightness: its three output bytes are halved (`v / 2`, truncating)
    /// after the blend. The rectangle may reach past the image (it is clipped); a negative width or
    /// height is an error. `nil` draws every pixel normally.
    ///
    /// Throws `RenderError` for a map of the wrong size, an `alpha` outside [0, 1] (or NaN), or a bad
    /// rectangle.
    public static func render(image: PixelImage, map: [Float], colormap: Colormap, alpha: Float,
                              normalisation: MapNormalisation,
                              dimOutside: (x: Int, y: Int, width: Int, height: Int)?) throws -> PixelImage {
        let w = image.width, h = image.height, n = w * h
        guard map.count == n else {
            throw RenderError("overlay", "map has \(map.count) values, the \(w)x\(h) image needs \(n)")
        }
        guard alpha >= 0, alpha <= 1 else { throw RenderError("overlay", "alpha must be in [0, 1], got \(alpha)") }
        if let r = dimOutside, r.width < 0 || r.height < 0 {
            throw RenderError("overlay", "dimOutside rectangle has a negative size \(r.width)x\(r.height)")
        }
        let mask = normalisation.apply(map)
        let pixels = image.rgb8()
        let imageWeight = Float(1 - Double(alpha))
        let heatWeight = Float(1 - Double(imageWeight))

        var cam = [Float](repeating: 0, count: 3 * n)
        var peak: Float = 0
        for i in 0..<n {
            let (r, g, b) = colormap.color(mask[i])
            for c in 0..<3 {
                let hv = Float(c == 0 ? r : c == 1 ? g : b) / 255
                let iv = Float(pixels[3 * i + c]) / 255
                let a = heatWeight * hv
                let b = imageWeight * iv
                let v = a + b
                cam[3 * i + c] = v
                peak = max(peak, v)
            }
        }
        var out = [UInt8](repeating: 0, count: 3 * n)
        if peak > 0 {
            for k in 0..<(3 * n) {
                let scaled = 255 * (cam[k] / peak)
                out[k] = UInt8(min(max(scaled, 0), 255))
            }
        }
        if let r = dimOutside {
            let (x0, x1) = clippedSpan(r.x, r.width, w), (y0, y1) = clippedSpan(r.y, r.height, h)
            for y in 0..<h {
                for x in 0..<w where !(x >= x0 && x < x1 && y >= y0 && y < y1) {
                    let k = 3 * (y * w + x)
                    out[k] /= 2; out[k + 1] /= 2; out[k + 2] /= 2
                }
            }
        }
        return try rgbImage(width: w, height: h, out, "overlay")
    }

    /// `start ..< start + length` clipped to `0 ... limit` (no overflow for extreme values).
    private static func clippedSpan(_ start: Int, _ length: Int, _ limit: Int) -> (Int, Int) {
        let (end, overflow) = start.addingReportingOverflow(length)
        return (min(max(start, 0), limit), overflow ? limit : min(max(end, 0), limit))
    }

    /// The map alone as colours (8-bit RGB, `width` x `height`): `colormap.color` of each normalised
    /// value. `map` holds `width * height` values, row-major.
    public static func heatmap(map: [Float], width: Int, height: Int, colormap: Colormap,
                               normalisation: MapNormalisation) throws -> PixelImage {
        guard width > 0, height > 0 else { throw RenderError("heatmap", "size \(width)x\(height) must be positive") }
        let (n, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, map.count == n else {
            throw RenderError("heatmap", "map has \(map.count) values, a \(width)x\(height) heatmap needs \(width)*\(height)")
        }
        var out = [UInt8](repeating: 0, count: 3 * n)
        for (i, v) in normalisation.apply(map).enumerated() {
            let (r, g, b) = colormap.color(v)
            out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b
        }
        return try rgbImage(width: width, height: height, out, "heatmap")
    }
}
