import Graph

/// Turns a decoded image into a model input tensor following a `PreprocessSpec`.
///
/// Order: channel conversion (to the model's channel count), resize, centre crop (zero padding
/// where the crop is larger), then per channel `((v / scale) - mean) / std`, with the channels
/// reversed first when `bgr` is set. 8-bit images go through PIL-exact integer resampling, so the
/// result matches torchvision's `Resize` + `CenterCrop` + `ToTensor` + `Normalize` on a PIL image;
/// 16-bit images are mapped to 0...255 floats (`v * 255 / 65535`) and resampled in floating point.
public enum Preprocessor {
    /// Image -> tensor [1, channels, H, W] float32 (NCHW, always; the caller converts layouts).
    ///
    /// `channels` is the model's (1 or 3): RGB becomes grey with PIL's "L" weights (299, 587, 114
    /// per mille), grey becomes RGB by repeating it. `height` / `width` are the model's fixed input
    /// size (nil: free); when the spec does not produce exactly that size the error says what the
    /// spec gives and what the model wants. `mean` and `std` need 1 value or `channels` values.
    public static func apply(_ image: PixelImage, spec: PreprocessSpec, channels: Int, height: Int?,
                             width: Int?) throws -> (tensor: Tensor, geometry: PreprocessGeometry) {
        guard channels == 1 || channels == 3 else {
            throw PreprocessError("the model's input has \(channels) channels; images give 1 (grey) or 3 (RGB)")
        }
        if let p = spec.problem() { throw PreprocessError("preprocessing: \(p)") }
        for (name, v) in [("mean", spec.mean), ("std", spec.std)] where v.count != 1 && v.count != channels {
            throw PreprocessError("preprocessing: \(name) has \(v.count) values but the model's input has \(channels) channel\(channels == 1 ? "" : "s"); give 1 or \(channels) (--\(name))")
        }
        let geometry = try plan(image, spec: spec, height: height, width: width)
        let tensor: Tensor
        if image.depth == 8 {
            let r = Resampler.resize(Raster(eightBit: image).converted(toChannels: channels),
                                     width: geometry.resizedWidth, height: geometry.resizedHeight, filter: spec.interpolation)
            tensor = normalise(r, geometry: geometry, spec: spec) { Float($0) }
        } else {
            let r = Resampler.resize(Raster(sixteenBit: image).converted(toChannels: channels),
                                     width: geometry.resizedWidth, height: geometry.resizedHeight, filter: spec.interpolation)
            tensor = normalise(r, geometry: geometry, spec: spec) { $0 }
        }
        return (tensor, geometry)
    }

    /// The resize and crop the spec makes of this image, checked against the model's fixed size.
    static func plan(_ image: PixelImage, spec: PreprocessSpec, height: Int?, width: Int?) throws -> PreprocessGeometry {
        let (rh, rw) = spec.resize?.resized(width: image.width, height: image.height) ?? (image.height, image.width)
        guard rh > 0, rw > 0, rh <= ImageSize.maxSide, rw <= ImageSize.maxSide else {
            throw PreprocessError("preprocessing: resizing \(image.width)x\(image.height) (WxH) gives \(rw)x\(rh), out of range (1...\(ImageSize.maxSide))")
        }
        let (ch, cw) = spec.crop?.cropSize ?? (rh, rw)
        let g = PreprocessGeometry(originalWidth: image.width, originalHeight: image.height, resizedWidth: rw, resizedHeight: rh,
                                   cropX: cropOffset(size: rw, crop: cw), cropY: cropOffset(size: rh, crop: ch),
                                   cropWidth: cw, cropHeight: ch)
        if (height != nil && height != ch) || (width != nil && width != cw) {
            let want = "\(height.map(String.init) ?? "any")x\(width.map(String.init) ?? "any")"
            throw PreprocessError("preprocessing gives a \(ch)x\(cw) (HxW) input for this \(image.height)x\(image.width) image (resize \(describe(spec.resize)), crop \(describe(spec.crop))), but the model wants \(want); set --resize / --crop (or a preset) to produce \(want)")
        }
        return g
    }

    /// torchvision CenterCrop's offset: `int(round((size - crop) / 2))` (ties to even, as Python's
    /// round); when the crop is larger the image is padded by `(crop - size) // 2` before it, so the
    /// offset is minus that.
    static func cropOffset(size: Int, crop: Int) -> Int {
        if crop > size { return -((crop - size) / 2) }
        return Int((Double(size - crop) / 2).rounded(.toNearestOrEven))
    }

    private static func describe(_ s: ImageSize?) -> String {
        switch s {
        case nil: return "none"
        case .shortSide(let n)?: return "\(n)"
        case .exact(let h, let w)?: return "\(h)x\(w)"
        }
    }

    /// Crops the resized raster into an NCHW tensor and normalises it.
    private static func normalise<S>(_ r: Raster<S>, geometry g: PreprocessGeometry, spec: PreprocessSpec,
                                     value: (S) -> Float) -> Tensor {
        let c = r.channels, h = g.cropHeight, w = g.cropWidth
        var out = [Float](repeating: 0, count: c * h * w)
        for oc in 0..<c {
            let src = spec.bgr ? c - 1 - oc : oc
            let mean = spec.mean.count == 1 ? spec.mean[0] : spec.mean[oc]
            let std = spec.std.count == 1 ? spec.std[0] : spec.std[oc]
            for y in 0..<h {
                let sy = y + g.cropY
                for x in 0..<w {
                    let sx = x + g.cropX
                    var v: Float = 0
                    if sy >= 0, sy < r.height, sx >= 0, sx < r.width { v = value(r.samples[(sy * r.width + sx) * c + src]) }
                    out[(oc * h + y) * w + x] = (v / spec.scale - mean) / std
                }
            }
        }
        return Tensor(unchecked: [1, c, h, w], floats: out)
    }
}
