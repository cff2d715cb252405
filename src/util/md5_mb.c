/* util/md5_mb.c — see md5_mb.h. Two kernels: one lane through OpenSSL's
 * assembly, and sixteen lanes in AVX-512 registers (built for that target
 * only, chosen at run time). The wide kernel loads one block of every lane
 * and transposes them into message words (gather instructions would do it in
 * one step, but microcode against Downfall makes them slower than the whole
 * MD5 here); a lane that has run out of blocks hashes zeros under a mask and
 * its state is left as it was. */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5_Update on a mid-stream state; see x1() */
#include "util/md5_mb.h"

#include <openssl/md5.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_KERNEL 1
#endif

static unsigned lanes_max = 1;

void pail_md5_state_init(struct pail_md5_state *s)
{
    s->h[0] = 0x67452301u;
    s->h[1] = 0xefcdab89u;
    s->h[2] = 0x98badcfeu;
    s->h[3] = 0x10325476u;
    s->len = 0;
}

/* One lane. OpenSSL keeps its block function private; MD5_Update on a
 * context holding our state and no buffered bytes calls it on whole blocks
 * directly, and it is the fastest single-stream MD5 on this platform. */
static void x1(struct pail_md5_state *s, const unsigned char *p, size_t blocks)
{
    MD5_CTX c;
    memset(&c, 0, sizeof c);
    c.A = s->h[0];
    c.B = s->h[1];
    c.C = s->h[2];
    c.D = s->h[3];
    MD5_Update(&c, p, blocks * 64);
    s->h[0] = c.A;
    s->h[1] = c.B;
    s->h[2] = c.C;
    s->h[3] = c.D;
    s->len += (uint64_t)blocks * 64;
}

#ifdef HAVE_AVX512_KERNEL
static const uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Ternary-logic immediates: F = b ? c : d (0xCA), G = d ? b : c (0xCA with
 * the operands turned), H = b ^ c ^ d (0x96), I = c ^ (b | ~d) (0x39). */
#define FF(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0xCA)
#define GG(b, c, d) _mm512_ternarylogic_epi32(d, b, c, 0xCA)
#define HH(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0x96)
#define II(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0x39)

#define STEP(fn, a, b, c, d, i, g, s)                                                              \
    a = _mm512_add_epi32(                                                                          \
        b, _mm512_rol_epi32(                                                                       \
               _mm512_add_epi32(_mm512_add_epi32(a, fn(b, c, d)),                                  \
                                _mm512_add_epi32(m[g], _mm512_set1_epi32((int)K[i]))),             \
               s))

/* Four steps of one round, the roles of a b c d turning as MD5's do. */
#define QUAD(fn, i, g0, g1, g2, g3, s0, s1, s2, s3)                                                \
    STEP(fn, a, b, c, d, i, g0, s0);                                                               \
    STEP(fn, d, a, b, c, i + 1, g1, s1);                                                           \
    STEP(fn, c, d, a, b, i + 2, g2, s2);                                                           \
    STEP(fn, b, c, d, a, i + 3, g3, s3)

/* Rows (one lane's block each) into columns (one message word of every
 * lane each): pairs of 32-bit words, then 64-bit pairs within 128-bit
 * quarters, then the quarters twice over. */
__attribute__((target("avx512f"))) static inline void transpose(const __m512i r[16], __m512i m[16])
{
    __m512i t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    /* u[4g + c], quarter k: word 4k + c of rows 4g .. 4g+3 */
    for (int c = 0; c < 4; c++) {
        __m512i v = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88);
        __m512i w = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xDD);
        __m512i x = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88);
        __m512i y = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xDD);
        m[c] = _mm512_shuffle_i32x4(v, x, 0x88);
        m[8 + c] = _mm512_shuffle_i32x4(v, x, 0xDD);
        m[4 + c] = _mm512_shuffle_i32x4(w, y, 0x88);
        m[12 + c] = _mm512_shuffle_i32x4(w, y, 0xDD);
    }
}

