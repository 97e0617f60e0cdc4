#ifndef CFCAM_CKERNELS_H
#define CFCAM_CKERNELS_H
/// cfcam's own single-precision GEMM micro-kernels (see sgemm_avx512.c).
///
/// Row-major C[m x n] (+)= A[m x k] * B[k x n], all three with explicit leading dimensions.
/// Neither operand is packed: the 8x48 register tile reads eight rows of A by broadcast and three
/// 16-float vectors of each B row, so a caller can point B straight at an image (1x1
/// convolutions) or at an im2col block, and A straight at a Conv node's weights.

/// 1 when this CPU and OS run the AVX-512 kernels (checked once); 0 otherwise.
int cfcam_sgemm_available(void);

/// `accumulate` 0: C = A*B (+ bias[row] when `bias` is not NULL); 1: C += A*B (bias ignored).
/// `relu` 1 clamps the final C at 0 (after the bias / accumulation).
/// Single-threaded; callers split rows or columns of C across threads.
/// Must only be called when cfcam_sgemm_available() returned 1.
void cfcam_sgemm_nn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                    float *c, long ldc, const float *bias, int accumulate, int relu);
#endif
