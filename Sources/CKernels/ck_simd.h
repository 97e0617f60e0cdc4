// Shared by cfcam's C kernels (private to the CKernels target): the AVX-512 function attribute
// and the tail mask. Functions marked CK_AVX512 run only after cfcam_sgemm_available() said yes.
#ifndef CFCAM_CK_SIMD_H
#define CFCAM_CK_SIMD_H
#if defined(__x86_64__)
#include <immintrin.h>

#define CK_AVX512 __attribute__((target("avx512f,fma")))
#define CK_INLINE static inline __attribute__((always_inline))

/// Lanes 0..<n of a 16-lane vector: all for n >= 16, none for n <= 0.
static inline __mmask16 ck_mask16(long n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/// In-register 16x16 transpose: r[i] lane j becomes r[j] lane i (Winograd tiles, the narrow GEMM,
/// the channel-blocked depthwise kernel).
CK_AVX512 CK_INLINE void ck_transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    __m512 s[16];
    for (int i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
        __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
        s[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        s[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        s[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
        s[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    // s[4i + q], 128-bit lane L: column 4L + q, rows 4i..4i+3.
    for (int q = 0; q < 4; q++) {
        __m512 u0 = _mm512_shuffle_f32x4(s[q], s[4 + q], 0x44), u1 = _mm512_shuffle_f32x4(s[q], s[4 + q], 0xEE);
        __m512 u2 = _mm512_shuffle_f32x4(s[8 + q], s[12 + q], 0x44), u3 = _mm512_shuffle_f32x4(s[8 + q], s[12 + q], 0xEE);
        r[q] = _mm512_shuffle_f32x4(u0, u2, 0x88);
        r[4 + q] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
        r[8 + q] = _mm512_shuffle_f32x4(u1, u3, 0x88);
        r[12 + q] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
    }
}

#endif
#endif
