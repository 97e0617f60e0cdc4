// cfcam's depthwise convolution on wide maps (stride 1 or 2, dilation 1), read straight from the
// input planes: no padded copy.
//
// Each load takes 16 lanes of one input row. Lanes whose column falls in the left or right
// padding are masked off (AVX-512 masked loads neither read nor fault there), so the zero padding
// costs nothing. Rows above or below the input read a zeroed row from the caller's scratch.
// The masks depend only on the column vector and the tap column, so they are computed once per
// call. A stride-2 tap loads 32 consecutive input columns and keeps the even ones (one permute);
// the next tap keeps the odd ones of the same load.
//
// Latency, not loads, bounded the plane kernel (depthwise.c): with two accumulators each FMA
// waited for the previous one. Here R output rows times V vectors (up to 8) accumulate
// independently; R and V are compile-time constants at each call site, so the loops unroll.
// The accumulation order (bias, then taps row by row) is the plane kernel's, so both agree bit
// for bit.
#include "include/ckernels.h"
#include <string.h>

#define DWD_MAX_VECTORS 32   // output width up to 512
#define DWD_MAX_KW 7

int cfcam_depthwise_direct_fits(const cfcam_window *g) {
    return (g->sw == 1 || g->sw == 2) && g->sh >= 1 && g->dw == 1 && g->dh == 1 && g->kw <= DWD_MAX_KW
        && g->kh <= 16 && (g->ow + 15) / 16 <= DWD_MAX_VECTORS && g->ow >= 1 && g->oh >= 1;
}

long cfcam_depthwise_direct_scratch(const cfcam_window *g) { return g->iw + 64; }

#if defined(__x86_64__)
#include "ck_simd.h"
#include "ck_exp.h"

typedef struct {
    __mmask16 m0[DWD_MAX_VECTORS][DWD_MAX_KW], m1[DWD_MAX_VECTORS][DWD_MAX_KW];
    long nv;
} dwd_masks;

