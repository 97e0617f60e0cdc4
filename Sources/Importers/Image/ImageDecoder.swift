/// Reads PNG, JPEG and WebP files into `PixelImage`s. The format comes from the file's first
/// bytes, not its name. Every failure (unknown format, truncated or corrupt data, an image
/// larger than `maxPixels`) is a thrown `FileError` naming the file; nothing crashes on hostile
/// input. Per-format choices are documented on `PNGCodec`, `JPEGCodec` and `WebPCodec`.
public enum ImageDecoder {
    /// Largest accepted `width * height`. Checked from the header, before pixel memory is allocated.
    nonisolated(unsafe) public static var maxPixels: Int = 100_000_000

    /// Reads and decodes the image at `path` (format sniffed from its bytes).
    public static func read(path: String) throws -> PixelImage {
        let bytes: [UInt8]
        do { bytes = try readFile(path) } catch let e as NPZError { throw FileError(file: path, e.message) }
        return try decode(bytes, name: path)
    }

    /// Decodes an image held in memory; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> PixelImage {
        let limit = maxPixels
        switch ImageFormat.sniff(bytes) {
        case .png: return try PNGCodec.decode(bytes, name: name, maxPixels: limit)
        case .jpeg: return try JPEGCodec.decode(bytes, name: name, maxPixels: limit)
        case .webp: return try WebPCodec.decode(bytes, name: name, maxPixels: limit)
        case nil:
            if bytes.isEmpty { throw FileError(file: name, "file is empty (supported image formats: \(ImageFormat.extensionList))") }
            throw FileError(file: name, "unknown image format (supported: \(ImageFormat.extensionList))")
        }
    }

    /// Whether `path` has an image extension (png, jpg, jpeg, webp; case-insensitive).
    public static func isImagePath(_ path: String) -> Bool { ImageFormat.fromExtension(path) != nil }

    /// Refuses sizes that are not positive or whose pixel count exceeds `limit`.
    static func checkSize(width: Int, height: Int, name: String, limit: Int) throws {
        guard width > 0, height > 0 else { throw FileError(file: name, "image size \(width)x\(height) is not positive") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= limit else {
            let count = overflow ? "more than \(Int.max)" : "\(pixels)"
            throw FileError(file: name, "image is \(width)x\(height) (\(count) pixels), over the limit of \(limit) pixels (ImageDecoder.maxPixels)")
        }
    }
}
