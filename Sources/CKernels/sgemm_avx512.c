// AVX-512 SGEMM for cfcam's convolutions: C (+)= A * B on unpacked row-major operands.
//
// Register tile: MR = 8 rows x NR = 48 columns (24 zmm accumulators, 3 B vectors, 1 broadcast).
// Blocking: K in KC = 128 slices (one B micro-panel of 128 x 48 floats = 24 KiB stays in L1 while
// every 8-row slice of A runs over it), rows in MC = 256 blocks (an A block of 256 x 128 floats =
// 128 KiB stays in L2). Neither operand is packed: measured on resnet50's convolution shapes
// (AMD Zen 5, one core) this runs at 0.9x the core's FMA peak, as fast as or faster than packing.
// Column tails (< 48) use masked loads and stores; row tails (< 8) run a tile compiled for 1, 2,
// 3, 4 or 6 rows (5 and 7 repeat their last valid A row once and store only the valid rows), so a
// one-row product (a classifier MatMul) does one row of work. The store applies the fused
// activation (cfcam_sgemm_act) on the last K slice.
//
// Compiled for any x86-64: only the functions marked CK_AVX512 use AVX-512, and they run only
// after cfcam_sgemm_available() confirmed the CPU (and OS) support it.
#include "include/ckernels.h"
#include <stdlib.h>

#if defined(__x86_64__)
#include "ck_simd.h"
#include "ck_exp.h"

enum { MR = 8, NR = 48, KC = 128, MC = 256, NARROW = 256, JB = 960 };

// Every loop over the tile's rows and vectors is unrolled completely (with CK_TILE_FN below, so
// that the accumulators are registers).
#define CK_UNROLL _Pragma("clang loop unroll(full)")

int cfcam_sgemm_available(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return cached;
}

/// The epilogue's activation: `clip` (ReLU is clip(0, +inf)) runs in registers before the store;
/// hardswish (four operations per vector) in a loop over the tile right after its store, inline;
/// sigmoid and silu (a dozen operations and an exponential) over the tile's rows right after the
/// store, while they are in L1, through a call, so their code is not inlined into every tile.
/// `clip` 1: max(lo, x) (ReLU: lo = 0); 2: then min(hi, .) too; 3: hardswish, x * max(0, min(1,
/// x / 6 + 0.5)) as ck_act16 computes it. (Hardswish through the call, one per row, cost
/// MobileNetV3's pointwise layers ~15%.)
typedef struct { int act, clip; float lo, hi; } epilogue;

static epilogue make_epilogue(int act, float lo, float hi) {
    epilogue e = {act, 0, lo, hi};
    if (act == CFCAM_ACT_RELU) { e.clip = 1; e.lo = 0.0f; }
    else if (act == CFCAM_ACT_CLIP) e.clip = 2;
    else if (act == CFCAM_ACT_HARDSWISH) e.clip = 3;
    return e;
}

