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
/// Winograd F(4x4, 3x3) for 3x3, stride-1, dilation-1, group-1 convolutions (winograd.c).
/// One batch geometry: channels in / out, input and output size, top / left pads.
typedef struct {
    long c, k;
    long ih, iw, oh, ow;
    long pt, pl;
} cfcam_wino;

/// Tiles (4x4 outputs) per image.
long cfcam_wino_tiles(const cfcam_wino *g);
/// Floats of the transformed weights, of one packed image, and of a block's scratch for `tiles` tiles.
long cfcam_wino_weights_size(const cfcam_wino *g);
long cfcam_wino_pack_size(const cfcam_wino *g);
long cfcam_wino_block_size(const cfcam_wino *g, long tiles);
/// w [K][C][3][3] -> u (cfcam_wino_weights_size floats). Portable C.
void cfcam_wino_weights(const cfcam_wino *g, const float *w, float *u);
/// Channel blocks cb0..<cb1 (of 16) of one image x [C][IH][IW] into xt (its padded, blocked copy).
/// AVX-512 only (cfcam_sgemm_available()).
void cfcam_wino_pack(const cfcam_wino *g, const float *x, float *xt, long cb0, long cb1);
/// Tiles t0..<t1 of the batch (tile t = image t / tiles, then row-major): transforms, 36 GEMMs,
/// output transform with bias (may be NULL) and the activation `act` (CFCAM_ACT_*, clip bounds
/// lo / hi, as in cfcam_activate) into y [N][K][OH][OW]. `xt` holds
/// the packed images `xt_image` floats apart; `scratch` has cfcam_wino_block_size(g, t1 - t0)
/// floats. AVX-512 only.
void cfcam_wino_block(const cfcam_wino *g, const float *u, const float *xt, long xt_image, long t0, long t1,
                      float *scratch, const float *bias, int act, float lo, float hi, float *y);

/// out[i] = max(row[2i], row[2i+1], row[2i+2]) for i < n (NaN if any is NaN); reads row[0 ... 2n].
/// `simd` 1 uses AVX-512 where the CPU has it (pool.c).
void cfcam_max3s2(const float *row, float *out, long n, int simd);
/// dst[i] = max(dst[i], src[i]) for i < n, NaN if either is NaN (pool.c).
void cfcam_max_into(float *dst, const float *src, long n, int simd);

/// Activations fused into a kernel's store (`act` arguments below).
enum { CFCAM_ACT_NONE = 0, CFCAM_ACT_RELU = 1, CFCAM_ACT_CLIP = 2, CFCAM_ACT_HARDSWISH = 3, CFCAM_ACT_SIGMOID = 4,
       CFCAM_ACT_SILU = 5 };

/// cfcam_sgemm_nn with any of those activations on the final C instead of `relu` (sgemm_avx512.c):
/// `act` CFCAM_ACT_* with clip bounds lo / hi, applied after the bias / accumulation, with the
/// NaN behaviour of cfcam_activate (ReLU and Clip keep NaN).
void cfcam_sgemm_act(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                     float *c, long ldc, const float *bias, int accumulate, int act, float lo, float hi);

/// Narrow products (sgemm_narrow.c): C[m x n] = W[m x k] X[k x n] (+ bias[row] when not NULL), then
/// `act` as in cfcam_sgemm_act, for 1 <= n <= CFCAM_NARROW_MAX, computed as C^T = X^T W^T with the
/// output channels in the vector lanes. `wp`: W packed by cfcam_sgemm_narrow_pack (a caller doing
/// rows i0..<i0+m of a packed W passes wp + i0 * k with i0 a multiple of 48); `scratch` holds
/// cfcam_sgemm_narrow_scratch(n, k) floats. Returns 0 (and writes nothing) when it cannot run:
/// n or k out of range, or no AVX-512.
enum { CFCAM_NARROW_MAX = 9 };
long cfcam_sgemm_narrow_scratch(long n, long k);
int cfcam_sgemm_narrow(long m, long n, long k, const float *wp, const float *x, long ldx, float *c, long ldc,
                       const float *bias, int act, float lo, float hi, float *scratch);
/// W [m x k] (row-major) -> wp: panels of 48 rows (the last zero-padded), each k x 48 floats with
/// The same transposed product for any n, X read in place (no copy): positions in blocks of 8 as
/// the tile's rows, for `images` products at once (image i: X at x + i * xstride, C at
/// c + i * cstride), over 48-channel panels p0 ..< p1 of the packed W (a thread's share). Each
/// panel stays in L2 while every image and position block runs over it. Returns 0 (and writes
/// nothing) without AVX-512 or for an empty shape.
int cfcam_sgemm_lanes(long m, long n, long k, long images, const float *wp, long p0, long p1, const float *x,
                      long ldx, long xstride, float *c, long ldc, long cstride, const float *bias, int act, float lo,
                      float hi);
/// wp[i0 * k + p * 48 + c] = W[i0 + c][p]; cfcam_sgemm_narrow_packed_size(m, k) floats.
long cfcam_sgemm_narrow_packed_size(long m, long k);
void cfcam_sgemm_narrow_pack(const float *w, long m, long k, float *wp);
/// dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols.
void cfcam_transpose(const float *src, long rows, long cols, long lds, float *dst, long ldd);