__attribute__((target("avx512f"))) static void x16(const struct pail_md5_lane *lanes, unsigned n)
{
    static const unsigned char zeros[64];
    uint32_t h[4][16] = {{0}}, rem[16] = {0};
    const unsigned char *at[16];
    size_t most = 0;
    for (unsigned i = 0; i < 16; i++) {
        at[i] = i < n && lanes[i].blocks ? lanes[i].p : zeros;
        if (i >= n)
            continue;
        for (int w = 0; w < 4; w++)
            h[w][i] = lanes[i].s->h[w];
        rem[i] = (uint32_t)lanes[i].blocks;
        if (lanes[i].blocks > most)
            most = lanes[i].blocks;
    }
    __m512i a = _mm512_loadu_si512(h[0]), b = _mm512_loadu_si512(h[1]);
    __m512i c = _mm512_loadu_si512(h[2]), d = _mm512_loadu_si512(h[3]);
    __m512i left = _mm512_loadu_si512(rem), one = _mm512_set1_epi32(1);
    for (size_t j = 0; j < most; j++) {
        __mmask16 live = _mm512_cmpgt_epu32_mask(left, _mm512_setzero_si512());
        __m512i row[16], m[16];
        for (int i = 0; i < 16; i++) {
            row[i] = _mm512_loadu_si512(at[i]);
            /* a spent lane reads zeros, never past its buffer */
            at[i] = j + 1 < rem[i] ? at[i] + 64 : zeros;
        }
        transpose(row, m);
        __m512i a0 = a, b0 = b, c0 = c, d0 = d;
        QUAD(FF, 0, 0, 1, 2, 3, 7, 12, 17, 22);
        QUAD(FF, 4, 4, 5, 6, 7, 7, 12, 17, 22);
        QUAD(FF, 8, 8, 9, 10, 11, 7, 12, 17, 22);
        QUAD(FF, 12, 12, 13, 14, 15, 7, 12, 17, 22);
        QUAD(GG, 16, 1, 6, 11, 0, 5, 9, 14, 20);
        QUAD(GG, 20, 5, 10, 15, 4, 5, 9, 14, 20);
        QUAD(GG, 24, 9, 14, 3, 8, 5, 9, 14, 20);
        QUAD(GG, 28, 13, 2, 7, 12, 5, 9, 14, 20);
        QUAD(HH, 32, 5, 8, 11, 14, 4, 11, 16, 23);
        QUAD(HH, 36, 1, 4, 7, 10, 4, 11, 16, 23);
        QUAD(HH, 40, 13, 0, 3, 6, 4, 11, 16, 23);
        QUAD(HH, 44, 9, 12, 15, 2, 4, 11, 16, 23);
        QUAD(II, 48, 0, 7, 14, 5, 6, 10, 15, 21);
        QUAD(II, 52, 12, 3, 10, 1, 6, 10, 15, 21);
        QUAD(II, 56, 8, 15, 6, 13, 6, 10, 15, 21);
        QUAD(II, 60, 4, 11, 2, 9, 6, 10, 15, 21);
        /* a lane past its last block keeps the state it had */
        a = _mm512_mask_add_epi32(a0, live, a, a0);
        b = _mm512_mask_add_epi32(b0, live, b, b0);
        c = _mm512_mask_add_epi32(c0, live, c, c0);
        d = _mm512_mask_add_epi32(d0, live, d, d0);
        left = _mm512_mask_sub_epi32(left, live, left, one);
    }
    _mm512_storeu_si512(h[0], a);
    _mm512_storeu_si512(h[1], b);
    _mm512_storeu_si512(h[2], c);
    _mm512_storeu_si512(h[3], d);
    for (unsigned i = 0; i < n; i++) {
        for (int w = 0; w < 4; w++)
            lanes[i].s->h[w] = h[w][i];
        lanes[i].s->len += (uint64_t)lanes[i].blocks * 64;
    }
}
#endif

void pail_md5_mb_init(unsigned max_lanes)
{
    unsigned n = 1;
#ifdef HAVE_AVX512_KERNEL
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        n = 16;
#endif
    if (max_lanes && n > max_lanes)
        n = 1; /* the only narrower kernel */
    lanes_max = n;
}

unsigned pail_md5_mb_lanes(void) { return lanes_max; }

void pail_md5_mb(const struct pail_md5_lane *lanes, unsigned n)
{
    unsigned busy = 0;
    for (unsigned i = 0; i < n; i++)
        busy += lanes[i].blocks > 0;
#ifdef HAVE_AVX512_KERNEL
    /* a wide pass costs about two scalar lanes */
    if (lanes_max == 16 && busy >= PAIL_MD5_MB_WIDE_MIN) {
        x16(lanes, n);
        return;
    }
#endif
    for (unsigned i = 0; i < n; i++)
        if (lanes[i].blocks)
            x1(lanes[i].s, lanes[i].p, lanes[i].blocks);
}

void pail_md5_state_final(const struct pail_md5_state *s, const unsigned char *tail, size_t r,
                          unsigned char out[16])
{
    struct pail_md5_state t = *s;
    unsigned char pad[128] = {0};
    size_t blocks = r < 56 ? 1 : 2;
    memcpy(pad, tail, r);
    pad[r] = 0x80;
    uint64_t bits = (s->len + r) * 8;
    for (int i = 0; i < 8; i++)
        pad[blocks * 64 - 8 + i] = (unsigned char)(bits >> (8 * i));
    x1(&t, pad, blocks);
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < 4; i++)
            out[w * 4 + i] = (unsigned char)(t.h[w] >> (8 * i));
}
