// cfcam's depthwise convolution for small maps (late MobileNet / EfficientNet stages: 3x3 to
// 14x14 outputs), where a plane-at-a-time kernel spends its time copying padded planes and
// filling 16-lane vectors with a handful of columns.
//
// Here the vector lanes are 16 channels instead: a block of 16 channels is transposed into a
// zero-padded channels-last copy P[row][col][16] (16x16 register transposes), every output position
// is then one vector accumulated over the taps (each tap weight a 16-channel vector), with the bias
// and the activation applied in registers, and the block is transposed back into the NCHW output.
// Multiplier 1 only (output channel c reads input channel c). AVX-512 only: callers check
// cfcam_sgemm_available() first.
#include "include/ckernels.h"
#include <string.h>

static long dwb_rows(const cfcam_window *g) { return (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1; }
static long dwb_cols(const cfcam_window *g) { return (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1; }

long cfcam_depthwise_blocked_scratch(const cfcam_window *g) {
    return (dwb_rows(g) * dwb_cols(g) + g->oh * g->ow + g->kh * g->kw) * 16;
}

long cfcam_depthwise_blocked_packed_size(long channels, long taps) { return (channels + 15) / 16 * taps * 16; }

void cfcam_depthwise_blocked_pack(const float *w, long channels, long taps, float *packed) {
    for (long c0 = 0; c0 < channels; c0 += 16)
        for (long t = 0; t < taps; t++)
            for (long c = 0; c < 16; c++)
                packed[(c0 / 16 * taps + t) * 16 + c] = c0 + c < channels ? w[(c0 + c) * taps + t] : 0.0f;
}

#if defined(__x86_64__)
#include "ck_simd.h"
#include "ck_exp.h"

/// One block: channels c0 ..< c0 + nc (nc <= 16) of one image, output rows oy0 ..< oy1; x and y
/// point at channel c0. The padded copy holds only the input rows those outputs read.
/// `packed`: this block's tap weights as channel vectors (cfcam_depthwise_blocked_pack), or NULL
/// to build them from `w` in the scratch.
CK_AVX512 CK_INLINE void dwb_block(const int act, const cfcam_window *g, const float *x, const float *w,
                                   const float *packed, const float *bias, float *y, long nc, long oy0, long oy1,
                                   float *scratch, float lo, float hi) {
    long rows = (oy1 - oy0 - 1) * g->sh + (g->kh - 1) * g->dh + 1, cols = dwb_cols(g);
    long in_plane = g->ih * g->iw, out_plane = g->oh * g->ow, first = oy0 * g->sh - g->ph;   // input row of local row 0
    long taps = g->kh * g->kw;   // at most 64 (checked by the caller)
    float *pad = scratch, *out = pad + rows * cols * 16;
    const float *wt = packed;
    if (!wt) {
        // Tap weights as channel vectors (lanes past nc are 0).
        float *built = out + (oy1 - oy0) * g->ow * 16;
        for (long t = 0; t < taps; t++)
            for (long c = 0; c < 16; c++) built[t * 16 + c] = c < nc ? w[c * taps + t] : 0.0f;
        wt = built;
    }
    // Zero only what the input does not cover: the local rows above and below it, and the columns
    // left and right of it in the rows between.
    long top = -first, bottom = g->ih - first;
    top = top < 0 ? 0 : top > rows ? rows : top;
    bottom = bottom < top ? top : bottom > rows ? rows : bottom;
    long left = g->pw < cols ? g->pw : cols, right = g->pw + g->iw < cols ? g->pw + g->iw : cols;
    memset(pad, 0, (size_t)(top * cols * 16) * sizeof(float));
    memset(pad + bottom * cols * 16, 0, (size_t)((rows - bottom) * cols * 16) * sizeof(float));
    for (long r = top; r < bottom; r++) {
        memset(pad + r * cols * 16, 0, (size_t)(left * 16) * sizeof(float));
        memset(pad + (r * cols + right) * 16, 0, (size_t)((cols - right) * 16) * sizeof(float));
    }
    // The input rows first + top ..< first + bottom are contiguous: 16 positions of 16 channels at
    // a time, transposed, each position's vector stored where its padded (row, col) is; columns
    // outside the window skip.
    long iy = first + top, ix = 0;   // position p0 + j as (row, column), stepped without divisions
    long end = (first + bottom) * g->iw;
    for (long p0 = iy * g->iw; p0 < end; p0 += 16) {
        long np = end - p0 < 16 ? end - p0 : 16;
        __mmask16 mk = ck_mask16(np);
        __m512 r[16];
        for (long c = 0; c < 16; c++)
            r[c] = c < nc ? _mm512_maskz_loadu_ps(mk, x + c * in_plane + p0) : _mm512_setzero_ps();
        ck_transpose16(r);
        for (long j = 0; j < np; j++) {
            long pc = ix + g->pw;
            if (pc < cols) _mm512_storeu_ps(pad + ((iy - first) * cols + pc) * 16, r[j]);
            if (++ix == g->iw) { ix = 0; iy++; }
        }
    }
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    __m512 vb = bias ? _mm512_maskz_loadu_ps(ck_mask16(nc), bias) : _mm512_setzero_ps();
    long off[64];
    for (long ky = 0; ky < g->kh; ky++)
        for (long kx = 0; kx < g->kw; kx++) off[ky * g->kw + kx] = (ky * g->dh * cols + kx * g->dw) * 16;
    // Eight output positions at a time (flat order, across rows; eight independent accumulators).
    // A last group of fewer repeats its last position and stores only the real ones. oy counts
    // local output rows.
    long oy = 0, ox = 0, count = (oy1 - oy0) * g->ow;
    for (long p0 = 0; p0 < count; p0 += 8) {
        long np = count - p0 < 8 ? count - p0 : 8;
        const float *src[8];
        for (long j = 0; j < 8; j++) {
            src[j] = pad + (oy * g->sh * cols + ox * g->sw) * 16;
            if (j + 1 < np && ++ox == g->ow) { ox = 0; oy++; }
        }
        if (++ox == g->ow) { ox = 0; oy++; }
        __m512 a[8];
        for (int j = 0; j < 8; j++) a[j] = vb;
        for (long t = 0; t < taps; t++) {
            __m512 wv = _mm512_loadu_ps(wt + t * 16);
            for (int j = 0; j < 8; j++) a[j] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(src[j] + off[t]), a[j]);
        }
        for (long j = 0; j < np; j++) _mm512_storeu_ps(out + (p0 + j) * 16, ck_act16(a[j], act, vlo, vhi));
    }
    // Back to NCHW: 16 positions at a time, transposed into 16 channel rows.
    for (long p0 = 0; p0 < count; p0 += 16) {
        long np = count - p0 < 16 ? count - p0 : 16;
        __mmask16 mk = ck_mask16(np);
        __m512 r[16];
        for (long j = 0; j < 16; j++) r[j] = j < np ? _mm512_loadu_ps(out + (p0 + j) * 16) : _mm512_setzero_ps();
        ck_transpose16(r);
        for (long c = 0; c < nc; c++) _mm512_mask_storeu_ps(y + c * out_plane + oy0 * g->ow + p0, mk, r[c]);
    }
}

CK_AVX512 void cfcam_depthwise_blocked(const cfcam_window *g, const float *x, const float *w, const float *packed,
                                       const float *bias, float *y, long t0, long t1, long channels, long splits,
                                       float *scratch, int act, float lo, float hi) {
    long blocks = (channels + 15) / 16, in_plane = g->ih * g->iw, out_plane = g->oh * g->ow;
    long taps = g->kh * g->kw;
    if (splits < 1) splits = 1;
    for (long t = t0; t < t1; t++) {
        long b = t / splits, s = t % splits;
        long nb = b / blocks, c0 = (b % blocks) * 16, nc = channels - c0 < 16 ? channels - c0 : 16;
        long oy0 = g->oh * s / splits, oy1 = g->oh * (s + 1) / splits;
        if (oy0 >= oy1) continue;
        const float *xb = x + (nb * channels + c0) * in_plane, *wb = w + c0 * taps, *bb = bias ? bias + c0 : 0;
        const float *pb = packed ? packed + c0 * taps : 0;   // block c0 / 16 of taps x 16 floats
        float *yb = y + (nb * channels + c0) * out_plane;
        switch (act) {
        case CFCAM_ACT_RELU: dwb_block(CFCAM_ACT_RELU, g, xb, wb, pb, bb, yb, nc, oy0, oy1, scratch, lo, hi); break;
        case CFCAM_ACT_CLIP: dwb_block(CFCAM_ACT_CLIP, g, xb, wb, pb, bb, yb, nc, oy0, oy1, scratch, lo, hi); break;
        case CFCAM_ACT_HARDSWISH:
            dwb_block(CFCAM_ACT_HARDSWISH, g, xb, wb, pb, bb, yb, nc, oy0, oy1, scratch, lo, hi);
            break;
        case CFCAM_ACT_SIGMOID:
            dwb_block(CFCAM_ACT_SIGMOID, g, xb, wb, pb, bb, yb, nc, oy0, oy1, scratch, lo, hi);
            break;
        case CFCAM_ACT_SILU: dwb_block(CFCAM_ACT_SILU, g, xb, wb, pb, bb, yb, nc, oy0, oy1, scratch, lo, hi); break;
        default: dwb_block(CFCAM_ACT_NONE, g, xb, wb, pb, bb, yb, nc, oy0, oy1, scratch, lo, hi); break;
        }
    }
}
#else
void cfcam_depthwise_blocked(const cfcam_window *g, const float *x, const float *w, const float *packed,
                             const float *bias, float *y, long t0, long t1, long channels, long splits, float *scratch,
                             int act, float lo, float hi) {
    // Not reached: callers check cfcam_sgemm_available() first.
    (void)g; (void)x; (void)w; (void)packed; (void)bias; (void)y; (void)t0; (void)t1; (void)channels; (void)splits;
    (void)scratch; (void)act; (void)lo; (void)hi;
}
#endif
