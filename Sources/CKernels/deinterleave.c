// Splitting interleaved 32-bit values into planes: dst[c * n + i] = src[i * a + c] (c < a, i < n).
// This is the copy behind a Transpose that moves a short last axis forward, as every NHWC model
// starts with ([N, H, W, 3] -> [N, 3, H, W], a = 3); element by element it ran at ~0.4 ns a value.
// AVX-512: sixteen positions at a time, their 16 * a values loaded as a vectors; output plane c
// takes lanes c, c + a, ... by one two-source permute per pair of vectors (the permute reads the
// low five bits of the index, so the same index vector serves every pair, each pair under its own
// lane mask).
#include "include/ckernels.h"
#include <stdint.h>

static void deinterleave_plain(const uint32_t *src, long n, long a, uint32_t *dst, long i0) {
    for (long c = 0; c < a; c++)
        for (long i = i0; i < n; i++) dst[c * n + i] = src[i * a + c];
}

#if defined(__x86_64__)
#include "ck_simd.h"

/// `a` a compile-time constant at each call site, so the vectors stay in registers.
CK_AVX512 CK_INLINE void deinterleave_avx512(const long a, const uint32_t *src, long n, uint32_t *dst) {
    __m512i idx[16];
    __mmask16 pair[16][8];
    long pairs = (a + 1) / 2;
    for (long c = 0; c < a; c++) {
        int32_t lanes[16];
        for (int k = 0; k < 16; k++) lanes[k] = (int32_t)(c + a * k);
        idx[c] = _mm512_loadu_si512(lanes);
        for (long p = 0; p < pairs; p++) {
            __mmask16 m = 0;
            for (int k = 0; k < 16; k++) if ((c + a * k) / 32 == p) m |= (__mmask16)(1u << k);
            pair[c][p] = m;
        }
    }
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i r[17];
        const uint32_t *s = src + i * a;
        for (long v = 0; v < a; v++) r[v] = _mm512_loadu_si512(s + 16 * v);
        r[a] = _mm512_setzero_si512();
        for (long c = 0; c < a; c++) {
            __m512i out = _mm512_setzero_si512();
            for (long p = 0; p < pairs; p++)
                out = _mm512_mask_mov_epi32(out, pair[c][p], _mm512_permutex2var_epi32(r[2 * p], idx[c], r[2 * p + 1]));
            _mm512_storeu_si512(dst + c * n + i, out);
        }
    }
    deinterleave_plain(src, n, a, dst, i);
}

CK_AVX512 static void deinterleave_simd(const uint32_t *s, long n, long a, uint32_t *d) {
    switch (a) {
    case 2: deinterleave_avx512(2, s, n, d); break;
    case 3: deinterleave_avx512(3, s, n, d); break;
    case 4: deinterleave_avx512(4, s, n, d); break;
    case 5: deinterleave_avx512(5, s, n, d); break;
    case 6: deinterleave_avx512(6, s, n, d); break;
    case 7: deinterleave_avx512(7, s, n, d); break;
    case 8: deinterleave_avx512(8, s, n, d); break;
    case 9: deinterleave_avx512(9, s, n, d); break;
    case 10: deinterleave_avx512(10, s, n, d); break;
    case 11: deinterleave_avx512(11, s, n, d); break;
    case 12: deinterleave_avx512(12, s, n, d); break;
    case 13: deinterleave_avx512(13, s, n, d); break;
    case 14: deinterleave_avx512(14, s, n, d); break;
    case 15: deinterleave_avx512(15, s, n, d); break;
    default: deinterleave_avx512(16, s, n, d); break;
    }
}

void cfcam_deinterleave32(const void *src, long n, long a, void *dst) {
    if (a >= 2 && a <= 16 && cfcam_sgemm_available()) deinterleave_simd((const uint32_t *)src, n, a, (uint32_t *)dst);
    else deinterleave_plain((const uint32_t *)src, n, a, (uint32_t *)dst, 0);
}
#else
void cfcam_deinterleave32(const void *src, long n, long a, void *dst) {
    deinterleave_plain((const uint32_t *)src, n, a, (uint32_t *)dst, 0);
}
#endif
