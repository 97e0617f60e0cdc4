import CPNGCodec

/// PNG through libpng's low-level API (the C side is Sources/CPNGCodec, which keeps libpng's
/// setjmp/longjmp error handling in C and hands back messages).
///
/// Decoding: grey, grey+alpha, RGB, RGBA and palette images, 1 to 16 bits. Palettes become RGB,
/// 1/2/4-bit grey is scaled to 8 bits (as libpng and PIL do: 1-bit 0/255, 2-bit x85, 4-bit x17),
/// alpha and tRNS transparency are dropped (not blended), 16-bit samples stay 16-bit, and no
/// gamma conversion is applied whatever gAMA / sRGB / iCCP say.
enum PNGCodec {
    static func decode(_ bytes: [UInt8], name: String, maxPixels: Int) throws -> PixelImage {
        var info = cpng_info()
        let ok = bytes.withUnsafeBufferPointer { cpng_read_info($0.baseAddress, $0.count, &info) }
        guard ok == 0 else { throw FileError(file: name, "not a readable PNG: \(message(&info))") }
        let w = Int(info.width), h = Int(info.height), c = Int(info.channels), depth = Int(info.depth)
        try ImageDecoder.checkSize(width: w, height: h, name: name, limit: maxPixels)
        let count = w * h * c
        let samples: [UInt16]
        if depth == 8 {
            var out = [UInt8](repeating: 0, count: count)
            let r = bytes.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBytes { cpng_decode(src.baseAddress, src.count, &info, $0.baseAddress, $0.count) }
            }
            guard r == 0 else { throw FileError(file: name, "PNG decoding failed: \(message(&info))") }
            samples = out.map(UInt16.init)
        } else {
            var out = [UInt16](repeating: 0, count: count)
            let r = bytes.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBytes { cpng_decode(src.baseAddress, src.count, &info, $0.baseAddress, $0.count) }
            }
            guard r == 0 else { throw FileError(file: name, "PNG decoding failed: \(message(&info))") }
            samples = out
        }
        do { return try PixelImage(width: w, height: h, channels: c, depth: depth, samples: samples) }
        catch { throw FileError(file: name, "\(error)") }
    }

    /// 8-bit (depth 8) or 16-bit (depth 16) grey or RGB PNG, default zlib level, no interlace.
    static func encode(_ image: PixelImage) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var msg = [CChar](repeating: 0, count: 256)
        let r: Int32
        if image.depth == 8 {
            let bytes = image.samples.map { UInt8(truncatingIfNeeded: $0) }
            r = bytes.withUnsafeBytes { cpng_encode($0.baseAddress, UInt32(image.width), UInt32(image.height),
                                                    Int32(image.channels), 8, &out, &size, &msg) }
        } else {
            r = image.samples.withUnsafeBytes { cpng_encode($0.baseAddress, UInt32(image.width), UInt32(image.height),
                                                          Int32(image.channels), 16, &out, &size, &msg) }
        }
        defer { cpng_free(out) }
        guard r == 0, let out else {
            throw FileError(file: "<png>", "PNG encoding failed: \(String(decoding: msg.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    private static func message(_ info: inout cpng_info) -> String {
        withUnsafeBytes(of: &info.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
