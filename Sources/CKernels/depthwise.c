// cfcam's direct depthwise convolution (group == input channels), with the bias and a fused
// activation applied before the store.
//
// Each plane is first copied into a zero-padded scratch copy whose rows are split into `sw`
// phases (column c of the padded row goes to phase c % sw at index c / sw). Output column ox,
// tap kx then reads phase (kx*dw) % sw at index ox + (kx*dw) / sw: for every stride and
// dilation the inner loop is a plain contiguous load, 16 outputs at a time, and no bounds test.
// The padded copy also has slack after each phase so the last (masked) vector may over-read.
// Stride-2 rows are split into their two phases with AVX-512 permutes (32 columns at a time).
// The portable loop reads the same copy; AVX-512 runs only where cfcam_sgemm_available() said so.
#include "include/ckernels.h"
#include <math.h>
#include <string.h>

static inline long dw_round16(long n) { return (n + 15) / 16 * 16; }

/// Floats of one phase of a padded row: the vectors the outputs read, plus the largest tap offset.
static long dw_phase_len(const cfcam_window *g) {
    long need = dw_round16(g->ow) + ((g->kw - 1) * g->dw) / g->sw + 1;
    long cols = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1;   // padded columns the outputs touch
    long have = (cols + g->sw - 1) / g->sw;
    return dw_round16(need > have ? need : have);
}

static long dw_rows(const cfcam_window *g) { return (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1; }

long cfcam_depthwise_scratch(const cfcam_window *g) { return dw_rows(g) * g->sw * dw_phase_len(g); }

static int dw_pad_row_s2(const cfcam_window *g, const float *src, float *dst, int simd);

/// The padded, phase-split copy of one input plane (`simd`: stride-2 rows split with AVX-512).
static void dw_pad(const cfcam_window *g, const float *x, float *pad, int simd) {
    long rows = dw_rows(g), sw = g->sw, len = dw_phase_len(g), stride = sw * len;
    for (long r = 0; r < rows; r++) {
        float *dst = pad + r * stride;
        long iy = r - g->ph;
        if (iy < 0 || iy >= g->ih) { memset(dst, 0, (size_t)stride * sizeof(float)); continue; }
        const float *src = x + iy * g->iw;
        if (sw == 1) {
            long lead = g->pw < len ? g->pw : len;
            memset(dst, 0, (size_t)lead * sizeof(float));
            long n = g->iw < len - lead ? g->iw : len - lead;
            if (n > 0) memcpy(dst + lead, src, (size_t)n * sizeof(float));
            long done = lead + (n > 0 ? n : 0);
            if (done < len) memset(dst + done, 0, (size_t)(len - done) * sizeof(float));
            continue;
        }
        if (sw == 2 && dw_pad_row_s2(g, src, dst, simd)) continue;
        for (long q = 0; q < sw; q++) {
            float *ph = dst + q * len;
            for (long i = 0; i < len; i++) {
                long ix = i * sw + q - g->pw;
                ph[i] = ix >= 0 && ix < g->iw ? src[ix] : 0.0f;
            }
        }
    }
}

static inline float dw_act1(float v, int act, float lo, float hi) {
    switch (act) {
    case CFCAM_ACT_RELU: return v < 0.0f ? 0.0f : v;   // NaN stays NaN
    case CFCAM_ACT_CLIP: { float a = v < lo ? lo : v; return a > hi ? hi : a; }
    case CFCAM_ACT_HARDSWISH: {
        float t = v / 6.0f + 0.5f;
        t = t > 1.0f ? 1.0f : t;
        t = t < 0.0f ? 0.0f : t;
        return v * t;
    }
    case CFCAM_ACT_SIGMOID: case CFCAM_ACT_SILU: {
        float s = v >= 0 ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v));
        return act == CFCAM_ACT_SILU ? v * s : s;
    }
    default: return v;
    }
}

