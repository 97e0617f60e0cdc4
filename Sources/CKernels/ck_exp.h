// The AVX-512 exponential and logistic function shared by cfcam's C kernels (private to CKernels;
// include after ck_simd.h). e^x: x = k ln2 + r (ln2 split in two parts), e^r by Cephes' degree-6
// polynomial (about 1 ulp), times 2^k (scalef); x is clamped to [-88, 88] first, where e^x stays
// finite (NaN passes the clamp unchanged: max_ps / min_ps return their second operand then).
#ifndef CFCAM_CK_EXP_H
#define CFCAM_CK_EXP_H
#if defined(__x86_64__)
CK_AVX512 CK_INLINE __m512 ck_exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-88.0f), x));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, k);
}

/// 1 / (1 + e^-x); NaN stays NaN.
CK_AVX512 CK_INLINE __m512 ck_sigmoid16(__m512 x) {
    __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, ck_exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

#endif
#endif
