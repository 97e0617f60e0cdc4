import Graph

/// SmoothGrad (Smilkov et al. 2017) as Captum's `NoiseTunnel`: the attribution averaged over
/// `samples` noisy copies x + ε, ε ~ N(0, σ²), each copy scored with its image's target.
///
/// A wrapper: `SmoothGrad(base:)` wraps any `InputAttribution`, and `SmoothGrad.run` wraps any
/// batched method given as a closure (a CAM method returning [M, h, w] maps, for example).
///
/// Defaults are Captum's: 5 samples, σ = 1.0 in input units (`stdevs` is absolute in Captum, not
/// relative to the input range), nt_type "smoothgrad". `.relative(level)` gives the paper's and
/// zennit's σ = level · (max − min) of each image. `kind` selects Captum's smoothgrad_sq and vargrad.
/// Sample s draws its noise from `SeededRandom(seed: seed + s · 0x9E3779B97F4A7C15)` (rows in order),
/// so the result does not depend on the batch size; its stream differs from torch's, so reproducing a
/// Captum run exactly needs its noise (`.given`).
public struct SmoothGrad: InputAttribution {
    /// The standard deviation of the noise.
    public enum Noise: Sendable, Equatable {
        /// σ in input units (Captum's `stdevs`).
        case absolute(Float)
        /// σ = level · (max − min of the image's values) (the paper, zennit's `noise_level`).
        case relative(Float)
        /// Replayed noise [M · samples, ...]: the noise of row m, sample s at index m · samples + s
        /// (Captum's repeat_interleave order).
        case given(Tensor)
    }
    /// Captum's `nt_type`.
    public enum Kind: String, Sendable, CaseIterable {
        /// E[a] (`smoothgrad`).
        case smoothgrad
        /// E[a²] (`smoothgrad_sq`).
        case squared = "smoothgrad_sq"
        /// E[a²] − E[a]² (`vargrad`).
        case vargrad
    }

    public var name: String { "smoothgrad" }
    public var base: any InputAttribution
    public var samples: Int
    public var noise: Noise
    public var kind: Kind
    public var seed: UInt64
    public var mapping: AttributionMapping { base.mapping }

    public init(base: any InputAttribution = Saliency(), samples: Int = 5, noise: Noise = .absolute(1),
                kind: Kind = .smoothgrad, seed: UInt64 = 0) {
        self.base = base; self.samples = samples; self.noise = noise; self.kind = kind; self.seed = seed
    }

    public func attribute(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching) throws -> Tensor {
        let (n, _) = try checkRows(x, rows)
        let inner = Batching(size: batching.size)
        return try SmoothGrad.run(x, images: rows.images, samples: samples, noise: noise, kind: kind, seed: seed,
                                  samplesPerCall: max(1, batching.size / n), progress: batching.progress) { xs, imgs in
            try base.attribute(xs, rows: rows.with(images: imgs), model: model, batching: inner)
        }
    }

    /// The noise tunnel around any batched method `attribute(rows, images) -> [rows, ...]`.
    /// `samplesPerCall` samples of every row go to one call (rows ordered m · k + s as Captum's
    /// repeat_interleave); `progress` gets (samples done, samples).
    public static func run(_ x: Tensor, images: [Int], samples: Int, noise: Noise, kind: Kind = .smoothgrad,
                           seed: UInt64 = 0, samplesPerCall: Int = 1, progress: ProgressHandler? = nil,
                           attribute: (Tensor, [Int]) throws -> Tensor) throws -> Tensor {
        let (n, row) = try BatchRows.shape(of: x, method: "smoothgrad")
        guard images.count == n else { throw ExplainError("smoothgrad: \(n) input rows but \(images.count) image indices") }
        guard samples >= 1 else { throw ExplainError("smoothgrad: the number of samples must be at least 1, got \(samples)") }
        let xv = try x.floats()
        var sigma = [Float](repeating: 0, count: n)
        var given: [Float]? = nil
        switch noise {
        case .absolute(let s):
            guard s >= 0, s.isFinite else { throw ExplainError("smoothgrad: the noise standard deviation must be finite and >= 0, got \(s)") }
            sigma = [Float](repeating: s, count: n)
        case .relative(let level):
            guard level >= 0, level.isFinite else { throw ExplainError("smoothgrad: the noise level must be finite and >= 0, got \(level)") }
            for m in 0..<n {
                let r = xv[m * row..<(m + 1) * row]
                sigma[m] = level * ((r.max() ?? 0) - (r.min() ?? 0))
            }
        case .given(let t):
            guard t.shape == [n * samples] + x.shape.dropFirst() else {
                throw ExplainError("smoothgrad: given noise has shape \(t.shape), expected \([n * samples] + x.shape.dropFirst())")
            }
            given = try t.floats()
        }
        var sum: [Double] = [], sumSq: [Double] = [], outRow = 0, outShape: [Int] = []
        var s0 = 0
        while s0 < samples {
            let k = min(max(1, samplesPerCall), samples - s0)
            var inp = [Float](repeating: 0, count: n * k * row)
            let imgs = images.flatMap { Array(repeating: $0, count: k) }
            for j in 0..<k {
                // Sample s draws from its own stream, so the noise does not depend on samplesPerCall.
                var rng = SeededRandom(seed: seed &+ UInt64(s0 + j) &* 0x9E37_79B9_7F4A_7C15)
                for m in 0..<n {
                    let dst = (m * k + j) * row, src = m * row
                    if let g = given {
                        let nz = (m * samples + s0 + j) * row
                        for i in 0..<row { inp[dst + i] = xv[src + i] + g[nz + i] }
                    } else {
                        for i in 0..<row { inp[dst + i] = xv[src + i] + sigma[m] * Float(rng.gaussian()) }
                    }
                }
            }
            let a = try attribute(Tensor(unchecked: BatchRows.shape(rows: n * k, like: x), floats: inp), imgs)
            guard a.rank >= 1, a.shape[0] == n * k, a.count % (n * k) == 0 else {
                throw ExplainError("smoothgrad: the wrapped method returned \(a.shape) for \(n * k) rows")
            }
            if sum.isEmpty {
                outRow = a.count / (n * k); outShape = [n] + a.shape.dropFirst()
                sum = [Double](repeating: 0, count: n * outRow); sumSq = sum
            } else if a.count / (n * k) != outRow {
                throw ExplainError("smoothgrad: the wrapped method returned rows of changing size")
            }
            let av = try a.floats()
            for m in 0..<n {
                for j in 0..<k {
                    let src = (m * k + j) * outRow
                    for i in 0..<outRow {
                        let v = Double(av[src + i])
                        sum[m * outRow + i] += v; sumSq[m * outRow + i] += v * v
                    }
                }
            }
            s0 += k
            progress?(s0, samples)
        }
        let inv = 1 / Double(samples)
        let out: [Float] = (0..<sum.count).map { i in
            let e = sum[i] * inv, e2 = sumSq[i] * inv
            switch kind {
            case .smoothgrad: return Float(e)
            case .squared: return Float(e2)
            case .vargrad: return Float(e2 - e * e)
            }
        }
        return Tensor(unchecked: outShape, floats: out)
    }
}
