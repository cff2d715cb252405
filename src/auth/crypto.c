/* auth/crypto.c — see crypto.h. Thin wrappers over OpenSSL 3 EVP/HMAC; this
 * is the only file that includes OpenSSL headers. It never logs its inputs:
 * keys and messages may be secrets. */
#include "auth/crypto.h"

#include "core/arena.h"
#include "util/encode.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <pthread.h>
#include <string.h>

/* OpenSSL 3 looks an algorithm up by name on every EVP_sha256() use, and its
 * HMAC() also allocates a MAC context per call: together 19% of the CPU of a
 * signed 4 KiB GET. So the digests are fetched once, HMAC is built on a
 * digest context each thread keeps for its life, and the old calls remain
 * only as the fallback when either allocation fails. */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;

static void ctx_free(void *c) { EVP_MD_CTX_free(c); }

static void md_init(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (pthread_key_create(&ctx_key, ctx_free) != 0) {
        EVP_MD_free(md_sha256);
        EVP_MD_free(md_sha1);
        md_sha256 = md_sha1 = NULL;
    }
}

/* The calling thread's digest context (freed when the thread exits), or NULL
 * when the digests or the context could not be had. */
static EVP_MD_CTX *thread_ctx(void)
{
    pthread_once(&md_once, md_init);
    if (!md_sha256 || !md_sha1)
        return NULL;
    EVP_MD_CTX *c = pthread_getspecific(ctx_key);
    if (!c && (c = EVP_MD_CTX_new()) != NULL && pthread_setspecific(ctx_key, c) != 0) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return c;
}

/* SHA-256 as fetched once, or by name when that failed. */
static const EVP_MD *sha256_md(void)
{
    pthread_once(&md_once, md_init);
    return md_sha256 ? md_sha256 : EVP_sha256();
}

/* RFC 2104 over md (block size 64, digest size dlen <= 32) on context c. */
static bool hmac_on(EVP_MD_CTX *c, const EVP_MD *md, size_t dlen, const void *key,
                    size_t klen, const void *msg, size_t mlen, unsigned char *out)
{
    enum { BLOCK = 64 };
    unsigned char k[BLOCK] = {0}, pad[BLOCK], inner[32];
    unsigned int n = 0;
    bool ok = true;
    if (klen > BLOCK)
        ok = EVP_DigestInit_ex2(c, md, NULL) == 1 && EVP_DigestUpdate(c, key, klen) == 1 &&
             EVP_DigestFinal_ex(c, k, &n) == 1;
    else
        memcpy(k, key, klen);
    for (size_t i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    ok = ok && EVP_DigestInit_ex2(c, md, NULL) == 1 && EVP_DigestUpdate(c, pad, BLOCK) == 1 &&
         (mlen == 0 || EVP_DigestUpdate(c, msg, mlen) == 1) &&
         EVP_DigestFinal_ex(c, inner, &n) == 1;
    for (size_t i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex2(c, md, NULL) == 1 && EVP_DigestUpdate(c, pad, BLOCK) == 1 &&
         EVP_DigestUpdate(c, inner, dlen) == 1 && EVP_DigestFinal_ex(c, out, &n) == 1;
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
    return ok;
}

void pail_sha256(const void *p, size_t n, unsigned char out[PAIL_SHA256_LEN])
{
    unsigned int len = 0;
    EVP_MD_CTX *c = thread_ctx();
    if (c && EVP_DigestInit_ex2(c, md_sha256, NULL) == 1 && EVP_DigestUpdate(c, p, n) == 1 &&
        EVP_DigestFinal_ex(c, out, &len) == 1)
        return;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void pail_sha256_hex(const void *p, size_t n, char out[PAIL_SHA256_HEX_LEN + 1])
{
    unsigned char d[PAIL_SHA256_LEN];
    pail_sha256(p, n, d);
    pail_hex(d, sizeof d, out);
}

enum pail_err pail_sha256_init(struct pail_sha256 *h)
{
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx)
        return PAIL_E_InternalError;
    if (EVP_DigestInit_ex(h->ctx, sha256_md(), NULL) != 1) {
        pail_sha256_free(h);
        return PAIL_E_InternalError;
    }
    return PAIL_OK;
}

void pail_sha256_update(struct pail_sha256 *h, const void *p, size_t n)
{
    if (h->ctx && n)
        EVP_DigestUpdate(h->ctx, p, n);
}

void pail_sha256_final(struct pail_sha256 *h, unsigned char out[PAIL_SHA256_LEN])
{
    unsigned int len = 0;
    if (!h->ctx)
        return;
    EVP_DigestFinal_ex(h->ctx, out, &len);
    /* Restart so the same context hashes the next chunk without a new malloc. */
    EVP_DigestInit_ex(h->ctx, sha256_md(), NULL);
}

void pail_sha256_free(struct pail_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

static void sha256_cleanup(void *arg) { pail_sha256_free(arg); }

void pail_sha256_in_arena(struct pail_sha256 *h, struct pail_arena *a)
{
    pail_arena_cleanup(a, sha256_cleanup, h);
}

/* HMAC over the fetched digest *md (dlen bytes) on this thread's context;
 * OpenSSL's HMAC() with byname() when that context cannot be had. */
static void hmac(EVP_MD *const *md, const EVP_MD *(*byname)(void), size_t dlen,
                 const void *key, size_t klen, const void *msg, size_t mlen, unsigned char *out)
{
    EVP_MD_CTX *c = thread_ctx(); /* fetches *md on first use */
    if (c && hmac_on(c, *md, dlen, key, klen, msg, mlen, out))
        return;
    unsigned int len = 0;
    /* An empty message still needs a valid pointer for OpenSSL. */
    static const unsigned char none;
    HMAC(byname(), key, (int)klen, mlen ? msg : &none, mlen, out, &len);
}

void pail_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                      unsigned char out[PAIL_SHA256_LEN])
{
    hmac(&md_sha256, EVP_sha256, PAIL_SHA256_LEN, key, klen, msg, mlen, out);
}

void pail_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[PAIL_SHA1_LEN])
{
    hmac(&md_sha1, EVP_sha1, PAIL_SHA1_LEN, key, klen, msg, mlen, out);
}

bool pail_crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void pail_crypto_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
