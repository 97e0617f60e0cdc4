// Narrow products for cfcam's convolutions: C[m x n] = W[m x k] X[k x n] (+ bias[row]), then the
// fused activation, for n < 16 output columns (a 1x1 convolution on a 3x3 map: n = 9).
//
// The 8x48 tile of sgemm_avx512.c puts the columns in the vector lanes, so n = 9 fills 9 of 16.
// Here the product is computed transposed, C^T = X^T W^T, with 16 output channels in the lanes and
// the n positions as the tile's rows (n x 48 channels: at most 27 accumulators). W^T is packed
// once per constant weight by the caller (cfcam_sgemm_narrow_pack) into panels of 48 channels,
// each k x 48 contiguous, so a tile streams its weights sequentially (they come from memory once
// per forward pass; row-major W^T made each tile read 3 cache lines per row, a row 4 m bytes
// apart, which the hardware prefetchers followed badly: 1.5x slower in the model than hot).
// X^T [n x k] is made per call into the scratch. Each 16-channel block of the result is
// transposed back in registers (16 x 16) and stored as 16 rows of n floats.
#include "include/ckernels.h"

void cfcam_transpose(const float *src, long rows, long cols, long lds, float *dst, long ldd) {
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) dst[j * ldd + i] = src[i * lds + j];
}

long cfcam_sgemm_narrow_scratch(long n, long k) { return n * k; }

long cfcam_sgemm_narrow_packed_size(long m, long k) { return (m + 47) / 48 * 48 * k; }

void cfcam_sgemm_narrow_pack(const float *w, long m, long k, float *wp) {
    for (long i0 = 0; i0 < m; i0 += 48)
        for (long p = 0; p < k; p++)
            for (long c = 0; c < 48; c++) wp[i0 * k + p * 48 + c] = i0 + c < m ? w[(i0 + c) * k + p] : 0.0f;
}

#if defined(__x86_64__)
#include "ck_simd.h"
#include "ck_exp.h"

#define CK_UNROLL _Pragma("clang loop unroll(full)")

/// Channels i0 ..< i0 + 16 nv (mc valid) for all R positions: R and nv compile-time constants.
/// Position r's value at depth p is xt[r * rs + p * ps] (rs = k, ps = 1: the transposed copy; rs =
/// 1, ps = ldx: X read in place).
CK_AVX512 CK_INLINE void narrow_tile(const int R, const int nv, long k, const float *xt, long rs, long ps,
                                     const float *wt, long ldwt, long mc, float *c, long ldc, const float *bias,
                                     int act, float lo, float hi) {
    __m512 acc[9][3];
    __mmask16 mk[3];
    CK_UNROLL
    for (int v = 0; v < nv; v++) mk[v] = ck_mask16(mc - 16 * v);
    CK_UNROLL
    for (int r = 0; r < R; r++)
        CK_UNROLL
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < k; p++) {
        __m512 bv[3];
        CK_UNROLL
        for (int v = 0; v < nv; v++) bv[v] = _mm512_maskz_loadu_ps(mk[v], wt + p * ldwt + 16 * v);
        CK_UNROLL
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_set1_ps(xt[r * rs + p * ps]);
            CK_UNROLL
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    CK_UNROLL
    for (int v = 0; v < nv; v++) {
        if (16 * v >= mc) break;
        __m512 b = bias ? _mm512_maskz_loadu_ps(mk[v], bias + 16 * v) : _mm512_setzero_ps();
        __m512 px[16];
        CK_UNROLL
        for (int r = 0; r < 16; r++)
            px[r] = r < R ? ck_act16(_mm512_add_ps(acc[r][v], b), act, vlo, vhi) : _mm512_setzero_ps();
        ck_transpose16(px);   // px[l] = positions 0..<R of channel 16 v + l
        long valid = mc - 16 * v < 16 ? mc - 16 * v : 16;
        for (long l = 0; l < valid; l++) _mm512_mask_storeu_ps(c + (16 * v + l) * ldc, ck_mask16(R), px[l]);
    }
}

CK_AVX512 CK_INLINE void narrow_rows(const int R, long m, long k, const float *xt, const float *wp,
                                     float *c, long ldc, const float *bias, int act, float lo, float hi) {
    // 48 channels per tile (R x 3 accumulators, R <= 9: at most 27 of the 32 registers), one panel.
    for (long i = 0; i < m; i += 48) {
        long mc = m - i < 48 ? m - i : 48;
        const float *bi = bias ? bias + i : 0, *panel = wp + i * k;
        if (mc > 32) narrow_tile(R, 3, k, xt, k, 1, panel, 48, mc, c + i * ldc, ldc, bi, act, lo, hi);
        else if (mc > 16) narrow_tile(R, 2, k, xt, k, 1, panel, 48, mc, c + i * ldc, ldc, bi, act, lo, hi);
        else narrow_tile(R, 1, k, xt, k, 1, panel, 48, mc, c + i * ldc, ldc, bi, act, lo, hi);
    }
}

/// One out-of-line function per row count, each compiled on its own so that its accumulators stay
/// in registers (all inlined into one dispatcher, clang kept them in a stack array).
#define CK_NARROW_FN(R)                                                                                        \
    CK_AVX512 __attribute__((noinline)) static void narrow_##R(long m, long k, const float *xt, const float *wp, \
                                                               float *c, long ldc, const float *bias, int act, \
                                                               float lo, float hi) {                           \
        narrow_rows(R, m, k, xt, wp, c, ldc, bias, act, lo, hi);                                               \
    }
