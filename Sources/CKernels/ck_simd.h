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
#endif
#endif
