import Graph

/// N single-channel maps of h x w (row-major), the unit CAM post-processing works on.
public struct MapBatch: Sendable, Equatable {
    public var n: Int, h: Int, w: Int
    public var values: [Float]

    public init(n: Int, h: Int, w: Int, values: [Float]) throws {
        guard n >= 0, h > 0, w > 0, values.count == n * h * w else {
            throw ExplainError("a map batch of \(n) x \(h) x \(w) cannot hold \(values.count) values")
        }
        self.n = n; self.h = h; self.w = w; self.values = values
    }
    init(unchecked n: Int, h: Int, w: Int, values: [Float]) { self.n = n; self.h = h; self.w = w; self.values = values }

    /// From a tensor [N, h, w].
    public init(_ t: Tensor) throws {
        guard t.rank == 3 else { throw ExplainError("maps must be [N, H, W], got \(t.shape)") }
        try self.init(n: t.shape[0], h: t.shape[1], w: t.shape[2], values: try t.floats())
    }

    /// As a tensor [N, h, w].
    public var tensor: Tensor { Tensor(unchecked: [n, h, w], floats: values) }

    public func map(_ b: Int) -> ArraySlice<Float> { values[(b * h * w)..<((b + 1) * h * w)] }

    /// max(x, 0) everywhere.
    public func relu() -> MapBatch {
        MapBatch(unchecked: n, h: h, w: w, values: values.map { $0 > 0 ? $0 : 0 })
    }

    /// Per map: (M − min) / (max − min + δ), pytorch-grad-cam's `scale_cam_image` with δ = 1e-7
    /// (docs/methods.md, "Conventions"). A map whose range is below 1e-12 (or not finite) becomes all zeros.
    public func minmax(delta: Float = 1e-7) -> MapBatch {
        var out = values
        let hw = h * w
        for b in 0..<n {
            var lo = Float.infinity, hi = -Float.infinity
            for i in 0..<hw { let v = values[b * hw + i]; lo = min(lo, v); hi = max(hi, v) }
            let range = hi - lo
            guard range.isFinite, range >= 1e-12 else {
                for i in 0..<hw { out[b * hw + i] = 0 }
                continue
            }
            let scale = 1 / (range + delta)
            for i in 0..<hw { out[b * hw + i] = (values[b * hw + i] - lo) * scale }
        }
        return MapBatch(unchecked: n, h: h, w: w, values: out)
    }

    /// Bilinear resize of every map (see `BilinearResize`).
    public func resized(height: Int, width: Int, alignCorners: Bool = false) -> MapBatch {
        if height == h && width == w { return self }
        var out = [Float](repeating: 0, count: n * height * width)
        let plan = BilinearResize(inH: h, inW: w, outH: height, outW: width, alignCorners: alignCorners)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for b in 0..<n {
                    plan.apply(src, dst, srcOffset: b * h * w, dstOffset: b * height * width)
                }
            }
        }
        return MapBatch(unchecked: n, h: height, w: width, values: out)
    }

    /// Several layers' maps (each already normalised at the input size) combined as pytorch-grad-cam's
    /// `aggregate_multi_layers`: ReLU, mean over layers, minmax. For one layer this is
    /// just the final minmax.
    public static func aggregate(_ layers: [MapBatch]) throws -> MapBatch {
        guard let first = layers.first else { throw ExplainError("no layer maps to aggregate") }
        guard layers.allSatisfy({ $0.n == first.n && $0.h == first.h && $0.w == first.w }) else {
            throw ExplainError("layer maps of different sizes cannot be aggregated")
        }
        var sum = [Float](repeating: 0, count: first.values.count)
        for m in layers { for i in sum.indices { sum[i] += max(m.values[i], 0) } }
        let k = Float(layers.count)
        return MapBatch(unchecked: first.n, h: first.h, w: first.w, values: sum.map { $0 / k }).minmax()
    }
}
