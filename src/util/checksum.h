/* util/checksum.h — the checksums S3 speaks: CRC32, CRC32C, CRC64NVME, SHA1,
 * SHA256 (the x-amz-checksum-* family) and MD5 (ETags, Content-MD5).
 * Owns: one streaming interface over all of them, the algorithm <-> name <->
 * header mappings, and CRC combination (full-object checksums of multipart
 * uploads). Pure computation: no I/O, no global mutable state after the
 * one-time table/digest setup (thread-safe). */
#ifndef PAIL_UTIL_CHECKSUM_H
#define PAIL_UTIL_CHECKSUM_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pail_cksum_algo {
    PAIL_CKSUM_NONE,
    PAIL_CKSUM_CRC32,
    PAIL_CKSUM_CRC32C,
    PAIL_CKSUM_CRC64NVME,
    PAIL_CKSUM_SHA1,
    PAIL_CKSUM_SHA256,
    PAIL_CKSUM_MD5,
    PAIL_CKSUM__COUNT /* number of values; not an algorithm */
};

/* Largest raw digest (SHA256) and its base64 form with NUL. */
#define PAIL_CKSUM_MAX_RAW 32
#define PAIL_CKSUM_MAX_B64 64

/* Streaming hasher; fixed size, lives on the stack or inside another struct.
 * Fields are private. For SHA1/SHA256/MD5 it holds an OpenSSL EVP_MD_CTX
 * (heap): pail_cksum_final() releases it, and pail_cksum_free() releases it
 * when a hash is abandoned before final. */
struct pail_cksum {
    enum pail_cksum_algo algo;
    bool failed;    /* an OpenSSL call failed; final() returns 0 */
    uint64_t crc;   /* CRCs: the finalized CRC of the bytes so far */
    void *md_ctx;   /* EVP_MD_CTX * for digests; NULL otherwise */
};

/* Starts a hash. PAIL_CKSUM_NONE is allowed (updates ignored, final gives 0
 * bytes). Errors: PAIL_E_InternalError if OpenSSL cannot allocate or the
 * digest is unavailable (e.g. MD5 under a FIPS-only provider); c is then safe
 * to pail_cksum_free(). */
enum pail_err pail_cksum_init(struct pail_cksum *c, enum pail_cksum_algo algo);
/* Feeds n bytes (any n, including 0). Never fails; an OpenSSL failure is
 * remembered and reported by final(). */
void pail_cksum_update(struct pail_cksum *c, const void *p, size_t n);
/* Writes the raw digest (CRCs big-endian, 4 or 8 bytes) and returns its
 * length; 0 for NONE or after an OpenSSL failure. Releases the EVP context:
 * c must be re-initialised before reuse. */
size_t pail_cksum_final(struct pail_cksum *c, unsigned char out[PAIL_CKSUM_MAX_RAW]);
/* As pail_cksum_final(), but writes the base64 form ("" for NONE/failure),
 * which is what x-amz-checksum-* headers and XML elements carry. */
void pail_cksum_final_b64(struct pail_cksum *c, char out[PAIL_CKSUM_MAX_B64]);
/* Releases the EVP context of an abandoned hash. Safe on any initialised or
 * finalised hasher, and safe to call twice. */
void pail_cksum_free(struct pail_cksum *c);

/* Raw digest size of algo in bytes (CRC32/CRC32C 4, CRC64NVME 8, SHA1 20,
 * SHA256 32, MD5 16, NONE 0). */
size_t pail_cksum_size(enum pail_cksum_algo algo);
/* "crc32", "CRC32C", "crc64nvme", "sha1", "SHA256", "md5"... matched
 * case-insensitively; PAIL_CKSUM_NONE when unknown or NULL. */
enum pail_cksum_algo pail_cksum_algo_from_name(const char *name);
/* Upper-case AWS name ("CRC32", "CRC64NVME", "MD5"); "" for NONE. Static. */
const char *pail_cksum_algo_name(enum pail_cksum_algo algo);
/* Lower-case header name ("x-amz-checksum-crc32"); NULL for NONE and MD5
 * (MD5 travels as Content-MD5, not as an x-amz-checksum-* header). Static. */
const char *pail_cksum_header(enum pail_cksum_algo algo);
/* Inverse of pail_cksum_header(), case-insensitive; NONE when not one. */
enum pail_cksum_algo pail_cksum_algo_from_header(const char *header);

/* One-shot / chained CRCs, zlib style: pass 0 to start, or the previous
 * return value to continue (crc(A‖B) == f(f(0, A), B)). Values are the
 * finalized CRCs AWS publishes (init and xorout all ones). */
uint32_t pail_crc32(uint32_t crc, const void *p, size_t n);
uint32_t pail_crc32c(uint32_t crc, const void *p, size_t n);
uint64_t pail_crc64nvme(uint64_t crc, const void *p, size_t n);

/* CRC of A‖B from crc1 = CRC(A), crc2 = CRC(B) and len2 = |B| in bytes;
 * O(log len2), no data needed (full-object checksums of multipart uploads). */
uint32_t pail_crc32_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
uint32_t pail_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
uint64_t pail_crc64nvme_combine(uint64_t crc1, uint64_t crc2, uint64_t len2);

#endif