/// One tile of R x (16 * nv) outputs (mr valid rows, R the smallest compiled row count >= mr)
/// over kc steps; R and nv are compile-time constants at each call site, so the accumulators live
/// in registers and a tile with few rows does only those rows' work. `ep` NULL: no activation
/// (not the last K slice).
CK_AVX512 CK_INLINE void tile(const int R, const int nv, long kc, const float *a, long lda, int mr,
                              const float *b, long ldb, float *c, long ldc, int nr,
                              int accumulate, const float *bias, const epilogue *ep, const float *next) {
    const float *ar[MR];
    CK_UNROLL
    for (int r = 0; r < R; r++) ar[r] = a + (long)(r < mr ? r : mr - 1) * lda;
    __m512 acc[MR][3];
    CK_UNROLL
    for (int r = 0; r < R; r++)
        CK_UNROLL
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
    __mmask16 mk[3];
    CK_UNROLL
    for (int v = 0; v < nv; v++) mk[v] = ck_mask16(nr - 16 * v);
    for (long k = 0; k < kc; k++) {
        // Weights are read once per forward pass and stream from memory: fetch the next tile's
        // rows one cache line per row every 16 steps (the hardware prefetchers do not follow
        // eight strided streams well).
        if (next && (k & 15) == 0)
            CK_UNROLL
            for (int r = 0; r < R; r++) _mm_prefetch((const char *)(next + r * lda + k), _MM_HINT_T0);
        __m512 bv[3];
        const float *bk = b + k * ldb;
        CK_UNROLL
        for (int v = 0; v < nv; v++) bv[v] = _mm512_maskz_loadu_ps(mk[v], bk + 16 * v);
        CK_UNROLL
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_set1_ps(ar[r][k]);
            CK_UNROLL
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    int clip = ep ? ep->clip : 0;
    __m512 lo = _mm512_set1_ps(clip ? ep->lo : 0.0f), hi = _mm512_set1_ps(clip ? ep->hi : 0.0f);
    CK_UNROLL
    for (int r = 0; r < R; r++) {
        if (r >= mr) break;
        float *cr = c + (long)r * ldc;
        CK_UNROLL
        for (int v = 0; v < nv; v++) {
            __m512 x = acc[r][v];
            if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk[v], cr + 16 * v));
            else if (bias) x = _mm512_add_ps(x, _mm512_set1_ps(bias[r]));
            if (clip == 1 || clip == 2) x = _mm512_max_ps(lo, x);   // max_ps / min_ps return x when it is NaN:
            if (clip == 2) x = _mm512_min_ps(hi, x);   // NaN stays NaN, like Relu / Clip
            if (mk[v] == (__mmask16)0xFFFF) _mm512_storeu_ps(cr + 16 * v, x);   // full vectors: plain stores
            else _mm512_mask_storeu_ps(cr + 16 * v, mk[v], x);
        }
    }
    // Hardswish over the stored rows, still in L1 (inside the unrolled store loop it made the
    // 8x3 tile too large for clang to unroll, and its accumulators went to the stack).
    if (clip == 3)
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++) {
                float *p = c + (long)r * ldc + 16 * v;
                __m512 x = _mm512_maskz_loadu_ps(mk[v], p);
                _mm512_mask_storeu_ps(p, mk[v], ck_act16(x, CFCAM_ACT_HARDSWISH, lo, hi));
            }
    // After all stores: no accumulator is live across the call.
    if (ep && !clip && ep->act != CFCAM_ACT_NONE)
        for (int r = 0; r < mr; r++) cfcam_activate_simd(c + (long)r * ldc, nr, ep->act, ep->lo, ep->hi, 1);
}

/// One out-of-line function per (rows, vectors): compiled on its own, each keeps its accumulators
/// in registers (inlined all into one dispatcher, clang left the 6- and 8-row tiles' accumulators
/// in a stack array once the epilogue grew the activations: 1.5-2x slower on small-K products).
#define CK_TILE_FN(R, NV)                                                                                      \
    CK_AVX512 __attribute__((noinline)) static void tile_##R##_##NV(                                           \
        long kc, const float *a, long lda, int mr, const float *b, long ldb, float *c, long ldc, int nr,      \
        int accumulate, const float *bias, const epilogue *ep, const float *next) {                           \
        tile(R, NV, kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next);                          \
    }
#define CK_TILE_ROWS(R) CK_TILE_FN(R, 1) CK_TILE_FN(R, 2) CK_TILE_FN(R, 3)                                     \
    CK_AVX512 static void tile_cols_##R(long kc, const float *a, long lda, int mr, const float *b, long ldb,  \
                                        float *c, long ldc, int nr, int accumulate, const float *bias,         \
                                        const epilogue *ep, const float *next) {                               \
        if (nr > 32) tile_##R##_3(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next);             \
        else if (nr > 16) tile_##R##_2(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next);        \
        else tile_##R##_1(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next);                     \
    }
CK_TILE_ROWS(1)
CK_TILE_ROWS(2)
CK_TILE_ROWS(3)
CK_TILE_ROWS(4)
CK_TILE_ROWS(6)
CK_TILE_ROWS(8)

