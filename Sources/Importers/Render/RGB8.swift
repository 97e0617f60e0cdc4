extension PixelImage {
    /// The pixels as interleaved 8-bit RGB: grey is replicated to three channels, 16-bit samples are
    /// scaled to 8 bits as `v / 257` rounded to nearest (`(v + 128) / 257`, exact for `v = 257 * k`).
    func rgb8() -> [UInt8] {
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * 3)
        let wide = depth == 16
        samples.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    for c in 0..<3 {
                        let v = Int(s[channels == 3 ? 3 * i + c : i])
                        o[3 * i + c] = UInt8(truncatingIfNeeded: wide ? (v + 128) / 257 : v)
                    }
                }
            }
        }
        return out
    }
}

/// An 8-bit RGB image from interleaved bytes whose count is already known to be right.
func rgbImage(width: Int, height: Int, _ bytes: [UInt8], _ context: String) throws -> PixelImage {
    do { return try PixelImage(width: width, height: height, channels: 3, bytes: bytes) } catch {
        throw RenderError(context, "\(error)")
    }
}
