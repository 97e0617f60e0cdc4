import Graph

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
