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

/// Turns an image into a model input: bilinear resize (half-pixel centres, as
/// `torch.nn.functional.interpolate(align_corners=False)`), scale to [0, 1], then per-channel
/// `(x - mean) / std` (ImageNet statistics by default). Result: [1, 3, height, width] float32.
public struct ImagePreprocessing: Sendable {
    public var height: Int
    public var width: Int
    public var mean: [Float] = [0.485, 0.456, 0.406]
    public var std: [Float] = [0.229, 0.224, 0.225]

    public init(height: Int = 224, width: Int = 224) { self.height = height; self.width = width }

    public func tensor(from img: RGBImage) -> Tensor {
        let h = height, w = width
        var out = [Float](repeating: 0, count: 3 * h * w)
        let sy = Float(img.height) / Float(h), sx = Float(img.width) / Float(w)
        for y in 0..<h {
            let fy = max(0, (Float(y) + 0.5) * sy - 0.5)
            let y0 = min(Int(fy), img.height - 1), y1 = min(y0 + 1, img.height - 1), wy = fy - Float(y0)
            for x in 0..<w {
                let fx = max(0, (Float(x) + 0.5) * sx - 0.5)
                let x0 = min(Int(fx), img.width - 1), x1 = min(x0 + 1, img.width - 1), wx = fx - Float(x0)
                for c in 0..<3 {
                    func p(_ yy: Int, _ xx: Int) -> Float { Float(img.pixels[(yy * img.width + xx) * 3 + c]) }
                    let top = p(y0, x0) * (1 - wx) + p(y0, x1) * wx
                    let bottom = p(y1, x0) * (1 - wx) + p(y1, x1) * wx
                    let v = (top * (1 - wy) + bottom * wy) / 255
                    out[(c * h + y) * w + x] = (v - mean[c]) / std[c]
                }
            }
        }
        return Tensor(unchecked: [1, 3, h, w], floats: out)
    }
}
