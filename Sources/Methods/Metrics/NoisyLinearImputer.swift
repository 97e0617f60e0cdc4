import Foundation

/// ROAD's noisy linear imputation (Rong et al. 2022; pytorch-grad-cam `NoisyLinearImputer`;
/// docs/metrics.md): every removed pixel becomes the weighted mean of its 8 neighbours (weight 1/6
/// for the 4 direct, 1/12 for the 4 diagonal ones), solved jointly over all removed pixels, per
/// channel. A neighbour outside the image is dropped and its weight taken off the pixel's own
/// coefficient. Then `noise` · N(0, 1) is added to each imputed value.
///
/// The system (one row per removed pixel p: Σ_q w_q x_q − (Σ_valid w) x_p = −Σ_known w_q v_q) is
/// symmetric and, negated, positive definite whenever some pixel is kept; it is solved by
/// conjugate gradients in double precision to a relative residual of 1e-9 (pytorch-grad-cam uses
/// a sparse direct solver; the difference is far below the model's sensitivity).
public struct NoisyLinearImputer: Sendable {
    public var noise: Float
    public init(noise: Float = 0.01) { self.noise = noise }

    static let neighbours: [(dy: Int, dx: Int, w: Double)] = [
        (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12),
        (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12), (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
    ]

    /// `image` [C, H, W] flat; `keep[p]` false for removed pixels. Returns the imputed image.
    public func impute(_ image: [Float], keep: [Bool], height h: Int, width w: Int, rng: inout SeededRandom) throws -> [Float] {
        let plane = h * w
        guard plane > 0, keep.count == plane, image.count % plane == 0 else {
            throw ExplainError("imputation: an image of \(image.count) values and a mask of \(keep.count) for \(h)x\(w)")
        }
        let removed = (0..<plane).filter { !keep[$0] }
        guard !removed.isEmpty else { return image }
        guard removed.count < plane else { throw ExplainError("imputation: every pixel is removed, nothing to impute from") }
        var index = [Int](repeating: -1, count: plane)
        for (k, p) in removed.enumerated() { index[p] = k }
        let n = removed.count
        // Per unknown: its diagonal (Σ valid weights) and its unknown neighbours (index, weight).
        var diag = [Double](repeating: 0, count: n)
        var nbr: [(Int, Double)] = []
        var nbrStart = [Int](repeating: 0, count: n + 1)
        var known: [[(Int, Double)]] = Array(repeating: [], count: n)
        for (k, p) in removed.enumerated() {
            let y = p / w, x = p % w
            var d = 0.0
            for o in Self.neighbours {
                let yy = y + o.dy, xx = x + o.dx
                guard yy >= 0, xx >= 0, yy < h, xx < w else { continue }
                d += o.w
                let q = yy * w + xx
                if index[q] >= 0 { nbr.append((index[q], o.w)) } else { known[k].append((q, o.w)) }
            }
            diag[k] = d
            nbrStart[k + 1] = nbr.count
        }
        let channels = image.count / plane
        // Right-hand sides of every channel, interleaved [unknown][channel]: one pass over the
        // matrix serves all channels.
        var b = [Double](repeating: 0, count: n * channels)
        for k in 0..<n {
            for (q, wt) in known[k] { for c in 0..<channels { b[k * channels + c] += wt * Double(image[c * plane + q]) } }
        }
        let x = Self.conjugateGradient(diag: diag, nbr: nbr, start: nbrStart, b: b, channels: channels)
        var out = image
        for c in 0..<channels {
            for (k, p) in removed.enumerated() { out[c * plane + p] = Float(x[k * channels + c]) + noise * Float(rng.gaussian()) }
        }
        return out
    }

    /// Solves (diag − W) x = b for `channels` right-hand sides at once (interleaved, b[k * channels + c]),
    /// W the symmetric neighbour weights (CSR rows `start`): Jacobi-preconditioned conjugate
    /// gradients, one independent iteration per channel run in lockstep; a channel stops moving
    /// once its residual is below 1e-9 of its right-hand side.
    static func conjugateGradient(diag: [Double], nbr: [(Int, Double)], start: [Int], b: [Double], channels m: Int) -> [Double] {
        let n = diag.count
        let cols = nbr.map(\.0), vals = nbr.map(\.1)
        let inv = diag.map { $0 > 0 ? 1 / $0 : 1 }
        var x = [Double](repeating: 0, count: n * m), r = b, z = [Double](repeating: 0, count: n * m)
        var p = [Double](repeating: 0, count: n * m), ap = [Double](repeating: 0, count: n * m)
        var bnorm = [Double](repeating: 0, count: m), rz = [Double](repeating: 0, count: m)
        var active = [Bool](repeating: true, count: m)
        for k in 0..<n { for c in 0..<m { bnorm[c] += b[k * m + c] * b[k * m + c] } }
        bnorm = bnorm.map { max($0.squareRoot(), 1e-300) }
        cols.withUnsafeBufferPointer { cols in vals.withUnsafeBufferPointer { vals in diag.withUnsafeBufferPointer { diag in
        inv.withUnsafeBufferPointer { inv in start.withUnsafeBufferPointer { start in
        x.withUnsafeMutableBufferPointer { x in r.withUnsafeMutableBufferPointer { r in z.withUnsafeMutableBufferPointer { z in
        p.withUnsafeMutableBufferPointer { p in ap.withUnsafeMutableBufferPointer { ap in
            for k in 0..<n { for c in 0..<m { let i = k * m + c; z[i] = r[i] * inv[k]; p[i] = z[i]; rz[c] += r[i] * z[i] } }
            // Per-channel scalars as raw buffers: the hot loops stay cheap in unoptimised builds too.
            let pap = UnsafeMutablePointer<Double>.allocate(capacity: m), rr = UnsafeMutablePointer<Double>.allocate(capacity: m)
            let rzNew = UnsafeMutablePointer<Double>.allocate(capacity: m), alpha = UnsafeMutablePointer<Double>.allocate(capacity: m)
            let beta = UnsafeMutablePointer<Double>.allocate(capacity: m)
            defer { pap.deallocate(); rr.deallocate(); rzNew.deallocate(); alpha.deallocate(); beta.deallocate() }
            var iteration = 0
            while iteration < 10 * n + 100, active.contains(true) {
                iteration += 1
                for c in 0..<m { pap[c] = 0 }
                let pp = p.baseAddress!, app = ap.baseAddress!, vv = vals.baseAddress!, cc = cols.baseAddress!
                var k = 0
                while k < n {
                    let d = diag[k], e = start[k + 1], s0 = start[k]
                    var c = 0
                    while c < m {
                        var s = d * pp[k * m + c]
                        var j = s0
                        while j < e { s -= vv[j] * pp[cc[j] * m + c]; j += 1 }
                        app[k * m + c] = s
                        pap[c] += pp[k * m + c] * s
                        c += 1
                    }
                    k += 1
                }
                for c in 0..<m {
                    if !(pap[c] > 0) { active[c] = false }
                    alpha[c] = active[c] ? rz[c] / pap[c] : 0
                    rr[c] = 0; rzNew[c] = 0
                }
                for k in 0..<n {
                    for c in 0..<m {
                        let i = k * m + c
                        x[i] += alpha[c] * p[i]; r[i] -= alpha[c] * ap[i]
                        z[i] = r[i] * inv[k]
                        rr[c] += r[i] * r[i]; rzNew[c] += r[i] * z[i]
                    }
                }
                for c in 0..<m {
                    if rr[c].squareRoot() <= 1e-9 * bnorm[c] { active[c] = false }
                    beta[c] = active[c] ? rzNew[c] / rz[c] : 0
                    if active[c] { rz[c] = rzNew[c] }
                }
                for k in 0..<n { for c in 0..<m where active[c] { p[k * m + c] = z[k * m + c] + beta[c] * p[k * m + c] } }
            }
        } } } } } } } } } }
        return x
    }
}