/// Lanes l of a load starting at input column c that land inside [0, iw).
static __mmask16 dwd_mask(long c, long iw) {
    long lo = c < 0 ? -c : 0, hi = iw - c;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/// Stride 2: the even column offset e = kx - pw (or e - 1 when e is odd) a tap's 32 columns are
/// loaded from; an odd e takes the odd lanes of the same load as e - 1, so taps kx and kx + 1
/// share one load when kx - pw is even.
static long dwd_base(long kx, long pw) {
    long e = kx - pw;
    return (e & 1) ? e - 1 : e;
}

static void dwd_make_masks(const cfcam_window *g, dwd_masks *m) {
    m->nv = (g->ow + 15) / 16;
    for (long j = 0; j < m->nv; j++)
        for (long kx = 0; kx < g->kw; kx++) {
            long c = g->sw == 2 ? 32 * j + dwd_base(kx, g->pw) : 16 * j + kx - g->pw;
            m->m0[j][kx] = dwd_mask(c, g->iw);
            m->m1[j][kx] = dwd_mask(c + 16, g->iw);
        }
}

/// Stride 1: sixteen outputs' inputs for tap column kx, row[16 j + kx - pw + l], l < 16.
CK_AVX512 CK_INLINE __m512 dwd_load(const float *row, const dwd_masks *m, long j, long kx, long pw) {
    return _mm512_maskz_loadu_ps(m->m0[j][kx], row + 16 * j + kx - pw);
}

/// Output rows oy0..<oy0+R, column vectors j0..<j0+V of one plane.
CK_AVX512 CK_INLINE void dwd_block(const int s, const int R, const int V, const cfcam_window *g, const float *x,
                                   const float *zero, const float *w, float b, float *y, long oy0, long j0,
                                   const dwd_masks *m, int act, __m512 vlo, __m512 vhi) {
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_set1_ps(b);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (long ky = 0; ky < g->kh; ky++) {
        const float *rows[4];
        for (int r = 0; r < R; r++) {
            long iy = (oy0 + r) * g->sh + ky - g->ph;
            rows[r] = iy >= 0 && iy < g->ih ? x + iy * g->iw : zero;
        }
        if (s == 1) {
            for (long kx = 0; kx < g->kw; kx++) {
                __m512 wv = _mm512_set1_ps(w[ky * g->kw + kx]);
                for (int r = 0; r < R; r++)
                    for (int v = 0; v < V; v++)
                        acc[r][v] = _mm512_fmadd_ps(wv, dwd_load(rows[r], m, j0 + v, kx, g->pw), acc[r][v]);
            }
            continue;
        }
        // Stride 2: 32 input columns per output vector, loaded once per even offset and split
        // into even lanes (this tap) and odd lanes (the next tap, when its offset is odd).
        __m512 lo[4][4], hi[4][4];
        for (long kx = 0; kx < g->kw; kx++) {
            long e = kx - g->pw;
            if (kx == 0 || !(e & 1)) {
                long base = dwd_base(kx, g->pw);
                for (int r = 0; r < R; r++)
                    for (int v = 0; v < V; v++) {
                        const float *p = rows[r] + 32 * (j0 + v) + base;
                        lo[r][v] = _mm512_maskz_loadu_ps(m->m0[j0 + v][kx], p);
                        hi[r][v] = _mm512_maskz_loadu_ps(m->m1[j0 + v][kx], p + 16);
                    }
            }
            __m512 wv = _mm512_set1_ps(w[ky * g->kw + kx]);
            __m512i idx = (e & 1) ? odd : even;
            for (int r = 0; r < R; r++)
                for (int v = 0; v < V; v++)
                    acc[r][v] = _mm512_fmadd_ps(wv, _mm512_permutex2var_ps(lo[r][v], idx, hi[r][v]), acc[r][v]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *yr = y + (oy0 + r) * g->ow;
        for (int v = 0; v < V; v++) {
            long ox = 16 * (j0 + v);
            __m512 o = ck_act16(acc[r][v], act, vlo, vhi);
            if (ox + 16 <= g->ow) _mm512_storeu_ps(yr + ox, o);
            else _mm512_mask_storeu_ps(yr + ox, ck_mask16(g->ow - ox), o);
        }
    }
}

/// One row block: the columns in groups of four vectors, then the remainder.
CK_AVX512 CK_INLINE void dwd_rows(const int s, const int R, const cfcam_window *g, const float *x, const float *zero,
                                  const float *w, float b, float *y, long oy0, const dwd_masks *m, int act,
                                  __m512 vlo, __m512 vhi) {
    long j = 0;
    for (; j + 4 <= m->nv; j += 4) dwd_block(s, R, 4, g, x, zero, w, b, y, oy0, j, m, act, vlo, vhi);
    switch (m->nv - j) {
    case 3: dwd_block(s, R, 3, g, x, zero, w, b, y, oy0, j, m, act, vlo, vhi); break;
    case 2: dwd_block(s, R, 2, g, x, zero, w, b, y, oy0, j, m, act, vlo, vhi); break;
    case 1: dwd_block(s, R, 1, g, x, zero, w, b, y, oy0, j, m, act, vlo, vhi); break;
    default: break;
    }
}

/// One plane: two rows at a time (four when a row has at most two vectors at stride 1; at stride 2
/// the shared loads already hold 2R x V registers), then single rows.
CK_AVX512 CK_INLINE void dwd_plane(const int s, const cfcam_window *g, const float *x, const float *zero,
                                   const float *w, float b, float *y, const dwd_masks *m, int act, __m512 vlo,
                                   __m512 vhi) {
    long oy = 0;
    if (m->nv <= 2 && s == 1)
        for (; oy + 4 <= g->oh; oy += 4) dwd_rows(s, 4, g, x, zero, w, b, y, oy, m, act, vlo, vhi);
    for (; oy + 2 <= g->oh; oy += 2) dwd_rows(s, 2, g, x, zero, w, b, y, oy, m, act, vlo, vhi);
    for (; oy < g->oh; oy++) dwd_rows(s, 1, g, x, zero, w, b, y, oy, m, act, vlo, vhi);
}

CK_AVX512 static void dwd_plane_s1(const cfcam_window *g, const float *x, const float *zero, const float *w, float b,
                                   float *y, const dwd_masks *m, int act, __m512 vlo, __m512 vhi) {
    dwd_plane(1, g, x, zero, w, b, y, m, act, vlo, vhi);
}

CK_AVX512 static void dwd_plane_s2(const cfcam_window *g, const float *x, const float *zero, const float *w, float b,
                                   float *y, const dwd_masks *m, int act, __m512 vlo, __m512 vhi) {
    dwd_plane(2, g, x, zero, w, b, y, m, act, vlo, vhi);
}

CK_AVX512 static void dwd_run(const cfcam_window *g, const float *x, const float *w, const float *bias, float *y,
                              long p0, long p1, long channels, long multiplier, float *scratch, int act, float lo,
                              float hi) {
    dwd_masks m;
    dwd_make_masks(g, &m);
    memset(scratch, 0, (size_t)cfcam_depthwise_direct_scratch(g) * sizeof(float));
    const float *zero = scratch + 32;   // masked-off lanes may point before the row
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    long in_plane = g->ih * g->iw, out_plane = g->oh * g->ow, taps = g->kh * g->kw;
    long in_channels = channels / multiplier;
    for (long p = p0; p < p1; p++) {
        long nb = p / channels, c = p % channels;
        const float *src = x + (nb * in_channels + c / multiplier) * in_plane;
        float b = bias ? bias[c] : 0.0f;
        if (g->sw == 1) dwd_plane_s1(g, src, zero, w + c * taps, b, y + p * out_plane, &m, act, vlo, vhi);
        else dwd_plane_s2(g, src, zero, w + c * taps, b, y + p * out_plane, &m, act, vlo, vhi);
    }
}

int cfcam_depthwise_direct(const cfcam_window *g, const float *x, const float *w, const float *bias, float *y,
                           long p0, long p1, long channels, long multiplier, float *scratch, int act, float lo,
                           float hi) {
    if (!cfcam_depthwise_direct_fits(g) || !cfcam_sgemm_available()) return 0;
    dwd_run(g, x, w, bias, y, p0, p1, channels, multiplier, scratch, act, lo, hi);
    return 1;
}
#else
int cfcam_depthwise_direct(const cfcam_window *g, const float *x, const float *w, const float *bias, float *y,
                           long p0, long p1, long channels, long multiplier, float *scratch, int act, float lo,
                           float hi) {
    (void)g; (void)x; (void)w; (void)bias; (void)y; (void)p0; (void)p1; (void)channels; (void)multiplier;
    (void)scratch; (void)act; (void)lo; (void)hi;
    return 0;
}
#endif
