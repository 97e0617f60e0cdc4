import CBLAS

/// Thin wrappers over OpenBLAS. Every matrix is row-major.
///
/// Threading: OpenBLAS always runs single-threaded here, and cfcam splits work across its own
/// threads (`parallelChunks`). OpenBLAS's pthread workers spin after each call; sharing the cores
/// with a second pool made every parallel elementwise op wait for a scheduler tick (measured on
/// resnet50, 2 threads: Relu 10-19 ms/run with OpenBLAS threads vs 1 ms without).
public enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// C[m×n] = alpha · op(A) · op(B) + beta · C on the calling thread.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // C = beta * C (some BLAS builds reject k == 0).
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// The same product split over `threads` blocks of rows or columns of C (whichever dimension
    /// has room), each block one single-threaded sgemm.
    public static func parallelSgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                     alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                     b: UnsafePointer<Float>, ldb: Int,
                                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) {
        let plan = GemmSplit(m: m, n: n, k: k, threads: threads)
        if plan.blocks <= 1 {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
            return
        }
        parallelChunks(plan.blocks, threads: plan.blocks) { blocks in
            for blk in blocks {
                let r = plan.range(blk)
                if plan.splitColumns {
                    sgemm(transA: transA, transB: transB, m: m, n: r.count, k: k, alpha: alpha, a: a, lda: lda,
                          b: transB ? b + r.lowerBound * ldb : b + r.lowerBound, ldb: ldb,
                          beta: beta, c: c + r.lowerBound, ldc: ldc)
                } else {
                    sgemm(transA: transA, transB: transB, m: r.count, n: n, k: k, alpha: alpha,
                          a: transA ? a + r.lowerBound : a + r.lowerBound * lda, lda: lda, b: b, ldb: ldb,
                          beta: beta, c: c + r.lowerBound * ldc, ldc: ldc)
                }
            }
        }
    }

    /// The OpenBLAS kernel family in use (e.g. "SkylakeX", "Haswell").
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// Kept for callers that used to size OpenBLAS's pool: OpenBLAS stays single-threaded.
    public static func setThreads(_ n: Int) { _ = singleThreaded }
}

/// How a GEMM is split across threads: by columns of C when there are enough, else by rows.
public struct GemmSplit: Sendable {
    public let splitColumns: Bool
    public let blocks: Int
    private let total: Int, per: Int

    public init(m: Int, n: Int, k: Int, threads: Int) {
        let work = m * n * k
        let t = work < 1 << 18 ? 1 : max(1, threads)
        // Column blocks of at least 32 (cache-friendly, vector-width multiples), else row blocks of 16.
        if n >= 32 * t && (n >= m || m < 16 * t) {
            splitColumns = true; total = n
            per = ((n + t - 1) / t + 15) / 16 * 16
        } else if m >= 16 * t {
            splitColumns = false; total = m
            per = ((m + t - 1) / t + 7) / 8 * 8
        } else {
            splitColumns = true; total = n; per = max(n, 1)
        }
        blocks = max(1, (total + per - 1) / per)
    }

    public func range(_ block: Int) -> Range<Int> {
        let lo = block * per
        return lo..<min(total, lo + per)
    }
}
