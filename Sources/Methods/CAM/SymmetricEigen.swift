/// The largest eigenpair of a small symmetric matrix (Eigen-CAM's first principal component).
enum SymmetricEigen {
    /// (λ_max, unit eigenvector) of the symmetric n x n matrix `a` (row-major). Cyclic Jacobi
    /// rotations for n ≤ 256 (exact to rounding, robust to close eigenvalues); shifted power
    /// iteration with Rayleigh refinement above.
    static func top(_ a: [Double], n: Int) -> (Double, [Double]) {
        guard n > 0 else { return (0, []) }
        if n == 1 { return (a[0], [1]) }
        return n <= 256 ? jacobi(a, n: n) : power(a, n: n)
    }

    static func jacobi(_ input: [Double], n: Int) -> (Double, [Double]) {
        var a = input
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let total = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<60 {
            var off: Double = 0
            for i in 0..<n { for j in (i + 1)..<n { off += a[i * n + j] * a[i * n + j] } }
            if off <= 1e-30 * max(total, 1e-300) { break }
            for p in 0..<(n - 1) {
                for q in (p + 1)..<n {
                    let apq = a[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {  // rotate columns p, q
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {  // rotate rows p, q
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        var best = 0
        for i in 1..<n where a[i * n + i] > a[best * n + best] { best = i }
        return (a[best * n + best], (0..<n).map { v[$0 * n + best] })
    }

    static func power(_ a: [Double], n: Int) -> (Double, [Double]) {
        // Shift by the Gershgorin bound so the largest eigenvalue dominates in magnitude.
        var shift: Double = 0
        for i in 0..<n { var r: Double = 0; for j in 0..<n { r += abs(a[i * n + j]) }; shift = max(shift, r) }
        var x = (0..<n).map { 1 + Double($0 % 7) * 1e-3 }
        var lambda: Double = 0
        for _ in 0..<5000 {
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n { var s = shift * x[i]; for j in 0..<n { s += a[i * n + j] * x[j] }; y[i] = s }
            let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { break }
            let next = y.map { $0 / norm }
            let delta = zip(next, x).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            x = next
            lambda = norm - shift
            if delta < 1e-24 { break }
        }
        return (lambda, x)
    }
}
