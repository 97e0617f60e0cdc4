#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `PixelImage`s as PNG or JPEG (WebP is read-only in cfcam).
///
/// PNG: grey or RGB, 8-bit, or 16-bit when the image is 16-bit. JPEG: TurboJPEG, accurate DCT,
/// 4:4:4 chroma at quality >= 90 (4:2:0 below), one component for grey, 16-bit images scaled to 8 bits.
/// Files are written atomically (`AtomicFile`).
public enum ImageEncoder {
    /// Format from the extension (.png, .jpg/.jpeg); 8-bit PNG or JPEG (quality 1...100, default 95); atomic (AtomicFile).
    public static func write(_ image: PixelImage, path: String, quality: Int = 95) throws {
        let format = try encodableFormat(path)
        let bytes: [UInt8]
        do { bytes = try encode(image, format: format, quality: quality) }
        catch let e as FileError { throw FileError(file: path, e.message) }
        try AtomicFile.write(bytes, to: path)
    }

    /// The encoded file's bytes.
    public static func encode(_ image: PixelImage, format: ImageFormat, quality: Int = 95) throws -> [UInt8] {
        switch format {
        case .png: return try PNGCodec.encode(image)
        case .jpeg: return try JPEGCodec.encode(image, quality: quality)
        case .webp: throw FileError(file: "<webp>", "writing WebP is not supported (write .png or .jpg)")
        }
    }

    /// Throws a clear error if `path` cannot be written (missing or unwritable folder, unsupported extension) — checked before work starts; creates nothing.
    ///
    /// Beyond permission bits (which root ignores), it creates and at once removes a hidden probe
    /// file in the folder, so read-only file systems are caught too; nothing is left behind.
    public static func checkWritable(path: String) throws {
        _ = try encodableFormat(path)
        try AtomicFile.checkWritable(path: path)
    }

    /// The writable format named by `path`'s extension.
    static func encodableFormat(_ path: String) throws -> ImageFormat {
        switch ImageFormat.fromExtension(path) {
        case .png: return .png
        case .jpeg: return .jpeg
        case .webp: throw FileError(file: path, "writing WebP is not supported (use .png, .jpg or .jpeg)")
        case nil: throw FileError(file: path, "unsupported output extension (use .png, .jpg or .jpeg)")
        }
    }
}
