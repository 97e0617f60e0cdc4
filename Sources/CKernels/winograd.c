// Winograd F(4x4, 3x3) convolution for cfcam's 3x3 stride-1 convolutions (Lavin & Gray 2016).
//
// Each 4x4 output tile is computed from a 6x6 input tile: V = Bt d B (input transform),
// U = G g Gt (weight transform, once per weight tensor), M = U . V summed over input channels
// (36 independent GEMMs, one per point of the 6x6 transformed tile), Y = At M A (output
// transform). That is 36 multiplies per 16 outputs per channel pair instead of 144: 4x fewer.
//
// Layout: everything is vectorised over 16 channels, so no transform needs a gather or a
// partial vector.
// - xt  [cb][Hp][Wp][16]: one image, channels in blocks of 16, zero padded around the input and
//   over the last partial tiles (cfcam_wino_pack).
// - u   [36][C16][K16]: transformed weights, C16 / K16 = channels rounded up to 16 (zeros).
// - v   [36][T][C16]: transformed input of a block of T tiles (row = tile).
// - m   [36][T][K16]: v[xi] . u[xi] for each xi, computed by cfcam_sgemm_nn.
// Outputs are written straight to NCHW, with the bias and the fused activation (ck_act16).
#include "include/ckernels.h"

#if defined(__x86_64__)
#include "ck_simd.h"
#include "ck_exp.h"

enum { A = 6, A2 = 36, M = 4 };

static long up16(long x) { return (x + 15) / 16 * 16; }
static long tiles_h(const cfcam_wino *g) { return (g->oh + M - 1) / M; }
static long tiles_w(const cfcam_wino *g) { return (g->ow + M - 1) / M; }

long cfcam_wino_tiles(const cfcam_wino *g) { return tiles_h(g) * tiles_w(g); }
long cfcam_wino_weights_size(const cfcam_wino *g) { return A2 * up16(g->c) * up16(g->k); }
long cfcam_wino_pack_size(const cfcam_wino *g) {
    return up16(g->c) * (tiles_h(g) * M + 2) * (tiles_w(g) * M + 2);
}
/// Distance between the 36 planes of a block's scratch: a multiple of 16 floats that is an odd
/// multiple of 64 bytes modulo 4 KiB, so the 36 loads / stores of one tile fall in different cache sets
/// (with a power-of-two distance they all collide in one set).
static long plane_stride(long floats) { return (floats + 15) / 16 * 16 + ((floats + 15) / 16 % 2 ? 0 : 16); }
long cfcam_wino_block_size(const cfcam_wino *g, long tiles) {
    return A2 * (plane_stride(tiles * up16(g->c)) + plane_stride(tiles * up16(g->k)));
}

