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
        var out = image
        for c in 0..<(image.count / plane) {
            let base = c * plane
            var b = [Double](repeating: 0, count: n)
            for k in 0..<n { for (q, wt) in known[k] { b[k] += wt * Double(image[base + q]) } }
            let x = Self.conjugateGradient(diag: diag, nbr: nbr, start: nbrStart, b: b)
            for (k, p) in removed.enumerated() { out[base + p] = Float(x[k]) + noise * Float(rng.gaussian()) }
        }
        return out
    }

    /// Solves (diag − W) x = b, W the symmetric neighbour weights, by Jacobi-preconditioned CG.
    static func conjugateGradient(diag: [Double], nbr: [(Int, Double)], start: [Int], b: [Double]) -> [Double] {
        let n = b.count
        func apply(_ v: [Double]) -> [Double] {
            var r = [Double](repeating: 0, count: n)
            for k in 0..<n {
                var s = diag[k] * v[k]
                for j in start[k]..<start[k + 1] { s -= nbr[j].1 * v[nbr[j].0] }
                r[k] = s
            }
            return r
        }
        var x = [Double](repeating: 0, count: n)
        for k in 0..<n where diag[k] > 0 { x[k] = b[k] / diag[k] }
        var r = zip(b, apply(x)).map { $0 - $1 }
        var z = (0..<n).map { diag[$0] > 0 ? r[$0] / diag[$0] : r[$0] }
        var p = z
        var rz = zip(r, z).reduce(0.0) { $0 + $1.0 * $1.1 }
        let bnorm = max(b.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
        for _ in 0..<(10 * n + 100) {
            if r.reduce(0.0, { $0 + $1 * $1 }).squareRoot() <= 1e-9 * bnorm { break }
            let ap = apply(p)
            let pap = zip(p, ap).reduce(0.0) { $0 + $1.0 * $1.1 }
            guard pap > 0 else { break }
            let alpha = rz / pap
            for k in 0..<n { x[k] += alpha * p[k]; r[k] -= alpha * ap[k] }
            for k in 0..<n { z[k] = diag[k] > 0 ? r[k] / diag[k] : r[k] }
            let rzNew = zip(r, z).reduce(0.0) { $0 + $1.0 * $1.1 }
            let beta = rzNew / rz
            rz = rzNew
            for k in 0..<n { p[k] = z[k] + beta * p[k] }
        }
        return x
    }
}
