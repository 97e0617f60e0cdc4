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

/// A 2-D convolution window (NCHW, one image and channel group).
typedef struct {
    long ih, iw, oh, ow;   // input and output spatial size
    long kh, kw;           // kernel
    long sh, sw;           // strides
    long ph, pw;           // leading pads
    long dh, dw;           // dilations
} cfcam_window;

/// Rows r0..<r1 of the im2col matrix, restricted to output positions c0..<c1:
/// col[(r - r0) * ldcol + (pos - c0)] = x[c][oy*sh - ph + ky*dh][ox*sw - pw + kx*dw] (0 outside),
/// with r = (c*kh + ky)*kw + kx and pos = oy*ow + ox. `simd` 1 uses AVX-512 moves when the CPU
/// has them; 0 forces the portable loops (tests cover both).
void cfcam_im2col(const cfcam_window *g, const float *x, float *col, long ldcol, long r0, long r1, long c0, long c1,
                  int simd);
#endif
