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

/// erf(x): Eigen's rational approximation on [-4, 4] (x clamped there, where erf is within 2e-8 of
/// +-1), an odd degree-13 numerator over an even degree-8 denominator; max |error| 4.2e-7.
CK_AVX512 CK_INLINE __m512 ck_erf16(__m512 a) {
    __m512 x = _mm512_min_ps(_mm512_set1_ps(4.0f), _mm512_max_ps(_mm512_set1_ps(-4.0f), a));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.10102402082508e-06f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-5.69250639462346e-05f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-7.34990630326855e-04f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.95459980854025e-03f));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.60960333262415e-02f));
    p = _mm512_mul_ps(p, x);
    __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-2.13374055278905e-04f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.68282697438203e-03f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-7.37332916720468e-03f));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.42647390514189e-02f));
    return _mm512_div_ps(p, q);
}

/// The activation fused into a kernel's store (CFCAM_ACT_*; clip bounds lo / hi), 16 lanes.
CK_AVX512 CK_INLINE __m512 ck_act16(__m512 v, int act, __m512 lo, __m512 hi) {
    switch (act) {
    case CFCAM_ACT_RELU: return _mm512_max_ps(_mm512_setzero_ps(), v);   // max_ps returns v when v is NaN
    case CFCAM_ACT_CLIP: return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
    case CFCAM_ACT_HARDSWISH: {
        __m512 t = _mm512_add_ps(_mm512_div_ps(v, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
        t = _mm512_max_ps(_mm512_setzero_ps(), _mm512_min_ps(_mm512_set1_ps(1.0f), t));
        return _mm512_mul_ps(v, t);
    }
    case CFCAM_ACT_SIGMOID: return ck_sigmoid16(v);
    case CFCAM_ACT_SILU: return _mm512_mul_ps(v, ck_sigmoid16(v));
    default: return v;
    }
}

#endif
#endif
