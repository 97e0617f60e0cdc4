// Element-wise kernels of the fast forward: the logistic function (Sigmoid, and x * sigmoid(x),
// SiLU / Swish, the activation EfficientNet exporters leave as Sigmoid + Mul), erf and the exact
// GELU 0.5 x (1 + erf(x / sqrt 2)) (ck_erf16), softmax over contiguous rows, per-plane means
// (GlobalAveragePool) and per-plane scaling (the squeeze-excite gate, x[n][c][.] * s[n][c]).
//
// The AVX-512 exponential (ck_exp.h): x = k ln2 + r (|r| <= ln2 / 2, ln2 split in two parts), e^r by Cephes'
// degree-6 polynomial (about 1 ulp), times 2^k (scalef). Inputs are clamped to [-88, 88] first,
// where e^x stays finite (NaN passes the clamp unchanged), so the sigmoid's tails are 0 and 1
// to within 1e-38. The portable loops use libm's expf, as the Swift Sigmoid op does.
#include "include/ckernels.h"
#include <math.h>

static inline float sigmoid1(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

static void logistic_plain(const float *x, float *y, long n, int silu) {
    for (long i = 0; i < n; i++) y[i] = silu ? x[i] * sigmoid1(x[i]) : sigmoid1(x[i]);
}

static void erf_plain(const float *x, float *y, long n, int gelu) {
    for (long i = 0; i < n; i++) y[i] = gelu ? 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f)) : erff(x[i]);
}

static void softmax_rows_plain(const float *x, float *y, long rows, long n) {
    for (long r = 0; r < rows; r++) {
        const float *s = x + r * n;
        float *d = y + r * n;
        float m = -INFINITY, sum = 0;
        for (long k = 0; k < n; k++) m = s[k] > m ? s[k] : m;
        if (!isfinite(m)) m = 0;
        for (long k = 0; k < n; k++) { d[k] = expf(s[k] - m); sum += d[k]; }
        float inv = 1.0f / sum;
        for (long k = 0; k < n; k++) d[k] *= inv;
    }
}

static void plane_means_plain(const float *x, float *out, long planes, long size) {
    for (long p = 0; p < planes; p++) {
        const float *s = x + p * size;
        float acc = 0;
        for (long i = 0; i < size; i++) acc += s[i];
        out[p] = size ? acc / (float)size : 0.0f;
    }
}

static void scale_planes_plain(const float *x, const float *s, float *y, long planes, long size) {
    for (long p = 0; p < planes; p++)
        for (long i = 0; i < size; i++) y[p * size + i] = x[p * size + i] * s[p];
}

#if defined(__x86_64__)
#include "ck_simd.h"
#include "ck_exp.h"

CK_AVX512 static void logistic_avx512(const float *x, float *y, long n, int silu) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = ck_mask16(n - i);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i), s = ck_sigmoid16(v);
        _mm512_mask_storeu_ps(y + i, m, silu ? _mm512_mul_ps(v, s) : s);
    }
}

CK_AVX512 static void erf_avx512(const float *x, float *y, long n, int gelu) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = ck_mask16(n - i);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        __m512 r;
        if (gelu) {
            __m512 e = ck_erf16(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)));
            r = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
        } else {
            r = ck_erf16(v);
        }
        _mm512_mask_storeu_ps(y + i, m, r);
    }
}

CK_AVX512 static void softmax_rows_avx512(const float *x, float *y, long rows, long n) {
    for (long r = 0; r < rows; r++) {
        const float *s = x + r * n;
        float *d = y + r * n;
        __m512 mv = _mm512_set1_ps(-INFINITY);
        for (long k = 0; k < n; k += 16) mv = _mm512_max_ps(mv, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), ck_mask16(n - k), s + k));
        float m = _mm512_reduce_max_ps(mv);
        if (!isfinite(m)) m = 0;
        __m512 vm = _mm512_set1_ps(m), sv = _mm512_setzero_ps();
        for (long k = 0; k < n; k += 16) {
            __mmask16 mk = ck_mask16(n - k);
            __m512 e = ck_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, s + k), vm));
            _mm512_mask_storeu_ps(d + k, mk, e);
            sv = _mm512_mask_add_ps(sv, mk, sv, e);
        }
        __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sv));
        for (long k = 0; k < n; k += 16) {
            __mmask16 mk = ck_mask16(n - k);
            _mm512_mask_storeu_ps(d + k, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, d + k), inv));
        }
    }
}

CK_AVX512 static void plane_means_avx512(const float *x, float *out, long planes, long size) {
    for (long p = 0; p < planes; p++) {
        const float *s = x + p * size;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        long i = 0;
        for (; i + 64 <= size; i += 64) {
            a0 = _mm512_add_ps(a0, _mm512_loadu_ps(s + i));
            a1 = _mm512_add_ps(a1, _mm512_loadu_ps(s + i + 16));
            a2 = _mm512_add_ps(a2, _mm512_loadu_ps(s + i + 32));
            a3 = _mm512_add_ps(a3, _mm512_loadu_ps(s + i + 48));
        }
        for (; i < size; i += 16) a0 = _mm512_add_ps(a0, _mm512_maskz_loadu_ps(ck_mask16(size - i), s + i));
        float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
        out[p] = size ? sum / (float)size : 0.0f;
    }
}

CK_AVX512 static void scale_planes_avx512(const float *x, const float *s, float *y, long planes, long size) {
    for (long p = 0; p < planes; p++) {
        __m512 g = _mm512_set1_ps(s[p]);
        const float *xp = x + p * size;
        float *yp = y + p * size;
        long i = 0;
        for (; i + 16 <= size; i += 16) _mm512_storeu_ps(yp + i, _mm512_mul_ps(_mm512_loadu_ps(xp + i), g));
        if (i < size) {
            __mmask16 m = ck_mask16(size - i);
            _mm512_mask_storeu_ps(yp + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, xp + i), g));
        }
    }
}

static int use_simd(int simd) { return simd && cfcam_sgemm_available(); }
#else
static int use_simd(int simd) { (void)simd; return 0; }
#define logistic_avx512 logistic_plain
#define erf_avx512 erf_plain
#define softmax_rows_avx512 softmax_rows_plain
#define plane_means_avx512 plane_means_plain
#define scale_planes_avx512 scale_planes_plain
#endif

void cfcam_logistic(const float *x, float *y, long n, int silu, int simd) {
    if (use_simd(simd)) logistic_avx512(x, y, n, silu);
    else logistic_plain(x, y, n, silu);
}

void cfcam_plane_means(const float *x, float *out, long planes, long size, int simd) {
    if (use_simd(simd)) plane_means_avx512(x, out, planes, size);
    else plane_means_plain(x, out, planes, size);
}

void cfcam_scale_planes(const float *x, const float *s, float *y, long planes, long size, int simd) {
    if (use_simd(simd)) scale_planes_avx512(x, s, y, planes, size);
    else scale_planes_plain(x, s, y, planes, size);
}

void cfcam_erf(const float *x, float *y, long n, int gelu, int simd) {
    if (use_simd(simd)) erf_avx512(x, y, n, gelu);
    else erf_plain(x, y, n, gelu);
}

void cfcam_softmax_rows(const float *x, float *y, long rows, long n, int simd) {
    if (use_simd(simd)) softmax_rows_avx512(x, y, rows, n);
    else softmax_rows_plain(x, y, rows, n);
}

void cfcam_add(const float *a, const float *b, float *y, long n) {
    // Memory-bound: the compiler's vector loop (SSE2 on any x86-64) keeps up with the bus.
    for (long i = 0; i < n; i++) y[i] = a[i] + b[i];
}