/// Compiled row counts 1, 2, 3, 4, 6, 8: a tile with mr valid rows runs the smallest one >= mr
/// (5 and 7 repeat their last row once; one more instance each would buy little).
CK_AVX512 static void tile_any(long kc, const float *a, long lda, int mr, const float *b, long ldb,
                               float *c, long ldc, int nr, int accumulate, const float *bias, const epilogue *ep,
                               const float *next) {
    switch (mr) {
    case 1: tile_cols_1(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next); break;
    case 2: tile_cols_2(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next); break;
    case 3: tile_cols_3(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next); break;
    case 4: tile_cols_4(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next); break;
    case 5: case 6: tile_cols_6(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next); break;
    default: tile_cols_8(kc, a, lda, mr, b, ldb, c, ldc, nr, accumulate, bias, ep, next); break;
    }
}

/// The last r (1..4) columns of a narrow product as dot products over k (16 lanes of k at a time),
/// for rows 0..<m: C[i][j] (+)= sum_k A[i][k] * bt[j * ldbt + k]. A masked 8 x r register tile
/// would use r of its 16 lanes (n = 49, the 7x7 maps of late ResNet stages: 33% more work for
/// the 49th column).
CK_AVX512 static void tail_dots(long m, long kc, const float *a, long lda, const float *bt, long ldbt, int r,
                                float *c, long ldc, int accumulate, const float *bias, const epilogue *ep) {
    __mmask16 mr = ck_mask16(r);
    for (long i = 0; i < m; i++) {
        const float *ar = a + i * lda;
        __m512 s[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (long k = 0; k < kc; k += 16) {
            __mmask16 mk = ck_mask16(kc - k);
            __m512 av = _mm512_maskz_loadu_ps(mk, ar + k);
            for (int j = 0; j < r; j++) s[j] = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(mk, bt + j * ldbt + k), s[j]);
        }
        float v[16] = {0};
        for (int j = 0; j < r; j++) v[j] = _mm512_reduce_add_ps(s[j]);
        float *cp = c + i * ldc;
        __m512 x = _mm512_loadu_ps(v);
        if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mr, cp));
        else if (bias) x = _mm512_add_ps(x, _mm512_set1_ps(bias[i]));
        if (ep->act != CFCAM_ACT_NONE)
            x = ck_act16(x, ep->act, _mm512_set1_ps(ep->lo), _mm512_set1_ps(ep->hi));
        _mm512_mask_storeu_ps(cp, mr, x);
    }
}

