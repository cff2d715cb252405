/* http/aws_chunked.h — streaming decoder for `Content-Encoding: aws-chunked`
 * request bodies (after MHD removed any HTTP Transfer-Encoding chunking).
 * Owns: the framing state machine, the chain of chunk signatures
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]), the trailer lines and the
 * trailer signature. Input may be split at any byte; memory is bounded (one
 * 4 KiB line buffer, at most 16 trailers / 16 KiB of trailer text) and chunk
 * data is hashed as it streams, never buffered.
 *
 * Framing:  hex-size[;chunk-signature=<64 hex>] CRLF data CRLF ... repeated;
 *           0[;chunk-signature=...] CRLF; then trailer lines "name:value" CRLF
 *           (signed-trailer mode ends them with x-amz-trailer-signature:<hex>);
 *           then an empty line (its absence is tolerated at finish). Bare LF
 *           line ends are accepted on size and trailer lines.
 *
 * Decoded bytes go to cfg.on_data as they arrive, before the chunk that holds
 * them is verified: they are provisional until pail_awschunked_finish()
 * returns PAIL_OK, and the caller must discard them on any error (body.c
 * aborts the data writer). The decoder lives in the arena it was made in. */
#ifndef PAIL_HTTP_AWS_CHUNKED_H
#define PAIL_HTTP_AWS_CHUNKED_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_arena;
struct pail_auth;
struct pail_awschunked;

#define PAIL_AWSCHUNKED_LINE_MAX 4096      /* one size or trailer line */
#define PAIL_AWSCHUNKED_MAX_TRAILERS 16
#define PAIL_AWSCHUNKED_MIN_CHUNK 8192    /* signed chunks but the last */
#define PAIL_AWSCHUNKED_TRAILER_BYTES 16384 /* all trailer lines together */

struct pail_awschunked_cfg {
    bool verify_chunks;   /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] */
    bool trailer_signed;  /* ...-TRAILER: require and check x-amz-trailer-signature */
    /* Chain inputs (copied by pail_awschunked_new; needed only when verifying): */
    const unsigned char *signing_key; /* 32 bytes */
    const char *amz_date;             /* "20130524T000000Z" */
    const char *scope;                /* "20130524/us-east-1/s3/aws4_request" */
    const char *seed_signature;       /* 64 hex: the Authorization header's */
    /* Receives decoded data; its error stops decoding and is returned by feed.
     * NULL discards the data. */
    enum pail_err (*on_data)(void *ctx, const void *p, size_t n);
    void *ctx;
};

/* Sets the verification fields of c from an authenticated request's auth
 * (payload mode, signing key, date, scope, seed); leaves on_data/ctx alone.
 * The key is copied again by pail_awschunked_new(). */
void pail_awschunked_cfg_auth(struct pail_awschunked_cfg *c, const struct pail_auth *au);

/* New decoder in arena a (freed with it; its hash context is released by an
 * arena cleanup). Never NULL; a config that asks for verification without
 * key/date/scope/seed makes every later call return InternalError. */
struct pail_awschunked *pail_awschunked_new(struct pail_arena *a,
                                            const struct pail_awschunked_cfg *c);

/* Decodes n more raw bytes. Errors (sticky: every later call repeats them):
 * SignatureDoesNotMatch (bad or missing chunk/trailer signature),
 * InvalidRequest (malformed framing, over-long line, too many trailers, data
 * after the end), InternalError (bad config), or whatever on_data returned.
 * Truncation is only detected by pail_awschunked_finish(). */
enum pail_err pail_awschunked_feed(struct pail_awschunked *d, const void *p, size_t n);

/* Ends the body. IncompleteBody unless the 0-size chunk was seen (a missing
 * final empty line after the trailers is tolerated); SignatureDoesNotMatch
 * when signed trailers lack their signature; earlier errors repeat. */
enum pail_err pail_awschunked_finish(struct pail_awschunked *d);

/* A static English detail for the last error (for pail_req_fail), or NULL. */
const char *pail_awschunked_error_detail(const struct pail_awschunked *d);

/* Trailer value by lower-case name (trimmed, arena-owned); NULL if absent.
 * x-amz-trailer-signature is not reported. */
const char *pail_awschunked_trailer(const struct pail_awschunked *d, const char *lname);
/* Number of trailers received, and the i-th of them (name, value). */
size_t pail_awschunked_trailer_count(const struct pail_awschunked *d);
void pail_awschunked_trailer_at(const struct pail_awschunked *d, size_t i,
                                const char **name /* out */, const char **value /* out */);

/* Decoded bytes passed to on_data so far. */
uint64_t pail_awschunked_decoded_len(const struct pail_awschunked *d);

#endif
