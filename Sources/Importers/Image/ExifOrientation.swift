/// The EXIF orientation tag of a JPEG, and turning pixels upright by it.
///
/// Reading: the first APP1 segment that starts with "Exif\0\0" before the image data (SOS),
/// its TIFF header in either byte order ("II" little-endian, "MM" big-endian), IFD0's tag 0x0112
/// (SHORT, or LONG as some writers use). Every offset is checked against the segment's length, so
/// hostile data yields "no orientation" rather than a crash. Values outside 1...8 count as 1.
///
/// Applying: the same transposes as PIL's `ImageOps.exif_transpose`:
/// 2 mirror left-right, 3 rotate 180°, 4 mirror top-bottom, 5 transpose, 6 rotate 90° clockwise,
/// 7 transverse, 8 rotate 90° counter-clockwise.
enum ExifOrientation {
    /// The orientation (1...8) stored in `jpeg`, 1 when none.
    static func read(jpeg b: [UInt8]) -> Int {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return 1 }
        var pos = 2
        while pos + 4 <= b.count {
            guard b[pos] == 0xFF else { return 1 }
            let marker = b[pos + 1]
            if marker == 0xFF { pos += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { pos += 2; continue }  // no length
            if marker == 0xDA || marker == 0xD9 { return 1 }  // image data / end: no EXIF before it
            let length = Int(b[pos + 2]) << 8 | Int(b[pos + 3])
            guard length >= 2, pos + 2 + length <= b.count else { return 1 }
            let start = pos + 4, end = pos + 2 + length
            if marker == 0xE1, end - start >= 6, Array(b[start..<start + 6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {
                return tiffOrientation(Array(b[start + 6..<end])) ?? 1
            }
            pos = end
        }
        return 1
    }

    /// Tag 0x0112 of IFD0 in a TIFF structure, or nil.
    static func tiffOrientation(_ t: [UInt8]) -> Int? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        if t[0] == 0x49, t[1] == 0x49 { little = true } else if t[0] == 0x4D, t[1] == 0x4D { little = false } else { return nil }
        func u16(_ i: Int) -> Int? {
            guard i >= 0, i + 2 <= t.count else { return nil }
            return little ? Int(t[i]) | Int(t[i + 1]) << 8 : Int(t[i]) << 8 | Int(t[i + 1])
        }
        func u32(_ i: Int) -> Int? {
            guard let a = u16(i), let b = u16(i + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for k in 0..<count {
            let e = ifd + 2 + 12 * k
            guard e + 12 <= t.count, let tag = u16(e), let type = u16(e + 2) else { return nil }
            guard tag == 0x0112 else { continue }
            let value: Int?
            switch type {
            case 3: value = u16(e + 8)
            case 4: value = u32(e + 8)
            default: value = nil
            }
            guard let v = value, (1...8).contains(v) else { return nil }
            return v
        }
        return nil
    }

    /// `image` turned upright by `orientation` (1 or out of range: unchanged).
    static func apply(_ orientation: Int, to image: PixelImage) -> PixelImage {
        guard (2...8).contains(orientation) else { return image }
        let w = image.width, h = image.height, c = image.channels
        let swaps = orientation >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        // Source (x, y) of output pixel (x, y).
        let source: (Int, Int) -> (Int, Int)
        switch orientation {
        case 2: source = { x, y in (w - 1 - x, y) }
        case 3: source = { x, y in (w - 1 - x, h - 1 - y) }
        case 4: source = { x, y in (x, h - 1 - y) }
        case 5: source = { x, y in (y, x) }
        case 6: source = { x, y in (y, h - 1 - x) }
        case 7: source = { x, y in (w - 1 - y, h - 1 - x) }
        default: source = { x, y in (w - 1 - y, x) }
        }
        var out = [UInt16](repeating: 0, count: image.samples.count)
        for y in 0..<oh {
            for x in 0..<ow {
                let (sx, sy) = source(x, y)
                let s = (sy * w + sx) * c, d = (y * ow + x) * c
                for k in 0..<c { out[d + k] = image.samples[s + k] }
            }
        }
        // Same sample count, positive sizes, same channels and depth: the initialiser cannot fail.
        return (try? PixelImage(width: ow, height: oh, channels: c, depth: image.depth, samples: out)) ?? image
    }
}
