import CBLAS
import Graph

/// The convolution path of `ComputePrecision.reference`: im2col in float32, the product
/// accumulated in float64 (OpenBLAS dgemm) and the bias added before one rounding to float32,
/// so each output is the float32 rounding of the exact sum up to ~1e-16 relative. Explanation
/// rules divide by these values (`R / z`); the float32 GEMMs' rounding (~1e-7 · sqrt(depth) of
/// the largest terms, more with Winograd) is amplified there on deep networks.
///
/// Work is cut into (image, group, column block) tasks; a block's width keeps its float and
/// double im2col scratch near 16 MiB.
extension NNConvKernels {
    static func referenceBlockWidth(depth: Int) -> Int { max(64, min(2048, (1 << 21) / max(depth, 1))) }

    static func referenceConv(_ p: Problem, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: [Float]?,
                              out: UnsafeMutablePointer<Float>, threads: Int, relu: Bool) {
        let n = p.outPlane, depth = p.depth, m = p.mg
        let width = referenceBlockWidth(depth: depth)
        let blocks = (n + width - 1) / width, items = p.batch * p.group
        let wd = (0..<(p.outChannels * depth)).map { Double(w[$0]) }
        wd.withUnsafeBufferPointer { wb in
            guard let wp = wb.baseAddress else { return }
            parallelChunks(items * blocks, threads: threads) { range in
                var col = [Float](repeating: 0, count: depth * width)
                var cd = [Double](repeating: 0, count: depth * width)
                var prod = [Double](repeating: 0, count: m * width)
                col.withUnsafeMutableBufferPointer { cb in cd.withUnsafeMutableBufferPointer { db in
                    prod.withUnsafeMutableBufferPointer { pb in
                        guard let cp = cb.baseAddress, let dp = db.baseAddress, let pp = pb.baseAddress else { return }
                        for t in range {
                            let item = t / blocks, b = t % blocks, g = item % p.group
                            let cols = (b * width)..<min(n, (b + 1) * width)
                            let o = p.offsets(item: item), k = cols.count
                            im2col(p, x: x + o.input, col: cp, cols: cols, rows: 0..<depth)
                            for i in 0..<(depth * k) { dp[i] = Double(cp[i]) }
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(k), blasint(depth),
                                        1, wp + o.weight, blasint(depth), dp, blasint(k), 0, pp, blasint(k))
                            for r in 0..<m {
                                let add = bias.map { Double($0[g * m + r]) } ?? 0
                                let dst = out + o.output + r * n + cols.lowerBound
                                for j in 0..<k {
                                    let v = Float(pp[r * k + j] + add)
                                    dst[j] = relu ? Swift.max(v, 0) : v
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}
