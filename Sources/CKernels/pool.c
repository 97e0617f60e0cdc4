// cfcam's separable max-pool (Pool.swift): the vertical pass (element-wise maximum of rows) and
// the horizontal pass for the common 3-wide, stride-2 window (ResNet / VGG-style stems), 16
// outputs at a time. NaN propagates: any NaN in a window gives NaN, as in onnxruntime and PyTorch.
#include "include/ckernels.h"

static inline float nanmax1(float a, float b) { return (b > a || b != b) && a == a ? b : a; }

static void max3s2_plain(const float *row, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = nanmax1(nanmax1(row[2 * i], row[2 * i + 1]), row[2 * i + 2]);
}

static void max_into_plain(float *dst, const float *src, long n) {
    for (long i = 0; i < n; i++) dst[i] = nanmax1(dst[i], src[i]);
}

#if defined(__x86_64__)
#include "ck_simd.h"

CK_AVX512 static inline __m512 nanmax16(__m512 a, __m512 b) {
    // max_ps returns b when either is NaN: keep a where a is NaN.
    return _mm512_mask_mov_ps(_mm512_max_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
}

CK_AVX512 static void max3s2_avx512(const float *row, float *out, long n) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    long len = 2 * n + 1;   // floats of `row` the n windows read
    for (long i = 0; i < n; i += 16) {
        const float *r = row + 2 * i;
        long avail = len - 2 * i;
        __m512 a0, a1, b0, b1;
        if (avail >= 34) {   // plain loads where possible: `row` was just written (see max_into)
            a0 = _mm512_loadu_ps(r); a1 = _mm512_loadu_ps(r + 16);
            b0 = _mm512_loadu_ps(r + 2); b1 = _mm512_loadu_ps(r + 18);
        } else {
            a0 = _mm512_maskz_loadu_ps(ck_mask16(avail), r); a1 = _mm512_maskz_loadu_ps(ck_mask16(avail - 16), r + 16);
            b0 = _mm512_maskz_loadu_ps(ck_mask16(avail - 2), r + 2); b1 = _mm512_maskz_loadu_ps(ck_mask16(avail - 18), r + 18);
        }
        __m512 e = _mm512_permutex2var_ps(a0, even, a1), o = _mm512_permutex2var_ps(a0, odd, a1);
        __m512 e2 = _mm512_permutex2var_ps(b0, even, b1);
        _mm512_mask_storeu_ps(out + i, ck_mask16(n - i), nanmax16(nanmax16(e, o), e2));
    }
}

// Full vectors use plain loads and stores: the next row's pass reloads `dst` at once, and masked
// stores do not forward to later loads (measured 2x slower on Zen 5).
CK_AVX512 static void max_into_avx512(float *dst, const float *src, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, nanmax16(_mm512_loadu_ps(dst + i), _mm512_loadu_ps(src + i)));
    if (i < n) {
        __mmask16 m = ck_mask16(n - i);
        __m512 a = _mm512_maskz_loadu_ps(m, dst + i), b = _mm512_maskz_loadu_ps(m, src + i);
        _mm512_mask_storeu_ps(dst + i, m, nanmax16(a, b));
    }
}

void cfcam_max_into(float *dst, const float *src, long n, int simd) {
    if (simd && cfcam_sgemm_available()) max_into_avx512(dst, src, n);
    else max_into_plain(dst, src, n);
}

void cfcam_max3s2(const float *row, float *out, long n, int simd) {
    if (simd && cfcam_sgemm_available()) max3s2_avx512(row, out, n);
    else max3s2_plain(row, out, n);
}
#else
void cfcam_max3s2(const float *row, float *out, long n, int simd) { (void)simd; max3s2_plain(row, out, n); }
void cfcam_max_into(float *dst, const float *src, long n, int simd) { (void)simd; max_into_plain(dst, src, n); }
#endif