static void dw_plane_plain(const cfcam_window *g, const float *pad, const float *w, float b, float *y,
                           int act, float lo, float hi) {
    long len = dw_phase_len(g), stride = g->sw * len;
    for (long oy = 0; oy < g->oh; oy++) {
        float *yr = y + oy * g->ow;
        for (long ox = 0; ox < g->ow; ox++) yr[ox] = b;
        for (long ky = 0; ky < g->kh; ky++) {
            const float *row = pad + (oy * g->sh + ky * g->dh) * stride;
            for (long kx = 0; kx < g->kw; kx++) {
                long t = kx * g->dw;
                const float *src = row + (t % g->sw) * len + t / g->sw;
                float wv = w[ky * g->kw + kx];
                for (long ox = 0; ox < g->ow; ox++) yr[ox] += wv * src[ox];
            }
        }
        if (act != CFCAM_ACT_NONE)
            for (long ox = 0; ox < g->ow; ox++) yr[ox] = dw_act1(yr[ox], act, lo, hi);
    }
}

void cfcam_activate(float *y, long n, int act, float lo, float hi) {
    if (act == CFCAM_ACT_NONE) return;
    for (long i = 0; i < n; i++) y[i] = dw_act1(y[i], act, lo, hi);
}

#if defined(__x86_64__)
#include "ck_simd.h"
#include "ck_exp.h"

/// One plane, `act` a compile-time constant at each call site.
CK_AVX512 CK_INLINE void dw_plane_avx512(const int act, const cfcam_window *g, const float *pad, const float *w,
                                         float b, float *y, float lo, float hi) {
    long len = dw_phase_len(g), stride = g->sw * len, taps = g->kh * g->kw;
    long off[64];
    for (long ky = 0; ky < g->kh; ky++)
        for (long kx = 0; kx < g->kw; kx++) {
            long t = kx * g->dw;
            off[ky * g->kw + kx] = ky * g->dh * stride + (t % g->sw) * len + t / g->sw;
        }
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), vb = _mm512_set1_ps(b);
    for (long oy = 0; oy < g->oh; oy++) {
        const float *row = pad + oy * g->sh * stride;
        float *yr = y + oy * g->ow;
        long ox = 0;
        // Two vectors at a time (independent accumulators), then one masked tail.
        for (; ox + 32 <= g->ow; ox += 32) {
            __m512 a0 = vb, a1 = vb;
            for (long t = 0; t < taps; t++) {
                __m512 wv = _mm512_set1_ps(w[t]);
                const float *s = row + off[t] + ox;
                a0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s), a0);
                a1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 16), a1);
            }
            _mm512_storeu_ps(yr + ox, ck_act16(a0, act, vlo, vhi));
            _mm512_storeu_ps(yr + ox + 16, ck_act16(a1, act, vlo, vhi));
        }
        for (; ox < g->ow; ox += 16) {
            __m512 a0 = vb;
            for (long t = 0; t < taps; t++)
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_loadu_ps(row + off[t] + ox), a0);
            a0 = ck_act16(a0, act, vlo, vhi);
            if (ox + 16 <= g->ow) _mm512_storeu_ps(yr + ox, a0);
            else _mm512_mask_storeu_ps(yr + ox, ck_mask16(g->ow - ox), a0);
        }
    }
}

CK_AVX512 static void dw_plane_simd(const cfcam_window *g, const float *pad, const float *w, float b, float *y,
                                    int act, float lo, float hi) {
    switch (act) {
    case CFCAM_ACT_RELU: dw_plane_avx512(CFCAM_ACT_RELU, g, pad, w, b, y, lo, hi); break;
    case CFCAM_ACT_CLIP: dw_plane_avx512(CFCAM_ACT_CLIP, g, pad, w, b, y, lo, hi); break;
    case CFCAM_ACT_HARDSWISH: dw_plane_avx512(CFCAM_ACT_HARDSWISH, g, pad, w, b, y, lo, hi); break;
    case CFCAM_ACT_SIGMOID: dw_plane_avx512(CFCAM_ACT_SIGMOID, g, pad, w, b, y, lo, hi); break;
    case CFCAM_ACT_SILU: dw_plane_avx512(CFCAM_ACT_SILU, g, pad, w, b, y, lo, hi); break;
    default: dw_plane_avx512(CFCAM_ACT_NONE, g, pad, w, b, y, lo, hi); break;
    }
}

