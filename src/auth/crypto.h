/* auth/crypto.h — SHA-256, HMAC-SHA256, HMAC-SHA1 (SigV2) and constant-time
 * comparison.
 * Owns: the only use of OpenSSL's libcrypto in pail; nothing else includes an
 * OpenSSL header, so this header exposes no OpenSSL type (only a forward
 * declaration of EVP_MD_CTX's struct). Hex and base64 live in util/encode.h.
 *
 * Ownership of a streaming hash: pail_sha256_init() allocates an EVP context;
 * whoever called it must call pail_sha256_free() exactly once (it is idempotent
 * and NULL-safe), or hand the hash to an arena with pail_sha256_in_arena(). */
#ifndef PAIL_AUTH_CRYPTO_H
#define PAIL_AUTH_CRYPTO_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;
struct evp_md_ctx_st; /* OpenSSL's EVP_MD_CTX */

#define PAIL_SHA256_LEN 32
#define PAIL_SHA256_HEX_LEN 64
#define PAIL_SHA1_LEN 20

/* Streaming SHA-256. Zero-initialise, then pail_sha256_init(). */
struct pail_sha256 {
    struct evp_md_ctx_st *ctx; /* NULL until init, and again after free */
};

/* One-shot SHA-256 of n bytes of p into out. */
void pail_sha256(const void *p, size_t n, unsigned char out[PAIL_SHA256_LEN]);
/* One-shot SHA-256 as lowercase hex (65 bytes with the NUL). */
void pail_sha256_hex(const void *p, size_t n, char out[PAIL_SHA256_HEX_LEN + 1]);

/* Allocates and starts h; InternalError when OpenSSL cannot (then h->ctx is
 * NULL and pail_sha256_free() is still safe). The caller owns the context. */
enum pail_err pail_sha256_init(struct pail_sha256 *h);
/* Adds n bytes. A no-op on an uninitialised hash. */
void pail_sha256_update(struct pail_sha256 *h, const void *p, size_t n);
/* Writes the digest and restarts h, so one context serves many messages. */
void pail_sha256_final(struct pail_sha256 *h, unsigned char out[PAIL_SHA256_LEN]);
/* Releases the context; idempotent and NULL-safe. */
void pail_sha256_free(struct pail_sha256 *h);
/* Makes arena a call pail_sha256_free(h) when it is freed; h must live at
 * least as long as the arena (normally h is allocated in it). */
void pail_sha256_in_arena(struct pail_sha256 *h, struct pail_arena *a);

/* One-shot HMAC-SHA256 of msg under key into out. */
void pail_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                      unsigned char out[PAIL_SHA256_LEN]);
/* One-shot HMAC-SHA1 of msg under key into out: only AWS Signature Version 2
 * (legacy clients and boto3's default presigned URLs) still needs SHA-1. */
void pail_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[PAIL_SHA1_LEN]);

/* true when the n bytes at a and b are equal; time independent of content
 * (CRYPTO_memcmp), for comparing signatures and MACs. */
bool pail_crypto_equal(const void *a, const void *b, size_t n);
/* Overwrites n bytes at p with zeros in a way the compiler keeps
 * (OPENSSL_cleanse), for keys and secrets on the stack. */
void pail_crypto_wipe(void *p, size_t n);

#endif
