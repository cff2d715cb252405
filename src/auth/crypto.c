/* auth/crypto.c — see crypto.h. Thin wrappers over OpenSSL 3 EVP/HMAC; this
 * is the only file that includes OpenSSL headers. It never logs its inputs:
 * keys and messages may be secrets. */
#include "auth/crypto.h"

#include "core/arena.h"
#include "util/encode.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

void pail_sha256(const void *p, size_t n, unsigned char out[PAIL_SHA256_LEN])
{
    unsigned int len = 0;
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
    if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
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
    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
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

void pail_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                      unsigned char out[PAIL_SHA256_LEN])
{
    unsigned int len = 0;
    /* An empty message still needs a valid pointer for OpenSSL. */
    static const unsigned char none;
    HMAC(EVP_sha256(), key, (int)klen, mlen ? msg : &none, mlen, out, &len);
}

void pail_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[PAIL_SHA1_LEN])
{
    unsigned int len = 0;
    static const unsigned char none; /* see pail_hmac_sha256 */
    HMAC(EVP_sha1(), key, (int)klen, mlen ? msg : &none, mlen, out, &len);
}

bool pail_crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void pail_crypto_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
