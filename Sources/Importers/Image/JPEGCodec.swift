import CTurboJPEG

/// JPEG through libjpeg-turbo's TurboJPEG API.
///
/// Decoding uses the accurate integer DCT and libjpeg's default (fancy) chroma upsampling, the
/// settings PIL decodes with, so results match PIL up to the library version. Grey JPEGs give one
/// channel, YCbCr/RGB ones three. CMYK and YCCK JPEGs are refused with an error (no colour
/// conversion is guessed for them). The EXIF orientation (see `ExifOrientation`) is applied to
/// the pixels, as PIL's `ImageOps.exif_transpose` does.
///
/// libjpeg warnings are errors (a truncated file, a cut table or scan: the pixels would be partly
/// invented), except "N extraneous bytes before marker", which real cameras write and which
/// loses no image data (PIL tolerates it too). TurboJPEG reports only the first warning.
enum JPEGCodec {
    static func decode(_ bytes: [UInt8], name: String, maxPixels: Int) throws -> PixelImage {
        guard let tj = tjInitDecompress() else { throw FileError(file: name, "cannot start the JPEG decoder") }
        defer { tjDestroy(tj) }
        var w: Int32 = 0, h: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let hr = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(tj, $0.baseAddress, UInt($0.count), &w, &h, &subsamp, &colorspace)
        }
        guard hr == 0 else { throw FileError(file: name, "not a readable JPEG: \(errorText(tj))") }
        if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
            throw FileError(file: name, "CMYK JPEGs are not supported; convert the image to RGB first")
        }
        let width = Int(w), height = Int(h)
        try ImageDecoder.checkSize(width: width, height: height, name: name, limit: maxPixels)
        let grey = colorspace == Int32(TJCS_GRAY.rawValue)
        let channels = grey ? 1 : 3
        let format = grey ? TJPF_GRAY : TJPF_RGB
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let r = bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(tj, src.baseAddress, UInt(src.count), dst.baseAddress, w, w * Int32(channels), h,
                              Int32(format.rawValue), TJFLAG_ACCURATEDCT)
            }
        }
        if r != 0 {
            let text = errorText(tj)
            let warningOnly = tjGetErrorCode(tj) == Int32(TJERR_WARNING.rawValue)
            if !warningOnly || !text.contains("extraneous bytes") {
                throw FileError(file: name, "JPEG decoding failed: \(text)")
            }
        }
        let image: PixelImage
        do { image = try PixelImage(width: width, height: height, channels: channels, bytes: out) }
        catch { throw FileError(file: name, "\(error)") }
        return ExifOrientation.apply(ExifOrientation.read(jpeg: bytes), to: image)
    }

    /// Baseline JPEG with the accurate DCT; grey images as one-component JPEGs. Colour: no chroma
    /// subsampling (4:4:4) at quality 90 and above, so the sharp colour edges of heatmap overlays
    /// survive; 4:2:0 below (PIL's default). 16-bit images are scaled to 8 bits first (round(v/257)).
    static func encode(_ image: PixelImage, quality: Int) throws -> [UInt8] {
        guard (1...100).contains(quality) else { throw FileError(file: "<jpeg>", "JPEG quality must be in 1...100, got \(quality)") }
        guard let tj = tjInitCompress() else { throw FileError(file: "<jpeg>", "cannot start the JPEG encoder") }
        defer { tjDestroy(tj) }
        let bytes = image.depth == 8 ? image.samples.map { UInt8(truncatingIfNeeded: $0) }
                                     : image.samples.map { UInt8((UInt32($0) + 128) / 257) }
        let grey = image.channels == 1
        var jpeg: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let r = bytes.withUnsafeBufferPointer {
            tjCompress2(tj, $0.baseAddress, Int32(image.width), Int32(image.width * image.channels), Int32(image.height),
                        Int32((grey ? TJPF_GRAY : TJPF_RGB).rawValue), &jpeg, &size,
                        Int32((grey ? TJSAMP_GRAY : quality >= 90 ? TJSAMP_444 : TJSAMP_420).rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
        }
        defer { if let jpeg { tjFree(jpeg) } }
        guard r == 0, let jpeg else { throw FileError(file: "<jpeg>", "JPEG encoding failed: \(errorText(tj))") }
        return Array(UnsafeBufferPointer(start: jpeg, count: Int(size)))
    }

    private static func errorText(_ tj: tjhandle) -> String {
        guard let s = tjGetErrorStr2(tj) else { return "unknown TurboJPEG error" }
        return String(cString: s)
    }
}
