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

    /// Solves (diag − W) x = b, W the symmetric neighbour weights (CSR rows `start`), by
    /// Jacobi-preconditioned conjugate gradients.
    static func conjugateGradient(diag: [Double], nbr: [(Int, Double)], start: [Int], b: [Double]) -> [Double] {
        let n = b.count
        let cols = nbr.map(\.0), vals = nbr.map(\.1)
        let inv = diag.map { $0 > 0 ? 1 / $0 : 1 }
        var x = [Double](repeating: 0, count: n), r = b, z = [Double](repeating: 0, count: n)
        var p = [Double](repeating: 0, count: n), ap = [Double](repeating: 0, count: n)
        let bnorm = max(b.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
        cols.withUnsafeBufferPointer { cols in vals.withUnsafeBufferPointer { vals in diag.withUnsafeBufferPointer { diag in
        inv.withUnsafeBufferPointer { inv in start.withUnsafeBufferPointer { start in
        x.withUnsafeMutableBufferPointer { x in r.withUnsafeMutableBufferPointer { r in z.withUnsafeMutableBufferPointer { z in
        p.withUnsafeMutableBufferPointer { p in ap.withUnsafeMutableBufferPointer { ap in
            var rz = 0.0
            for k in 0..<n { z[k] = r[k] * inv[k]; p[k] = z[k]; rz += r[k] * z[k] }
            var iteration = 0
            while iteration < 10 * n + 100 {
                iteration += 1
                var pap = 0.0
                for k in 0..<n {
                    var s = diag[k] * p[k]
                    var j = start[k]
                    let e = start[k + 1]
                    while j < e { s -= vals[j] * p[cols[j]]; j += 1 }
                    ap[k] = s
                    pap += p[k] * s
                }
                guard pap > 0 else { break }
                let alpha = rz / pap
                var rr = 0.0, rzNew = 0.0
                for k in 0..<n {
                    x[k] += alpha * p[k]; r[k] -= alpha * ap[k]
                    z[k] = r[k] * inv[k]
                    rr += r[k] * r[k]; rzNew += r[k] * z[k]
                }
                if rr.squareRoot() <= 1e-9 * bnorm { break }
                let beta = rzNew / rz
                rz = rzNew
                for k in 0..<n { p[k] = z[k] + beta * p[k] }
            }
        } } } } } } } } } }
        return x
    }
}
