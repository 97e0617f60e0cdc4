import Graph

/// A 4-D layer value [N, K, h, w] (activation or gradient) with its float values.
public struct FeatureMap: Sendable {
    public let n: Int, k: Int, h: Int, w: Int
    public let values: [Float]
    public var hw: Int { h * w }

    /// Throws unless `t` is a float tensor [N, K, h, w] (the layer a CAM reads must be spatial).
    public init(_ t: Tensor, name: String) throws {
        guard t.rank == 4, t.count > 0 else {
            throw ExplainError("layer '\(name)' has shape \(t.shape); CAM methods need a 4-D feature map [N, K, h, w]")
        }
        n = t.shape[0]; k = t.shape[1]; h = t.shape[2]; w = t.shape[3]
        values = try t.floats()
    }
    public init(n: Int, k: Int, h: Int, w: Int, values: [Float]) throws {
        guard n > 0, k > 0, h > 0, w > 0, values.count == n * k * h * w else {
            throw ExplainError("a feature map of \(n) x \(k) x \(h) x \(w) cannot hold \(values.count) values")
        }
        self.n = n; self.k = k; self.h = h; self.w = w; self.values = values
    }

    /// Channel k of image b.
    public func channel(_ b: Int, _ c: Int) -> ArraySlice<Float> {
        let o = (b * k + c) * hw
        return values[o..<(o + hw)]
    }

    /// Σ_k weights[b, k] · A[b, k] for every image: [N, h, w].
    public func weightedSum(_ weights: [Float]) throws -> MapBatch {
        guard weights.count == n * k else { throw ExplainError("\(weights.count) channel weights for \(n) x \(k) channels") }
        var out = [Float](repeating: 0, count: n * hw)
        values.withUnsafeBufferPointer { a in
            for b in 0..<n {
                for c in 0..<k {
                    let wt = weights[b * k + c]
                    if wt == 0 { continue }
                    let src = (b * k + c) * hw, dst = b * hw
                    for i in 0..<hw { out[dst + i] += wt * a[src + i] }
                }
            }
        }
        return MapBatch(unchecked: n, h: h, w: w, values: out)
    }

    /// Per-pixel Σ_k f(A, G) for two maps of the same shape: [N, h, w].
    public func pixelSum(with other: FeatureMap, _ f: (Float, Float) -> Float) throws -> MapBatch {
        guard other.n == n, other.k == k, other.h == h, other.w == w else {
            throw ExplainError("feature maps [\(n), \(k), \(h), \(w)] and [\(other.n), \(other.k), \(other.h), \(other.w)] differ")
        }
        var out = [Float](repeating: 0, count: n * hw)
        for b in 0..<n {
            for c in 0..<k {
                let o = (b * k + c) * hw
                for i in 0..<hw { out[b * hw + i] += f(values[o + i], other.values[o + i]) }
            }
        }
        return MapBatch(unchecked: n, h: h, w: w, values: out)
    }

    /// Per image and channel: Σ over the spatial positions of f(A, G) → [N * K].
    public func channelSum(with other: FeatureMap, _ f: (Float, Float, Int) -> Float) throws -> [Float] {
        guard other.n == n, other.k == k, other.h == h, other.w == w else {
            throw ExplainError("feature maps [\(n), \(k), \(h), \(w)] and [\(other.n), \(other.k), \(other.h), \(other.w)] differ")
        }
        var out = [Float](repeating: 0, count: n * k)
        for bc in 0..<(n * k) {
            var s: Float = 0
            let o = bc * hw
            for i in 0..<hw { s += f(values[o + i], other.values[o + i], bc) }
            out[bc] = s
        }
        return out
    }

    /// Spatial sum of each channel: [N * K].
    public func channelTotals() -> [Float] {
        (0..<(n * k)).map { bc in values[(bc * hw)..<((bc + 1) * hw)].reduce(0, +) }
    }
}
