/* util/checksum.c — see checksum.h.
 * Sections: 1. names and headers  2. CRC32 / CRC32C (ISA-L)
 *           3. CRC64NVME (ours: slice-by-8 tables, PCLMULQDQ folding on x86-64)
 *           4. CRC combination (GF(2) polynomial arithmetic, as zlib 1.2.12+)
 *           5. the streaming interface (CRCs + OpenSSL EVP digests).
 * Must not: do I/O, log, or allocate anywhere but EVP contexts. */
#include "util/checksum.h"

#include "util/encode.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <pthread.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_CLMUL_PATH 1
#endif

/* ---- 1. names and headers ---------------------------------------------- */

struct algo_row {
    const char *name;   /* AWS spelling */
    const char *header; /* NULL when there is no x-amz-checksum-* header */
    size_t size;
};

static const struct algo_row algos[PAIL_CKSUM__COUNT] = {
    [PAIL_CKSUM_NONE] = {"", NULL, 0},
    [PAIL_CKSUM_CRC32] = {"CRC32", "x-amz-checksum-crc32", 4},
    [PAIL_CKSUM_CRC32C] = {"CRC32C", "x-amz-checksum-crc32c", 4},
    [PAIL_CKSUM_CRC64NVME] = {"CRC64NVME", "x-amz-checksum-crc64nvme", 8},
    [PAIL_CKSUM_SHA1] = {"SHA1", "x-amz-checksum-sha1", 20},
    [PAIL_CKSUM_SHA256] = {"SHA256", "x-amz-checksum-sha256", 32},
    [PAIL_CKSUM_MD5] = {"MD5", NULL, 16},
};

static bool algo_valid(enum pail_cksum_algo a)
{
    return (unsigned)a < PAIL_CKSUM__COUNT;
}

size_t pail_cksum_size(enum pail_cksum_algo algo)
{
    return algo_valid(algo) ? algos[algo].size : 0;
}

const char *pail_cksum_algo_name(enum pail_cksum_algo algo)
{
    return algo_valid(algo) ? algos[algo].name : "";
}

const char *pail_cksum_header(enum pail_cksum_algo algo)
{
    return algo_valid(algo) ? algos[algo].header : NULL;
}

enum pail_cksum_algo pail_cksum_algo_from_name(const char *name)
{
    if (!name || !*name)
        return PAIL_CKSUM_NONE;
    for (int a = PAIL_CKSUM_NONE + 1; a < PAIL_CKSUM__COUNT; a++)
        if (strcasecmp(name, algos[a].name) == 0)
            return (enum pail_cksum_algo)a;
    return PAIL_CKSUM_NONE;
}

enum pail_cksum_algo pail_cksum_algo_from_header(const char *header)
{
    if (!header)
        return PAIL_CKSUM_NONE;
    for (int a = PAIL_CKSUM_NONE + 1; a < PAIL_CKSUM__COUNT; a++)
        if (algos[a].header && strcasecmp(header, algos[a].header) == 0)
            return (enum pail_cksum_algo)a;
    return PAIL_CKSUM_NONE;
}

/* ---- 2. CRC32 / CRC32C through ISA-L ------------------------------------ */

/* ISA-L's CRC32 inverts on entry and exit itself, so finalized values chain. */
uint32_t pail_crc32(uint32_t crc, const void *p, size_t n)
{
    return crc32_gzip_refl(crc, p, n);
}

/* crc32_iscsi works on the raw register and takes an int length (and a
 * non-const pointer it never writes through): invert around it and feed it
 * at most 1 GiB at a time. */
uint32_t pail_crc32c(uint32_t crc, const void *p, size_t n)
{
    unsigned char *q = (unsigned char *)(uintptr_t)p;
    unsigned int reg = ~crc;
    while (n) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        reg = crc32_iscsi(q, chunk, reg);
        q += chunk;
        n -= (size_t)chunk;
    }
    return ~reg;
}

/* ---- 3. CRC64NVME ------------------------------------------------------- */

/* Reflected form of x^64 + 0xAD93D23594C93659 (the NVMe CRC64 polynomial). */
#define CRC64NVME_POLY 0x9A6C9329AC4BC9B5ULL

static uint64_t crc64_tab[8][256];
#ifdef HAVE_CLMUL_PATH
/* Fold constants: x^(d+63) mod P and x^(d-1) mod P for fold distances d of
 * 128 bits (one lane) and 1024 bits (eight lanes). */
static uint64_t k128_lo, k128_hi, k1024_lo, k1024_hi;
static bool use_clmul;
#endif
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

