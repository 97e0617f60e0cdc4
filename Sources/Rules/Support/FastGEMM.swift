import CKernels
import Graph

/// cfcam's own AVX-512 SGEMM (`Sources/CKernels`), used by convolutions when the CPU has AVX-512.
///
/// Why not OpenBLAS here: OpenBLAS packs both operands on every call, and on resnet50's
/// convolution shapes (N = 49..12544, K = 64..4608) its SkylakeX sgemm ran at ~0.75x of the core's
/// FMA peak; the unpacked 8x48 kernel reads the weights and the im2col block in place and runs at
/// ~0.9x (docs/performance.md). Everything else (Gemm, MatMul, gradients) stays on OpenBLAS.
public enum FastGEMM {
    /// True when the kernels run here: an AVX-512 CPU, unless `CFCAM_GEMM=openblas` is set.
    /// Tests flip it to check both convolution paths against the same references.
    nonisolated(unsafe) public static var enabled: Bool =
        cfcam_sgemm_available() == 1 && getenvString("CFCAM_GEMM") != "openblas"

    /// Whether the CPU could run them at all (independent of `enabled`).
    public static var available: Bool { cfcam_sgemm_available() == 1 }

    /// C[m×n] = A·B (+ bias per row), or C += A·B when `accumulate`; then `activation` on the
    /// result (`relu: true` is `activation: .init(.relu)`), in the kernel's store.
    /// Row-major with leading dimensions; single-threaded. Requires `available`.
    @inline(__always)
    static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
                      accumulate: Bool = false, relu: Bool = false, activation: KernelActivation = .init(nil)) {
        let act = relu ? KernelActivation(.relu) : activation
        cfcam_sgemm_act(m, n, k, a, lda, b, ldb, c, ldc, bias, accumulate ? 1 : 0, act.kind, act.lo, act.hi)
    }
}
