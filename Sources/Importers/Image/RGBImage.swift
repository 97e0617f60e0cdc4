/// An 8-bit RGB image: what `ImagePreprocessing` consumes.
public struct RGBImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major, interleaved R, G, B.
    public let pixels: [UInt8]

    /// Reads an image file (PNG, JPEG or WebP, despite the name: kept for existing callers) through
    /// `ImageDecoder`; errors name the file.
    public static func readPNG(path: String) throws -> RGBImage {
        RGBImage(try ImageDecoder.read(path: path))
    }

    /// 8-bit RGB from any `PixelImage`: grey is replicated to R, G and B; 16-bit samples become
    /// round(v / 257).
    public init(_ image: PixelImage) {
        let eight: [UInt8] = image.depth == 8 ? image.samples.map { UInt8(truncatingIfNeeded: $0) }
                                              : image.samples.map { UInt8((UInt32($0) + 128) / 257) }
        if image.channels == 3 {
            pixels = eight
        } else {
            var rgb = [UInt8](repeating: 0, count: eight.count * 3)
            for (i, v) in eight.enumerated() { rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v }
            pixels = rgb
        }
        width = image.width; height = image.height
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width; self.height = height; self.pixels = pixels
    }
}