/// Direct depthwise convolution (depthwise.c) of planes p0..<p1 of the output [N][channels][oh][ow]:
/// output channel m reads input channel m / multiplier, weights w [channels][kh][kw], optional
/// bias [channels], then `act` (clip: min(max(v, lo), hi); relu and clip keep NaN; hardswish:
/// v * max(0, min(1, v / 6 + 0.5)); sigmoid: 1 / (1 + e^-v); silu: v * sigmoid(v), see elementwise.c). `scratch` holds cfcam_depthwise_scratch(g) floats (one
/// thread's). `simd` 1 uses AVX-512 where the CPU has it; 0 forces the portable loops.
long cfcam_depthwise_scratch(const cfcam_window *g);
void cfcam_depthwise(const cfcam_window *g, const float *x, const float *w, const float *bias, float *y,
                     long p0, long p1, long channels, long multiplier, float *scratch, int act, float lo, float hi,
                     int simd);
/// The same convolution read straight from the input, without the padded copy (depthwise_direct.c):
/// stride 1 or 2 across, dilation 1, kernel width <= 7, output width <= 512. Returns 0 (and does
/// nothing) when the geometry does not fit or the CPU lacks AVX-512; the caller then runs
/// cfcam_depthwise. `scratch` holds cfcam_depthwise_direct_scratch(g) floats (one thread's).
int cfcam_depthwise_direct_fits(const cfcam_window *g);
long cfcam_depthwise_direct_scratch(const cfcam_window *g);
int cfcam_depthwise_direct(const cfcam_window *g, const float *x, const float *w, const float *bias, float *y,
                           long p0, long p1, long channels, long multiplier, float *scratch, int act, float lo,
                           float hi);
/// The same convolution for small maps with 16 channels in the vector lanes (depthwise_blocked.c),
/// multiplier 1 only, at most 64 taps: tasks t0..<t1, task t = block * splits + s computing output
/// rows [oh * s / splits, oh * (s + 1) / splits) of block t / splits, block = image *
/// ceil(channels / 16) + channel block. `scratch` holds cfcam_depthwise_blocked_scratch(g) floats
/// (one thread's). AVX-512 only: call only when cfcam_sgemm_available() returned 1.
/// `packed`: the weights as cfcam_depthwise_blocked_pack leaves them (each block's taps as
/// 16-channel vectors, made once per constant weight array), or NULL to build each block's from `w`.
long cfcam_depthwise_blocked_scratch(const cfcam_window *g);
void cfcam_depthwise_blocked(const cfcam_window *g, const float *x, const float *w, const float *packed,
                             const float *bias, float *y, long t0, long t1, long channels, long splits, float *scratch,
                             int act, float lo, float hi);
/// Floats cfcam_depthwise_blocked_pack writes for `channels` channels of `taps` taps: blocks of 16
/// channels, each taps x 16 (lanes past the last channel 0). Portable (no AVX-512 needed).
long cfcam_depthwise_blocked_packed_size(long channels, long taps);
void cfcam_depthwise_blocked_pack(const float *w, long channels, long taps, float *packed);
/// dst[c * n + i] = src[i * a + c] for c < a, i < n, on 32-bit values (deinterleave.c): the
/// planes of an interleaved array, as a Transpose moving a short last axis forward makes them.
/// AVX-512 for a in 2 ... 16 when the CPU has it, else a plain loop.
void cfcam_deinterleave32(const void *src, long n, long a, void *dst);
/// y[i] = act(y[i]) for i < n (the same activations, in place).
void cfcam_activate(float *y, long n, int act, float lo, float hi);
void cfcam_activate_simd(float *y, long n, int act, float lo, float hi, int simd);

/// y[i] = sigmoid(x[i]) (silu 0) or x[i] * sigmoid(x[i]) (silu 1), for i < n; y may be x (elementwise.c).
void cfcam_logistic(const float *x, float *y, long n, int silu, int simd);
/// y[i] = erf(x[i]) (gelu 0) or 0.5 x[i] (1 + erf(x[i] / sqrt 2)) (gelu 1); y may be x. The
/// AVX-512 erf is within 4.2e-7 of the true value (elementwise.c).
void cfcam_erf(const float *x, float *y, long n, int gelu, int simd);
/// Softmax of each of `rows` contiguous rows of n floats (max subtracted first; a row whose
/// maximum is not finite subtracts 0, as the Swift Softmax does).
void cfcam_softmax_rows(const float *x, float *y, long rows, long n, int simd);
/// LayerNormalization of `rows` contiguous rows of n floats (layernorm.c): mean, biased variance,
/// y = (x - mean) / sqrt(var + eps) * scale[i] + bias[i] (bias may be NULL), float statistics in 16
/// lanes. AVX-512 only: call only when cfcam_sgemm_available() returned 1.
void cfcam_layernorm_rows(const float *x, float *y, long rows, long n, const float *scale, const float *bias,
                          float eps);
/// out[p] = mean of x[p * size ..< (p + 1) * size] for p < planes (0 for empty planes).
void cfcam_plane_means(const float *x, float *out, long planes, long size, int simd);
/// y[p * size + i] = x[p * size + i] * s[p] for p < planes, i < size; y may be x.
void cfcam_scale_planes(const float *x, const float *s, float *y, long planes, long size, int simd);
/// y[i] = a[i] + b[i] for i < n; y may be a or b (the residual Add, in place).
void cfcam_add(const float *a, const float *b, float *y, long n);
#endif
