import CWebP

/// WebP (lossy or lossless, still images) through libwebp's simple decoding API, to 8-bit RGB:
/// an alpha channel is dropped (not blended), as for PNG. Animated WebPs are refused.
enum WebPCodec {
    static func decode(_ bytes: [UInt8], name: String, maxPixels: Int) throws -> PixelImage {
        var features = WebPBitstreamFeatures()
        let status = bytes.withUnsafeBufferPointer { WebPGetFeatures($0.baseAddress, $0.count, &features) }
        guard status == VP8_STATUS_OK else { throw FileError(file: name, "not a readable WebP: \(text(status))") }
        guard features.has_animation == 0 else { throw FileError(file: name, "animated WebP images are not supported") }
        let w = Int(features.width), h = Int(features.height)
        try ImageDecoder.checkSize(width: w, height: h, name: name, limit: maxPixels)
        var out = [UInt8](repeating: 0, count: w * h * 3)
        let r = bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                WebPDecodeRGBInto(src.baseAddress, src.count, dst.baseAddress, dst.count, Int32(w * 3))
            }
        }
        guard r != nil else { throw FileError(file: name, "WebP decoding failed (corrupt or truncated data)") }
        do { return try PixelImage(width: w, height: h, channels: 3, bytes: out) }
        catch { throw FileError(file: name, "\(error)") }
    }

    private static func text(_ s: VP8StatusCode) -> String {
        switch s {
        case VP8_STATUS_OUT_OF_MEMORY: return "out of memory"
        case VP8_STATUS_INVALID_PARAM: return "invalid parameter"
        case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error"
        case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature"
        case VP8_STATUS_SUSPENDED: return "decoding suspended"
        case VP8_STATUS_USER_ABORT: return "aborted"
        case VP8_STATUS_NOT_ENOUGH_DATA: return "file is truncated (not enough data)"
        default: return "status \(s.rawValue)"
        }
    }
}
