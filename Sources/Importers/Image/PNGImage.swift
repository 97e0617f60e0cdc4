import CPNG
import Graph

/// An 8-bit RGB image read with libpng's simplified API (any PNG: palette, grey, alpha, 16-bit
/// are converted to RGB; alpha is composited on black).
public struct RGBImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major, interleaved R, G, B.
    public let pixels: [UInt8]

    /// Reads a PNG file; errors name the file and what libpng reported.
    public static func readPNG(path: String) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw GraphError.inFile(path: path, underlying: .invalidGraph("not a readable PNG: \(message(of: image))"))
        }
        defer { png_image_free(&image) }
        image.format = UInt32(PNG_FORMAT_RGB)
        let w = Int(image.width), h = Int(image.height)
        guard w > 0, h > 0, w <= 1 << 15, h <= 1 << 15 else {
            throw GraphError.inFile(path: path, underlying: .invalidShape("image size \(w)x\(h) is out of range (1...32768)"))
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        let ok = pixels.withUnsafeMutableBytes { buf in
            png_image_finish_read(&image, nil, buf.baseAddress, Int32(w * 3), nil)
        }
        guard ok != 0 else {
            throw GraphError.inFile(path: path, underlying: .invalidGraph("PNG decoding failed: \(message(of: image))"))
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    private static func message(of image: png_image) -> String {
        var m = image.message
        return withUnsafeBytes(of: &m) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width; self.height = height; self.pixels = pixels
    }
}