CK_NARROW_FN(1)
CK_NARROW_FN(2)
CK_NARROW_FN(3)
CK_NARROW_FN(4)
CK_NARROW_FN(5)
CK_NARROW_FN(6)
CK_NARROW_FN(7)
CK_NARROW_FN(8)
CK_NARROW_FN(9)

CK_AVX512 static void narrow_avx512(long m, long n, long k, const float *wt, const float *xt, float *c,
                                    long ldc, const float *bias, int act, float lo, float hi) {
    switch (n) {
    case 1: narrow_1(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    case 2: narrow_2(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    case 3: narrow_3(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    case 4: narrow_4(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    case 5: narrow_5(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    case 6: narrow_6(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    case 7: narrow_7(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    case 8: narrow_8(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    default: narrow_9(m, k, xt, wt, c, ldc, bias, act, lo, hi); break;
    }
}

/// Positions j0 ..< j0 + R of one 48-channel panel (mc valid channels), X read in place.
#define CK_LANES_FN(R)                                                                                         \
    CK_AVX512 __attribute__((noinline)) static void lanes_##R(long k, const float *x, long ldx, const float *panel, \
                                                              long mc, float *c, long ldc, const float *bias,  \
                                                              int act, float lo, float hi) {                   \
        if (mc > 32) narrow_tile(R, 3, k, x, 1, ldx, panel, 48, mc, c, ldc, bias, act, lo, hi);                \
        else if (mc > 16) narrow_tile(R, 2, k, x, 1, ldx, panel, 48, mc, c, ldc, bias, act, lo, hi);           \
        else narrow_tile(R, 1, k, x, 1, ldx, panel, 48, mc, c, ldc, bias, act, lo, hi);                        \
    }
CK_LANES_FN(1)
CK_LANES_FN(2)
CK_LANES_FN(3)
CK_LANES_FN(4)
CK_LANES_FN(5)
CK_LANES_FN(6)
CK_LANES_FN(7)
CK_LANES_FN(8)

CK_AVX512 static void lanes_block(long r, long k, const float *x, long ldx, const float *panel, long mc, float *c,
                                  long ldc, const float *bias, int act, float lo, float hi) {
    switch (r) {
    case 1: lanes_1(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    case 2: lanes_2(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    case 3: lanes_3(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    case 4: lanes_4(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    case 5: lanes_5(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    case 6: lanes_6(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    case 7: lanes_7(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    default: lanes_8(k, x, ldx, panel, mc, c, ldc, bias, act, lo, hi); break;
    }
}

int cfcam_sgemm_lanes(long m, long n, long k, long images, const float *wp, long p0, long p1, const float *x,
                      long ldx, long xstride, float *c, long ldc, long cstride, const float *bias, int act, float lo,
                      float hi) {
    if (n < 1 || k < 1 || images < 1 || !cfcam_sgemm_available()) return 0;
    for (long p = p0; p < p1; p++) {
        long i = 48 * p;
        if (i >= m) break;
        long mc = m - i < 48 ? m - i : 48;
        const float *panel = wp + i * k, *bi = bias ? bias + i : 0;
        // ceil(n / 8) blocks of near-equal size: 49 positions run as 7 x 7, not 6 x 8 + 1 (a
        // one-position block pays a whole pass over the panel for 3 FMAs per step).
        long blocks = (n + 7) / 8;
        for (long img = 0; img < images; img++)
            for (long b = 0; b < blocks; b++) {
                long j0 = b * n / blocks, j1 = (b + 1) * n / blocks;
                lanes_block(j1 - j0, k, x + img * xstride + j0, ldx, panel, mc, c + img * cstride + i * ldc + j0, ldc,
                            bi, act, lo, hi);
            }
    }
    return 1;
}

int cfcam_sgemm_narrow(long m, long n, long k, const float *wp, const float *x, long ldx, float *c, long ldc,
                       const float *bias, int act, float lo, float hi, float *scratch) {
    if (n < 1 || n > CFCAM_NARROW_MAX || k < 1 || !cfcam_sgemm_available()) return 0;
    cfcam_transpose(x, k, n, ldx, scratch, k);
    narrow_avx512(m, n, k, wp, scratch, c, ldc, bias, act, lo, hi);
    return 1;
}
#else
int cfcam_sgemm_lanes(long m, long n, long k, long images, const float *wp, long p0, long p1, const float *x,
                      long ldx, long xstride, float *c, long ldc, long cstride, const float *bias, int act, float lo,
                      float hi) {
    (void)m; (void)n; (void)k; (void)images; (void)wp; (void)p0; (void)p1; (void)x; (void)ldx; (void)xstride;
    (void)c; (void)ldc; (void)cstride; (void)bias; (void)act; (void)lo; (void)hi;
    return 0;
}

int cfcam_sgemm_narrow(long m, long n, long k, const float *wp, const float *x, long ldx, float *c, long ldc,
                       const float *bias, int act, float lo, float hi, float *scratch) {
    (void)m; (void)n; (void)k; (void)wp; (void)x; (void)ldx; (void)c; (void)ldc; (void)bias;
    (void)act; (void)lo; (void)hi; (void)scratch;
    return 0;
}
#endif
