/// Where the model input came from in the original image: the size after the resize and the
/// centre-crop window in resized coordinates (negative offsets, or a window past the far edge, where
/// the crop padded the image).
public struct PreprocessGeometry: Sendable, Equatable {
    public let originalWidth: Int, originalHeight: Int
    public let resizedWidth: Int, resizedHeight: Int
    public let cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int

    public init(originalWidth: Int, originalHeight: Int, resizedWidth: Int, resizedHeight: Int,
                cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int) {
        self.originalWidth = originalWidth; self.originalHeight = originalHeight
        self.resizedWidth = resizedWidth; self.resizedHeight = resizedHeight
        self.cropX = cropX; self.cropY = cropY; self.cropWidth = cropWidth; self.cropHeight = cropHeight
    }

    /// A map over the model input (`width` x `height`, normally the crop size; a coarser map such as
    /// a 7x7 CAM works too) drawn onto the original image. The map is stretched bilinearly over the
    /// crop window (half-pixel centres, edge values repeated: cv2.resize's INTER_LINEAR), and the
    /// window is placed in the original image through the resize. Both steps are applied as one
    /// coordinate mapping: each original pixel centre is carried into resized, then crop, then map
    /// coordinates and the map is sampled there once, so a constant map stays constant. Original
    /// pixels whose centre falls outside the crop window (what the model did not see) are 0.
    /// Returns `originalWidth * originalHeight` values, row-major; all zeros when `values` does not
    /// hold `width * height` values.
    public func mapToOriginal(_ values: [Float], width: Int, height: Int) -> [Float] {
        var out = [Float](repeating: 0, count: originalWidth * originalHeight)
        guard width > 0, height > 0, values.count == width * height else { return out }
        let xs = axis(original: originalWidth, resized: resizedWidth, offset: cropX, window: cropWidth, map: width)
        let ys = axis(original: originalHeight, resized: resizedHeight, offset: cropY, window: cropHeight, map: height)
        for (y, sy) in ys.enumerated() {
            guard let sy else { continue }
            for (x, sx) in xs.enumerated() {
                guard let sx else { continue }
                let top = values[sy.i0 * width + sx.i0] * (1 - sx.f) + values[sy.i0 * width + sx.i1] * sx.f
                let bottom = values[sy.i1 * width + sx.i0] * (1 - sx.f) + values[sy.i1 * width + sx.i1] * sx.f
                out[y * originalWidth + x] = top * (1 - sy.f) + bottom * sy.f
            }
        }
        return out
    }

    /// The region of the original image the model saw (x, y, width, height), clipped to the image:
    /// the pixels `mapToOriginal` fills.
    public var seenRect: (x: Int, y: Int, width: Int, height: Int) {
        let xs = axis(original: originalWidth, resized: resizedWidth, offset: cropX, window: cropWidth, map: 1)
        let ys = axis(original: originalHeight, resized: resizedHeight, offset: cropY, window: cropHeight, map: 1)
        func span(_ a: [Sample?]) -> (Int, Int) {
            guard let first = a.firstIndex(where: { $0 != nil }), let last = a.lastIndex(where: { $0 != nil }) else { return (0, 0) }
            return (first, last - first + 1)
        }
        let (x, w) = span(xs), (y, h) = span(ys)
        return (x, y, w, h)
    }

    /// Bilinear sample position along one axis: two map indices and the weight of the second.
    struct Sample: Equatable { let i0: Int, i1: Int, f: Float }

    /// For each original pixel along one axis, where it samples the map (nil: outside the window).
    private func axis(original: Int, resized: Int, offset: Int, window: Int, map: Int) -> [Sample?] {
        guard original > 0, resized > 0, window > 0 else { return [Sample?](repeating: nil, count: max(original, 0)) }
        return (0..<original).map { i -> Sample? in
            // Position in resized coordinates (pixel edges at integers), then in the crop window.
            let r = (Double(i) + 0.5) * Double(resized) / Double(original) - Double(offset)
            guard r >= 0, r < Double(window) else { return nil }
            let m = r * Double(map) / Double(window) - 0.5
            var i0 = Int(m.rounded(.down)), f = m - Double(i0)
            if i0 < 0 { i0 = 0; f = 0 }
            if i0 >= map - 1 { i0 = map - 1; f = 0 }
            return Sample(i0: i0, i1: min(i0 + 1, map - 1), f: Float(f))
        }
    }
}