/* x^n mod P in the reflected representation (bit i holds x^(63-i)). */
static uint64_t crc64_xpow(unsigned n)
{
    uint64_t v = 1ULL << 63;
    while (n--)
        v = (v >> 1) ^ ((v & 1) ? CRC64NVME_POLY : 0);
    return v;
}

static void crc64_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ ((c & 1) ? CRC64NVME_POLY : 0);
        crc64_tab[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) {
            uint64_t c = crc64_tab[t - 1][i];
            crc64_tab[t][i] = (c >> 8) ^ crc64_tab[0][c & 0xff];
        }
#ifdef HAVE_CLMUL_PATH
    k128_lo = crc64_xpow(128 + 63);
    k128_hi = crc64_xpow(128 - 1);
    k1024_lo = crc64_xpow(1024 + 63);
    k1024_hi = crc64_xpow(1024 - 1);
    __builtin_cpu_init();
    use_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#endif
}

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Slice-by-8 over the raw register (no pre/post inversion). */
static uint64_t crc64_sliced(uint64_t reg, const unsigned char *p, size_t n)
{
    while (n >= 8) {
        uint64_t v = load_le64(p) ^ reg;
        reg = crc64_tab[7][v & 0xff] ^ crc64_tab[6][(v >> 8) & 0xff] ^
              crc64_tab[5][(v >> 16) & 0xff] ^ crc64_tab[4][(v >> 24) & 0xff] ^
              crc64_tab[3][(v >> 32) & 0xff] ^ crc64_tab[2][(v >> 40) & 0xff] ^
              crc64_tab[1][(v >> 48) & 0xff] ^ crc64_tab[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        reg = crc64_tab[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
    return reg;
}

#ifdef HAVE_CLMUL_PATH
/* One fold: X·x^d + D, with X split in its earlier (low) and later (high)
 * 64-bit halves. A carry-less product of reflected operands comes out
 * multiplied by x, which the x^(d+63)/x^(d-1) constants absorb. */
__attribute__((target("pclmul,sse4.1"))) static inline __m128i
fold(__m128i x, __m128i k, __m128i d)
{
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), d);
}

/* Folds 128-byte blocks in eight lanes, collapses them into one 16-byte
 * remainder, and lets the table code reduce that remainder and the tail
 * (the table CRC of a block from register 0 is exactly "block·x^64 mod P"). */
__attribute__((target("pclmul,sse4.1"))) static uint64_t
crc64_clmul(uint64_t reg, const unsigned char *p, size_t n)
{
    __m128i x[8];
    for (int i = 0; i < 8; i++)
        x[i] = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
    x[0] = _mm_xor_si128(x[0], _mm_cvtsi64_si128((long long)reg));
    p += 128;
    n -= 128;
    const __m128i k8 = _mm_set_epi64x((long long)k1024_hi, (long long)k1024_lo);
    while (n >= 128) {
        for (int i = 0; i < 8; i++)
            x[i] = fold(x[i], k8,
                        _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)));
        p += 128;
        n -= 128;
    }
    const __m128i k1 = _mm_set_epi64x((long long)k128_hi, (long long)k128_lo);
    __m128i acc = x[0];
    for (int i = 1; i < 8; i++)
        acc = fold(acc, k1, x[i]);
    for (; n >= 16; p += 16, n -= 16)
        acc = fold(acc, k1, _mm_loadu_si128((const __m128i *)(const void *)p));
    unsigned char rem[16];
    _mm_storeu_si128((__m128i *)(void *)rem, acc);
    return crc64_sliced(crc64_sliced(0, rem, 16), p, n);
}
#endif

uint64_t pail_crc64nvme(uint64_t crc, const void *p, size_t n)
{
    pthread_once(&crc64_once, crc64_init);
    uint64_t reg = ~crc;
#ifdef HAVE_CLMUL_PATH
    if (use_clmul && n >= 256)
        return ~crc64_clmul(reg, p, n);
#endif
    return ~crc64_sliced(reg, p, n);
}

/* ---- 4. CRC combination ------------------------------------------------- */

/* A reflected CRC of width w: poly is the reflected polynomial, top = x^0. */
struct crc_model {
    uint64_t poly, top;
};

static const struct crc_model m_crc32 = {0xEDB88320u, 1ULL << 31};
static const struct crc_model m_crc32c = {0x82F63B78u, 1ULL << 31};
static const struct crc_model m_crc64 = {CRC64NVME_POLY, 1ULL << 63};

