/// An interleaved, row-major image of samples of one type during preprocessing: `UInt8` for 8-bit
/// images (resampled with PIL's integer arithmetic), `Float` for 16-bit ones (values in 0...255).
struct Raster<Sample> {
    var width: Int
    var height: Int
    var channels: Int
    var samples: [Sample]
}

extension Raster where Sample == UInt8 {
    /// The 8-bit samples of an 8-bit image.
    init(eightBit image: PixelImage) {
        self.init(width: image.width, height: image.height, channels: image.channels,
                  samples: image.samples.map { UInt8(truncatingIfNeeded: $0) })
    }

    /// Grey from RGB as PIL's `convert("L")`: `(299 R + 587 G + 114 B) / 1000` in PIL's 16-bit
    /// fixed point (weights 19595, 38470, 7471, rounded); grey to RGB repeats the value.
    func converted(toChannels c: Int) -> Raster<UInt8> {
        if c == channels { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * c)
        if c == 1 {
            for i in 0..<n {
                let r = UInt32(samples[3 * i]), g = UInt32(samples[3 * i + 1]), b = UInt32(samples[3 * i + 2])
                out[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
        } else {
            for i in 0..<n { out[3 * i] = samples[i]; out[3 * i + 1] = samples[i]; out[3 * i + 2] = samples[i] }
        }
        return Raster(width: width, height: height, channels: c, samples: out)
    }
}

extension Raster where Sample == Float {
    /// A 16-bit image's samples mapped to the 8-bit range: `v * 255 / 65535`, not rounded.
    init(sixteenBit image: PixelImage) {
        self.init(width: image.width, height: image.height, channels: image.channels,
                  samples: image.samples.map { Float(Double($0) * 255 / 65535) })
    }

    /// Grey from RGB with the same weights as the 8-bit path (0.299, 0.587, 0.114) in floating
    /// point; grey to RGB repeats the value.
    func converted(toChannels c: Int) -> Raster<Float> {
        if c == channels { return self }
        let n = width * height
        var out = [Float](repeating: 0, count: n * c)
        if c == 1 {
            for i in 0..<n {
                let v = 0.299 * Double(samples[3 * i]) + 0.587 * Double(samples[3 * i + 1]) + 0.114 * Double(samples[3 * i + 2])
                out[i] = Float(v)
            }
        } else {
            for i in 0..<n { out[3 * i] = samples[i]; out[3 * i + 1] = samples[i]; out[3 * i + 2] = samples[i] }
        }
        return Raster(width: width, height: height, channels: c, samples: out)
    }
}