void cfcam_wino_weights(const cfcam_wino *g, const float *w, float *u) {
    // G (6x3) in double: the only place the transform's fractions are rounded is the final store.
    static const double G[A][3] = {
        {1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    long c16 = up16(g->c), k16 = up16(g->k);
    for (long i = 0; i < A2 * c16 * k16; i++) u[i] = 0;
    for (long k = 0; k < g->k; k++)
        for (long c = 0; c < g->c; c++) {
            const float *f = w + (k * g->c + c) * 9;
            double t[A][3];
            for (int i = 0; i < A; i++)
                for (int j = 0; j < 3; j++) t[i][j] = G[i][0] * f[j] + G[i][1] * f[3 + j] + G[i][2] * f[6 + j];
            for (int i = 0; i < A; i++)
                for (int j = 0; j < A; j++)
                    u[((long)(i * A + j) * c16 + c) * k16 + k] =
                        (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
        }
}

CK_AVX512 void cfcam_wino_pack(const cfcam_wino *g, const float *x, float *xt, long cb0, long cb1) {
    long hp = tiles_h(g) * M + 2, wp = tiles_w(g) * M + 2, plane = g->ih * g->iw;
    for (long cb = cb0; cb < cb1; cb++) {
        float *blk = xt + cb * hp * wp * 16;
        for (long r = 0; r < hp; r++) {
            float *row = blk + r * wp * 16;
            long y = r - g->pt;
            if (y < 0 || y >= g->ih) {
                for (long i = 0; i < wp; i++) _mm512_storeu_ps(row + 16 * i, _mm512_setzero_ps());
                continue;
            }
            for (long i = 0; i < g->pl; i++) _mm512_storeu_ps(row + 16 * i, _mm512_setzero_ps());
            for (long i = g->pl + g->iw; i < wp; i++) _mm512_storeu_ps(row + 16 * i, _mm512_setzero_ps());
            for (long x0 = 0; x0 < g->iw; x0 += 16) {
                __mmask16 mk = ck_mask16(g->iw - x0);
                __m512 v[16];
                for (int l = 0; l < 16; l++) {
                    long ch = cb * 16 + l;
                    v[l] = ch < g->c ? _mm512_maskz_loadu_ps(mk, x + ch * plane + y * g->iw + x0) : _mm512_setzero_ps();
                }
                ck_transpose16(v);
                long n = g->iw - x0 < 16 ? g->iw - x0 : 16;
                float *dst = row + (g->pl + x0) * 16;
                for (int j = 0; j < n; j++) _mm512_storeu_ps(dst + 16 * j, v[j]);
            }
        }
    }
}

/// Bt d (6 vectors in, 6 out), Bt = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
/// 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
CK_AVX512 CK_INLINE void in1d(const __m512 d[6], __m512 o[6]) {
    const __m512 four = _mm512_set1_ps(4), five = _mm512_set1_ps(5), two = _mm512_set1_ps(2);
    __m512 a = _mm512_fnmadd_ps(four, d[2], d[4]);          // d4 - 4 d2
    __m512 b = _mm512_fnmadd_ps(four, d[1], d[3]);          // d3 - 4 d1
    __m512 c = _mm512_sub_ps(d[4], d[2]);                   // d4 - d2
    __m512 e = _mm512_mul_ps(two, _mm512_sub_ps(d[3], d[1])); // 2 (d3 - d1)
    o[0] = _mm512_fnmadd_ps(five, d[2], _mm512_fmadd_ps(four, d[0], d[4]));
    o[1] = _mm512_add_ps(a, b);
    o[2] = _mm512_sub_ps(a, b);
    o[3] = _mm512_add_ps(c, e);
    o[4] = _mm512_sub_ps(c, e);
    o[5] = _mm512_fnmadd_ps(five, d[3], _mm512_fmadd_ps(four, d[1], d[5]));
}

/// At m (6 in, 4 out), At = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
CK_AVX512 CK_INLINE void out1d(const __m512 m[6], __m512 o[4]) {
    __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
    __m512 s34 = _mm512_add_ps(m[3], m[4]), d34 = _mm512_sub_ps(m[3], m[4]);
    o[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), s34);
    o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), d34, d12);
    o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), s34, s12);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), d34, d12), m[5]);
}

/// Tile t of the batch: image and top-left corner in tile units.
static void tile_at(const cfcam_wino *g, long t, long *n, long *th, long *tw) {
    long per = cfcam_wino_tiles(g), tw_n = tiles_w(g);
    *n = t / per;
    long r = t % per;
    *th = r / tw_n;
    *tw = r % tw_n;
}

CK_AVX512 static void input_transform(const cfcam_wino *g, const float *xt, long xt_image, long t0, long t1, float *v) {
    long c16 = up16(g->c), cbs = c16 / 16, ps = plane_stride((t1 - t0) * c16);
    long hp = tiles_h(g) * M + 2, wp = tiles_w(g) * M + 2;
    for (long t = t0; t < t1; t++) {
        long n, th, tw;
        tile_at(g, t, &n, &th, &tw);
        for (long cb = 0; cb < cbs; cb++) {
            const float *src = xt + n * xt_image + ((cb * hp + th * M) * wp + tw * M) * 16;
            __m512 d[A][A], col[A], o[A];
            for (int i = 0; i < A; i++)
                for (int j = 0; j < A; j++) d[i][j] = _mm512_loadu_ps(src + (i * wp + j) * 16);
            for (int j = 0; j < A; j++) {
                for (int i = 0; i < A; i++) col[i] = d[i][j];
                in1d(col, o);
                for (int i = 0; i < A; i++) d[i][j] = o[i];
            }
            float *dst = v + (t - t0) * c16 + cb * 16;
            for (int i = 0; i < A; i++) {
                in1d(d[i], o);
                for (int j = 0; j < A; j++) _mm512_storeu_ps(dst + (long)(i * A + j) * ps, o[j]);
            }
        }
    }
}