CK_AVX512 void cfcam_sgemm_act(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                               float *c, long ldc, const float *bias, int accumulate, int act, float lo, float hi) {
    if (m <= 0 || n <= 0) return;
    epilogue ep = make_epilogue(act, lo, hi);
    if (k <= 0) {
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] : (bias ? bias[i] : 0.0f);
            cfcam_activate_simd(c + i * ldc, n, act, lo, hi, 1);
        }
        return;
    }
    // Narrow products (late-stage maps, 7x7 = 49 columns) skip K blocking: their whole B fits in
    // L2, and each 8-row tile then reads its A rows as long sequential streams that the hardware
    // prefetchers follow (A is the weights, streamed from memory once per forward pass).
    long kcb = n <= NARROW ? k : KC;
    // 49..52 columns (7x7 maps of late ResNet stages): one 48-column panel of tiles, and the
    // rest as dot products over each 8-row block right after its tile, while its A rows are in L2.
    long r = n - NR;
    if (r >= 1 && r <= 4) {
        float *bt = (float *)malloc(sizeof(float) * (size_t)(r * k));
        if (bt) {
            for (long j = 0; j < r; j++)
                for (long p = 0; p < k; p++) bt[j * k + p] = b[p * ldb + NR + j];
            for (long ir = 0; ir < m; ir += MR) {
                int mr = (int)(m - ir < MR ? m - ir : MR);
                const float *next = ir + 2 * MR <= m ? a + (ir + MR) * lda : 0;
                tile_any(k, a + ir * lda, lda, mr, b, ldb, c + ir * ldc, ldc, NR, accumulate,
                         bias && !accumulate ? bias + ir : 0, &ep, next);
                tail_dots(mr, k, a + ir * lda, lda, bt, k, (int)r, c + ir * ldc + NR, ldc, accumulate,
                          bias ? bias + ir : 0, &ep);
            }
            free(bt);
            return;
        }
    }
    // One short K slice over many columns (1x1 convolutions with few input channels on large
    // maps): column blocks of JB outer, so the row tiles write JB contiguous floats per row (with
    // 48-column panels outer, each panel's stores went to m rows a whole row apart) and the B
    // block (k x JB, at most 240 KiB) stays in L2 across all row tiles. MobileNet's (96, 12544,
    // 16) product, 8 images, one core: 8.1 -> 5.5 ms.
    if (k <= 64 && n > NARROW) {
        for (long jb = 0; jb < n; jb += JB) {
            long je = n - jb < JB ? n : jb + JB;
            for (long ir = 0; ir < m; ir += MR) {
                int mr = (int)(m - ir < MR ? m - ir : MR);
                for (long jr = jb; jr < je; jr += NR) {
                    int nr = (int)(je - jr < NR ? je - jr : NR);
                    tile_any(k, a + ir * lda, lda, mr, b + jr, ldb, c + ir * ldc + jr, ldc, nr, accumulate,
                             bias && !accumulate ? bias + ir : 0, &ep, 0);
                }
            }
        }
        return;
    }
    for (long pc = 0; pc < k; pc += kcb) {
        long kc = k - pc < kcb ? k - pc : kcb;
        int acc = accumulate || pc > 0;
        const epilogue *e = pc + kc >= k ? &ep : 0;   // the activation on the last K slice only
        for (long ic = 0; ic < m; ic += MC) {
            long mc = m - ic < MC ? m - ic : MC;
            for (long jr = 0; jr < n; jr += NR) {
                int nr = (int)(n - jr < NR ? n - jr : NR);
                for (long ir = ic; ir < ic + mc; ir += MR) {
                    int mr = (int)(ic + mc - ir < MR ? ic + mc - ir : MR);
                    // Prefetch the next 8-row slice of A on the first column panel only (later
                    // panels find the block in L2).
                    const float *next = jr == 0 && ir + 2 * MR <= ic + mc ? a + (ir + MR) * lda + pc : 0;
                    tile_any(kc, a + ir * lda + pc, lda, mr, b + pc * ldb + jr, ldb, c + ir * ldc + jr, ldc, nr,
                             acc, bias && !acc ? bias + ir : 0, e, next);
                }
            }
        }
    }
}

void cfcam_sgemm_nn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                    float *c, long ldc, const float *bias, int accumulate, int relu) {
    cfcam_sgemm_act(m, n, k, a, lda, b, ldb, c, ldc, bias, accumulate, relu ? CFCAM_ACT_RELU : CFCAM_ACT_NONE, 0, 0);
}

#else
int cfcam_sgemm_available(void) { return 0; }

void cfcam_sgemm_act(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                     float *c, long ldc, const float *bias, int accumulate, int act, float lo, float hi) {
    // Not reached: callers use OpenBLAS when cfcam_sgemm_available() is 0. Kept correct anyway.
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float s = accumulate ? c[i * ldc + j] : (bias ? bias[i] : 0.0f);
            for (long p = 0; p < k; p++) s += a[i * lda + p] * b[p * ldb + j];
            c[i * ldc + j] = s;
        }
        cfcam_activate(c + i * ldc, n, act, lo, hi);
    }
}

void cfcam_sgemm_nn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                    float *c, long ldc, const float *bias, int accumulate, int relu) {
    cfcam_sgemm_act(m, n, k, a, lda, b, ldb, c, ldc, bias, accumulate, relu ? CFCAM_ACT_RELU : CFCAM_ACT_NONE, 0, 0);
}
#endif
