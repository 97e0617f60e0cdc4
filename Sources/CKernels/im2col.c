// im2col for cfcam's convolutions: one (row, output row) run at a time, with the zero borders
// and the interior copy written inline (masked AVX-512 moves where the CPU has them) instead of
// memcpy / memset calls, which dominated on the 7x7 and 14x14 maps of late ResNet stages.
#include "include/ckernels.h"
#include <string.h>

static inline long floor_div(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline long ceil_div(long a, long b) { return -floor_div(-a, b); }
static inline long lmax(long a, long b) { return a > b ? a : b; }
static inline long lmin(long a, long b) { return a < b ? a : b; }

typedef void (*run_fn)(float *dst, const float *src, long n, long stride);
typedef void (*zero_fn)(float *dst, long n);

static void copy_plain(float *dst, const float *src, long n, long stride) {
    if (stride == 1) { memcpy(dst, src, (size_t)n * sizeof(float)); return; }
    for (long i = 0; i < n; i++) dst[i] = src[i * stride];
}
static void zero_plain(float *dst, long n) { memset(dst, 0, (size_t)n * sizeof(float)); }

#if defined(__x86_64__)
#include "ck_simd.h"

CK_AVX512 static void copy_avx512(float *dst, const float *src, long n, long stride) {
    if (stride == 1) {
        for (long i = 0; i < n; i += 16) {
            __mmask16 m = ck_mask16(n - i);
            _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
        }
    } else if (stride == 2) {
        const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (long i = 0; i < n; i += 16) {
            long left = n - i;                       // outputs still to write
            long span = 2 * (left < 16 ? left : 16) - 1; // source floats they read
            __m512 lo = _mm512_maskz_loadu_ps(ck_mask16(span), src + 2 * i);
            __m512 hi = _mm512_maskz_loadu_ps(span > 16 ? ck_mask16(span - 16) : 0, src + 2 * i + 16);
            _mm512_mask_storeu_ps(dst + i, ck_mask16(left), _mm512_permutex2var_ps(lo, evens, hi));
        }
    } else {
        const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i idx = _mm512_mullo_epi32(lanes, _mm512_set1_epi32((int)stride));
        for (long i = 0; i < n; i += 16) {
            __mmask16 m = ck_mask16(n - i);
            __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, src + i * stride, 4);
            _mm512_mask_storeu_ps(dst + i, m, v);
        }
    }
}

CK_AVX512 static void zero_avx512(float *dst, long n) {
    for (long i = 0; i < n; i += 16) _mm512_mask_storeu_ps(dst + i, ck_mask16(n - i), _mm512_setzero_ps());
}
#endif

void cfcam_im2col(const cfcam_window *g, const float *x, float *col, long ldcol, long r0, long r1, long c0, long c1,
                  int simd) {
    if (c1 <= c0 || g->ow <= 0) return;
    run_fn copy = copy_plain;
    zero_fn zero = zero_plain;
#if defined(__x86_64__)
    if (simd && cfcam_sgemm_available()) { copy = copy_avx512; zero = zero_avx512; }
#else
    (void)simd;
#endif
    long taps = g->kh * g->kw;
    long y_first = c0 / g->ow, y_last = (c1 - 1) / g->ow;
    for (long r = r0; r < r1; r++) {
        long c = r / taps, ky = (r / g->kw) % g->kh, kx = r % g->kw;
        float *dst = col + (r - r0) * ldcol - c0;
        const float *plane = x + c * g->ih * g->iw;
        // Output rows / columns whose tap lands inside the input.
        long yoff = ky * g->dh - g->ph, xoff = kx * g->dw - g->pw;
        long ylo = lmax(0, ceil_div(-yoff, g->sh)), yhi = lmin(g->oh, floor_div(g->ih - 1 - yoff, g->sh) + 1);
        long xlo = lmax(0, ceil_div(-xoff, g->sw)), xhi = lmin(g->ow, floor_div(g->iw - 1 - xoff, g->sw) + 1);
        for (long y = y_first; y <= y_last; y++) {
            long a = y == y_first ? c0 - y * g->ow : 0;
            long b = y == y_last ? c1 - y * g->ow : g->ow;
            float *row = dst + y * g->ow;
            long lo = lmax(a, xlo), hi = lmin(b, xhi);
            if (y < ylo || y >= yhi || lo >= hi) { zero(row + a, b - a); continue; }
            if (lo > a) zero(row + a, lo - a);
            const float *srow = plane + (y * g->sh + yoff) * g->iw + xoff;
            copy(row + lo, srow + lo * g->sw, hi - lo, g->sw);
            if (hi < b) zero(row + hi, b - hi);
        }
    }
}