CK_AVX512 static void output_transform(const cfcam_wino *g, const float *m, long t0, long t1, const float *bias,
                                       int act, float lo, float hi, float *y) {
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    long k16 = up16(g->k), kbs = k16 / 16, plane = g->oh * g->ow, ps = plane_stride((t1 - t0) * k16);
    for (long t = t0; t < t1; t++) {
        long n, th, tw;
        tile_at(g, t, &n, &th, &tw);
        long rows = g->oh - th * M < M ? g->oh - th * M : M;
        __mmask16 cmask = ck_mask16(g->ow - tw * M < M ? g->ow - tw * M : M);
        for (long kb = 0; kb < kbs; kb++) {
            const float *src = m + (t - t0) * k16 + kb * 16;
            __m512 s[A][A], col[A], half[A][M], o[M], px[16];
            for (int i = 0; i < A; i++)
                for (int j = 0; j < A; j++) s[i][j] = _mm512_loadu_ps(src + (long)(i * A + j) * ps);
            for (int j = 0; j < A; j++) {
                for (int i = 0; i < A; i++) col[i] = s[i][j];
                out1d(col, o);
                for (int i = 0; i < M; i++) half[j][i] = o[i];
            }
            long kvalid = g->k - kb * 16;
            __m512 b = bias ? _mm512_maskz_loadu_ps(ck_mask16(kvalid), bias + kb * 16) : _mm512_setzero_ps();
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < A; j++) col[j] = half[j][i];
                out1d(col, o);
                for (int j = 0; j < M; j++) {
                    __m512 p = _mm512_add_ps(o[j], b);
                    px[i * M + j] = ck_act16(p, act, vlo, vhi);   // ReLU / Clip keep NaN
                }
            }
            ck_transpose16(px);   // px[k] = the 16 outputs (4x4, row-major) of channel kb*16 + k
            long kn = kvalid < 16 ? kvalid : 16;
            for (long k = 0; k < kn; k++) {
                float *dst = y + (n * g->k + kb * 16 + k) * plane + th * M * g->ow + tw * M;
                for (long r = 0; r < rows; r++)
                    _mm512_mask_storeu_ps(dst + r * g->ow - 4 * r, (__mmask16)(cmask << (4 * r)), px[k]);
            }
        }
    }
}

CK_AVX512 void cfcam_wino_block(const cfcam_wino *g, const float *u, const float *xt, long xt_image, long t0,
                                long t1, float *scratch, const float *bias, int act, float lo, float hi, float *y) {
    long nt = t1 - t0;
    if (nt <= 0) return;
    long c16 = up16(g->c), k16 = up16(g->k), vs = plane_stride(nt * c16), ms = plane_stride(nt * k16);
    float *v = scratch, *m = scratch + A2 * vs;
    input_transform(g, xt, xt_image, t0, t1, v);
    for (int xi = 0; xi < A2; xi++)
        cfcam_sgemm_nn(nt, k16, g->c, v + xi * vs, c16, u + xi * c16 * k16, k16, m + xi * ms, k16, 0, 0, 0);
    output_transform(g, m, t0, t1, bias, act, lo, hi, y);
}

#else
long cfcam_wino_tiles(const cfcam_wino *g) { (void)g; return 0; }
long cfcam_wino_weights_size(const cfcam_wino *g) { (void)g; return 0; }
long cfcam_wino_pack_size(const cfcam_wino *g) { (void)g; return 0; }
long cfcam_wino_block_size(const cfcam_wino *g, long tiles) { (void)g; (void)tiles; return 0; }
void cfcam_wino_weights(const cfcam_wino *g, const float *w, float *u) { (void)g; (void)w; (void)u; }
void cfcam_wino_pack(const cfcam_wino *g, const float *x, float *xt, long cb0, long cb1) {
    (void)g; (void)x; (void)xt; (void)cb0; (void)cb1;
}
void cfcam_wino_block(const cfcam_wino *g, const float *u, const float *xt, long xt_image, long t0, long t1,
                      float *scratch, const float *bias, int act, float lo, float hi, float *y) {
    (void)g; (void)u; (void)xt; (void)xt_image; (void)t0; (void)t1; (void)scratch; (void)bias; (void)act; (void)lo;
    (void)hi; (void)y;
}
#endif