CK_AVX512 static void activate_avx512(float *y, long n, int act, float lo, float hi) {
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, ck_act16(_mm512_loadu_ps(y + i), act, vlo, vhi));
    if (i < n) {
        __mmask16 m = ck_mask16(n - i);
        _mm512_mask_storeu_ps(y + i, m, ck_act16(_mm512_maskz_loadu_ps(m, y + i), act, vlo, vhi));
    }
}

static int dw_simd(int simd, const cfcam_window *g) {
    return simd && g->kh * g->kw <= 64 && cfcam_sgemm_available();
}

/// One stride-2 padded row: zero both phases, then 32 input columns at a time, split into even
/// and odd columns by two permutes and stored where their padded column (ix + pw) belongs.
CK_AVX512 static void dw_pad_row_s2_avx512(const cfcam_window *g, const float *src, float *dst) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    long len = dw_phase_len(g);
    float *ph0 = dst, *ph1 = dst + len;
    memset(dst, 0, (size_t)(2 * len) * sizeof(float));
    long end = 2 * len - g->pw;   // input columns past this land beyond the row
    if (end > g->iw) end = g->iw;
    for (long ix0 = 0; ix0 < end; ix0 += 32) {
        long n = end - ix0 < 32 ? end - ix0 : 32;
        __m512 a0 = _mm512_maskz_loadu_ps(ck_mask16(n), src + ix0);
        __m512 a1 = _mm512_maskz_loadu_ps(ck_mask16(n - 16), src + ix0 + 16);
        __m512 ev = _mm512_permutex2var_ps(a0, even, a1), od = _mm512_permutex2var_ps(a0, odd, a1);
        long ne = (n + 1) / 2, no = n / 2, c0 = ix0 + g->pw;
        if ((c0 & 1) == 0) {
            _mm512_mask_storeu_ps(ph0 + c0 / 2, ck_mask16(ne), ev);
            _mm512_mask_storeu_ps(ph1 + c0 / 2, ck_mask16(no), od);
        } else {
            _mm512_mask_storeu_ps(ph1 + (c0 - 1) / 2, ck_mask16(ne), ev);
            _mm512_mask_storeu_ps(ph0 + (c0 + 1) / 2, ck_mask16(no), od);
        }
    }
}

static int dw_pad_row_s2(const cfcam_window *g, const float *src, float *dst, int simd) {
    if (!(simd && cfcam_sgemm_available())) return 0;
    dw_pad_row_s2_avx512(g, src, dst);
    return 1;
}

void cfcam_activate_simd(float *y, long n, int act, float lo, float hi, int simd) {
    if (act == CFCAM_ACT_NONE) return;
    if (simd && cfcam_sgemm_available()) activate_avx512(y, n, act, lo, hi);
    else cfcam_activate(y, n, act, lo, hi);
}
#else
static int dw_simd(int simd, const cfcam_window *g) { (void)simd; (void)g; return 0; }
static int dw_pad_row_s2(const cfcam_window *g, const float *src, float *dst, int simd) {
    (void)g; (void)src; (void)dst; (void)simd; return 0;
}
static void dw_plane_simd(const cfcam_window *g, const float *pad, const float *w, float b, float *y,
                          int act, float lo, float hi) { dw_plane_plain(g, pad, w, b, y, act, lo, hi); }
void cfcam_activate_simd(float *y, long n, int act, float lo, float hi, int simd) {
    (void)simd; cfcam_activate(y, n, act, lo, hi);
}
#endif

void cfcam_depthwise(const cfcam_window *g, const float *x, const float *w, const float *bias, float *y,
                     long p0, long p1, long channels, long multiplier, float *scratch, int act, float lo, float hi,
                     int simd) {
    long in_plane = g->ih * g->iw, out_plane = g->oh * g->ow, taps = g->kh * g->kw;
    long in_channels = channels / multiplier;
    int vec = dw_simd(simd, g);
    for (long p = p0; p < p1; p++) {
        long nb = p / channels, m = p % channels;
        const float *src = x + (nb * in_channels + m / multiplier) * in_plane;
        dw_pad(g, src, scratch, simd);
        float b = bias ? bias[m] : 0.0f;
        if (vec) dw_plane_simd(g, scratch, w + m * taps, b, y + p * out_plane, act, lo, hi);
        else dw_plane_plain(g, scratch, w + m * taps, b, y + p * out_plane, act, lo, hi);
    }
}