/* a·b mod P for polynomials in the reflected representation. */
static uint64_t mulmodp(const struct crc_model *m, uint64_t a, uint64_t b)
{
    uint64_t bit = m->top, prod = 0;
    while (bit) {
        if (a & bit)
            prod ^= b;
        bit >>= 1;
        b = (b & 1) ? (b >> 1) ^ m->poly : b >> 1;
    }
    return prod;
}

/* crc(A‖B) = crc(A)·x^(8·len2) + crc(B) mod P: with init == xorout the
 * inversions cancel, so the finalized values combine directly. */
static uint64_t combine(const struct crc_model *m, uint64_t crc1, uint64_t crc2,
                        uint64_t len2)
{
    uint64_t sq = m->top >> 8; /* x^8: one zero byte */
    uint64_t shift = m->top;   /* x^0 */
    for (; len2; len2 >>= 1) {
        if (len2 & 1)
            shift = mulmodp(m, sq, shift);
        sq = mulmodp(m, sq, sq);
    }
    return mulmodp(m, shift, crc1) ^ crc2;
}

uint32_t pail_crc32_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
    return (uint32_t)combine(&m_crc32, crc1, crc2, len2);
}

uint32_t pail_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
    return (uint32_t)combine(&m_crc32c, crc1, crc2, len2);
}

uint64_t pail_crc64nvme_combine(uint64_t crc1, uint64_t crc2, uint64_t len2)
{
    return combine(&m_crc64, crc1, crc2, len2);
}

/* ---- 5. streaming interface --------------------------------------------- */

/* Digests are fetched once: implicit fetches by name on every init would
 * take the provider lock on each request. */
static EVP_MD *md_sha1, *md_sha256, *md_md5;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void)
{
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
}

static const EVP_MD *md_for(enum pail_cksum_algo algo)
{
    pthread_once(&md_once, md_init);
    switch (algo) {
    case PAIL_CKSUM_SHA1: return md_sha1;
    case PAIL_CKSUM_SHA256: return md_sha256;
    case PAIL_CKSUM_MD5: return md_md5;
    default: return NULL;
    }
}

enum pail_err pail_cksum_init(struct pail_cksum *c, enum pail_cksum_algo algo)
{
    memset(c, 0, sizeof(*c));
    if (!algo_valid(algo)) {
        c->failed = true;
        return PAIL_E_InternalError;
    }
    c->algo = algo;
    if (algo != PAIL_CKSUM_SHA1 && algo != PAIL_CKSUM_SHA256 && algo != PAIL_CKSUM_MD5)
        return PAIL_OK;
    const EVP_MD *md = md_for(algo);
    EVP_MD_CTX *ctx = md ? EVP_MD_CTX_new() : NULL;
    if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL)) {
        EVP_MD_CTX_free(ctx);
        c->failed = true;
        return PAIL_E_InternalError;
    }
    c->md_ctx = ctx;
    return PAIL_OK;
}

void pail_cksum_update(struct pail_cksum *c, const void *p, size_t n)
{
    if (c->failed || n == 0)
        return;
    switch (c->algo) {
    case PAIL_CKSUM_CRC32: c->crc = pail_crc32((uint32_t)c->crc, p, n); break;
    case PAIL_CKSUM_CRC32C: c->crc = pail_crc32c((uint32_t)c->crc, p, n); break;
    case PAIL_CKSUM_CRC64NVME: c->crc = pail_crc64nvme(c->crc, p, n); break;
    case PAIL_CKSUM_NONE: break;
    default:
        if (!c->md_ctx || !EVP_DigestUpdate(c->md_ctx, p, n))
            c->failed = true;
        break;
    }
}

static void put_be(uint64_t v, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

size_t pail_cksum_final(struct pail_cksum *c, unsigned char out[PAIL_CKSUM_MAX_RAW])
{
    size_t n = pail_cksum_size(c->algo);
    if (c->md_ctx) {
        unsigned int len = 0;
        if (c->failed || !EVP_DigestFinal_ex(c->md_ctx, out, &len) || len != n)
            c->failed = true;
        pail_cksum_free(c);
    } else if (n) {
        put_be(c->crc, n, out);
    }
    return c->failed ? 0 : n;
}

void pail_cksum_final_b64(struct pail_cksum *c, char out[PAIL_CKSUM_MAX_B64])
{
    unsigned char raw[PAIL_CKSUM_MAX_RAW];
    size_t n = pail_cksum_final(c, raw);
    pail_base64(raw, n, out);
}

void pail_cksum_free(struct pail_cksum *c)
{
    EVP_MD_CTX_free(c->md_ctx);
    c->md_ctx = NULL;
}
