/// Several images side by side, each with a caption underneath: 8-bit RGB.
public enum Panel {
    /// White columns between tiles.
    public static let gap = 4
    /// At most this many caption lines are drawn per tile (further lines are dropped).
    public static let maxCaptionLines = 8
    /// Panels larger than this many pixels are refused (a guard against absurd tile shapes).
    public static let maxPixels = 1 << 27

    /// Lays `tiles` out left to right on white.
    ///
    /// - Every tile is scaled to the first tile's height with nearest-neighbour sampling (source pixel
    ///   `floor((d + 0.5) * source / target)`), keeping its aspect ratio (width rounded, at least 1),
    ///   so heatmap cells stay crisp and unscaled tiles keep their exact pixels. Grey tiles are
    ///   replicated to RGB, 16-bit tiles scaled to 8 bits (`v / 257`, rounded).
    /// - Tiles are `gap` white pixels apart.
    /// - Under each tile is a white caption strip with the caption in black, drawn with the built-in
    ///   5x7 font (`BitmapFont`), magnified `textScale` times: 1 below 200 pixels of tile height,
    ///   2 up to 399, 3 up to 599, 4 beyond. "\n" starts a new line (up to `maxCaptionLines`). A line
    ///   that fits the tile width is centred; a longer one starts at the left and is cut at the tile's
    ///   edge. Characters outside printable ASCII are drawn as '?'. Every strip has the height of the
    ///   tallest caption (at least one line), with `2 * textScale` pixels of margin above and below.
    ///
    /// Throws `RenderError` for an empty list or a panel over `maxPixels`.
    public static func compose(_ tiles: [(image: PixelImage, caption: String)]) throws -> PixelImage {
        guard let first = tiles.first else { throw RenderError("panel", "needs at least one tile") }
        let height = first.image.height
        let scale = textScale(tileHeight: height)
        let scaledWidths = tiles.map { t in max(1, (Double(t.image.width) * Double(height) / Double(t.image.height)).rounded()) }
        guard let widest = scaledWidths.max(), widest * Double(height) <= Double(maxPixels) else {
            throw RenderError("panel", "a tile scaled to \(height) pixels high is over the \(maxPixels)-pixel limit")
        }
        let widths = scaledWidths.map { Int($0) }
        let lines = tiles.map { captionLines($0.caption) }
        let lineCount = max(1, lines.map(\.count).max() ?? 1)
        let margin = 2 * scale
        let strip = 2 * margin + lineCount * BitmapFont.cellHeight * scale - scale  // no blank row after the last line
        let totalWidthD = Double(widths.reduce(0, +)) + Double(gap * (tiles.count - 1))
        let totalHeight = height + strip
        guard totalWidthD * Double(totalHeight) <= Double(maxPixels) else {
            throw RenderError("panel", "a \(Int(totalWidthD))x\(totalHeight) panel is over the \(maxPixels)-pixel limit")
        }
        let totalWidth = Int(totalWidthD)
        var out = [UInt8](repeating: 255, count: totalWidth * totalHeight * 3)

        var left = 0
        for (t, tile) in tiles.enumerated() {
            let src = tile.image.rgb8(), sw = tile.image.width, sh = tile.image.height, dw = widths[t]
            let xs = (0..<dw).map { min(sw - 1, Int((Double($0) + 0.5) * Double(sw) / Double(dw))) }
            for y in 0..<height {
                let sy = min(sh - 1, Int((Double(y) + 0.5) * Double(sh) / Double(height)))
                for x in 0..<dw {
                    let s = 3 * (sy * sw + xs[x]), d = 3 * (y * totalWidth + left + x)
                    out[d] = src[s]; out[d + 1] = src[s + 1]; out[d + 2] = src[s + 2]
                }
            }
            for (l, line) in lines[t].enumerated() {
                let textWidth = line.count * BitmapFont.cellWidth * scale - scale
                let x0 = textWidth <= dw ? (dw - textWidth) / 2 : 0
                let y0 = height + margin + l * BitmapFont.cellHeight * scale
                drawText(line, into: &out, rowWidth: totalWidth, x0: left + x0, y0: y0,
                         clipLeft: left, clipRight: left + dw, scale: scale)
            }
            left += dw + gap
        }
        return try rgbImage(width: totalWidth, height: totalHeight, out, "panel")
    }

    /// Font magnification for a tile height (see `compose`).
    public static func textScale(tileHeight: Int) -> Int { min(4, max(1, tileHeight / 200 + 1)) }

    /// The caption's lines as characters ("\n" and "\r\n" split; at most `maxCaptionLines`).
    static func captionLines(_ caption: String) -> [[Character]] {
        var lines: [[Character]] = [[]]
        for ch in caption {
            if ch.isNewline {
                if lines.count == maxCaptionLines { break }
                lines.append([])
            } else {
                lines[lines.count - 1].append(ch)
            }
        }
        return lines
    }

    /// Draws black text with its top-left at (x0, y0), keeping to columns clipLeft ..< clipRight.
    private static func drawText(_ text: [Character], into out: inout [UInt8], rowWidth: Int, x0: Int, y0: Int,
                                 clipLeft: Int, clipRight: Int, scale: Int) {
        for (i, ch) in text.enumerated() {
            let cx = x0 + i * BitmapFont.cellWidth * scale
            if cx >= clipRight { break }
            for gy in 0..<BitmapFont.glyphHeight {
                for gx in 0..<BitmapFont.glyphWidth where BitmapFont.ink(ch, gx, gy) {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let x = cx + gx * scale + dx, y = y0 + gy * scale + dy
                            guard x >= clipLeft, x < clipRight else { continue }
                            let k = 3 * (y * rowWidth + x)
                            out[k] = 0; out[k + 1] = 0; out[k + 2] = 0
                        }
                    }
                }
            }
        }
    }
}
