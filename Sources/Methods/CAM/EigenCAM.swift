/// Eigen-CAM (Muhammad & Yeasin 2020; pytorch-grad-cam `eigen_cam.py` / `get_2d_projection`;
/// docs/methods.md, "eigencam"):
/// per image, A reshaped to (hw x K) with each channel (column) centred, projected on its first
/// right-singular vector; then the shared ReLU / minmax / resize. Class-agnostic, no gradients.
///
/// The SVD's sign is arbitrary; this uses pytorch-grad-cam's sign correction
/// (`get_2d_projection_with_sign_correction`): the projection is negated when |min| > |max|.
/// pytorch-grad-cam's plain `EigenCAM` keeps whatever sign LAPACK returns.
public struct EigenCAM: CAMMethod {
    public static let entry = MethodRegistry.Entry(
        name: "eigencam", summary: "Eigen-CAM: first principal component of the activations (class-agnostic)", kind: .layer) { _ in EigenCAM() }
    public init() {}
    public var usesGradients: Bool { false }

    public func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let a = layer.activation
        var out: [Float] = []
        out.reserveCapacity(a.n * a.hw)
        for b in 0..<a.n {
            out += EigenCAM.projection(Array(a.values[(b * a.k * a.hw)..<((b + 1) * a.k * a.hw)]), k: a.k, hw: a.hw)
        }
        return try MapBatch(n: a.n, h: a.h, w: a.w, values: out)
    }

    /// First-principal-component projection of one image's activations [K, hw] (channel-major).
    static func projection(_ act: [Float], k: Int, hw: Int) -> [Float] {
        // Centred matrix C (hw x K): C[p, c] = A[c, p] − mean_p A[c, p]  (NaN treated as 0, as pgc).
        var c = [Double](repeating: 0, count: hw * k)
        for ch in 0..<k {
            var mean: Double = 0
            for p in 0..<hw { let v = act[ch * hw + p]; mean += v.isNaN ? 0 : Double(v) }
            mean /= Double(hw)
            for p in 0..<hw { let v = act[ch * hw + p]; c[p * k + ch] = (v.isNaN ? 0 : Double(v)) - mean }
        }
        // C v1 = σ1 u1: the top eigenvector of the smaller Gram matrix gives it.
        var proj = [Double](repeating: 0, count: hw)
        if hw <= k {
            var gram = [Double](repeating: 0, count: hw * hw)
            for i in 0..<hw { for j in i..<hw {
                var s: Double = 0
                for ch in 0..<k { s += c[i * k + ch] * c[j * k + ch] }
                gram[i * hw + j] = s; gram[j * hw + i] = s
            } }
            let (lambda, u) = SymmetricEigen.top(gram, n: hw)
            let sigma = max(lambda, 0).squareRoot()
            for p in 0..<hw { proj[p] = sigma * u[p] }
        } else {
            var gram = [Double](repeating: 0, count: k * k)
            for p in 0..<hw {
                for i in 0..<k where c[p * k + i] != 0 { for j in i..<k { gram[i * k + j] += c[p * k + i] * c[p * k + j] } }
            }
            for i in 0..<k { for j in 0..<i { gram[i * k + j] = gram[j * k + i] } }
            let (_, v) = SymmetricEigen.top(gram, n: k)
            for p in 0..<hw { var s: Double = 0; for ch in 0..<k { s += c[p * k + ch] * v[ch] }; proj[p] = s }
        }
        let lo = proj.min() ?? 0, hi = proj.max() ?? 0
        if abs(lo) > abs(hi) { for p in proj.indices { proj[p] = -proj[p] } }
        return proj.map { Float($0) }
    }
}
