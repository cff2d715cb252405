/* http/aws_chunked.c — see aws_chunked.h. A byte-driven state machine: size
 * lines and trailer lines are collected in a fixed buffer, chunk data flows
 * straight to on_data while being hashed, and every chunk signature is
 * checked against the chain that starts at the seed signature. It never logs
 * signatures or keys.
 *
 * Sections: 1. state  2. errors and lines  3. chunks  4. trailers
 *           5. feed / finish  6. accessors. */
#include "http/aws_chunked.h"

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/sigv4.h"
#include "core/arena.h"

#include <string.h>
#include <strings.h>

/* ---- 1. state ----------------------------------------------------------- */

enum state {
    ST_SIZE,    /* collecting "hex-size[;chunk-signature=...]" */
    ST_DATA,    /* remaining bytes of chunk data */
    ST_DATA_CR, /* the CR after the data */
    ST_DATA_LF, /* the LF after the data */
    ST_TRAILER, /* after the 0-size chunk: trailer lines until an empty one */
    ST_DONE,
    ST_FAILED,
};

struct trailer {
    const char *name, *value;
};

struct pail_awschunked {
    struct pail_arena *arena;
    enum pail_err (*on_data)(void *ctx, const void *p, size_t n);
    void *ctx;
    bool verify, trailer_signed;
    unsigned char key[PAIL_SHA256_LEN];
    char amz_date[17], scope[128];
    char prev_sig[PAIL_SHA256_HEX_LEN + 1];  /* last verified link of the chain */
    char chunk_sig[PAIL_SHA256_HEX_LEN + 1]; /* signature the current chunk claims */
    struct pail_sha256 hash;                 /* chunk data, later the trailer lines */

    enum state st;
    enum pail_err err;
    const char *detail;
    uint64_t remaining, decoded;
    uint64_t last_size;  /* size of the previous data chunk; 0 before the first */
    size_t llen;
    char line[PAIL_AWSCHUNKED_LINE_MAX + 1];

    struct trailer trailers[PAIL_AWSCHUNKED_MAX_TRAILERS];
    size_t ntrailers, trailer_bytes;
    bool trailer_sig_seen;
};

/* ---- 2. errors and lines ------------------------------------------------ */

static enum pail_err fail(struct pail_awschunked *d, enum pail_err e, const char *detail)
{
    if (!d->err) {
        d->err = e;
        d->detail = detail;
        d->st = ST_FAILED;
    }
    return d->err;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static enum pail_err size_line(struct pail_awschunked *d, char *s, size_t n);
static enum pail_err trailer_line(struct pail_awschunked *d, char *s, size_t n);

/* Hands a complete line (without its CR LF / LF) to the current state. */
static enum pail_err end_line(struct pail_awschunked *d)
{
    size_t n = d->llen;
    if (n && d->line[n - 1] == '\r')
        n--;
    d->line[n] = 0;
    d->llen = 0;
    return d->st == ST_SIZE ? size_line(d, d->line, n) : trailer_line(d, d->line, n);
}

/* Collects bytes of a line; returns how many of the n bytes it consumed. */
static size_t take_line(struct pail_awschunked *d, const char *s, size_t n)
{
    const char *nl = memchr(s, '\n', n);
    size_t take = nl ? (size_t)(nl - s) : n;
    if (take > PAIL_AWSCHUNKED_LINE_MAX - d->llen) {
        fail(d, PAIL_E_InvalidRequest, "aws-chunked: a chunk-size or trailer line is "
                                       "longer than 4096 bytes");
        return n;
    }
    memcpy(d->line + d->llen, s, take);
    d->llen += take;
    if (!nl)
        return n;
    end_line(d);
    return take + 1;
}

/* ---- 3. chunks ---------------------------------------------------------- */

/* Parses ";chunk-signature=<64 hex>" (possibly among other extensions). */
static enum pail_err chunk_extension(struct pail_awschunked *d, const char *s)
{
    static const char key[] = "chunk-signature=";
    const char *p = strstr(s, key);
    if (!p) {
        return fail(d, PAIL_E_SignatureDoesNotMatch,
                    "aws-chunked: chunk-signature missing from a signed chunk");
    }
    p += sizeof(key) - 1;
    size_t n = strcspn(p, "; \t");
    if (n != PAIL_SHA256_HEX_LEN || !all_hex(p, n))
        return fail(d, PAIL_E_SignatureDoesNotMatch, "aws-chunked: malformed chunk-signature");
    for (size_t i = 0; i < n; i++)
        d->chunk_sig[i] = (char)(p[i] | 0x20); /* lower-case hex letters */
    d->chunk_sig[n] = 0;
    return PAIL_OK;
}

/* Checks the chunk whose data has just been hashed, and advances the chain. */
static enum pail_err verify_chunk(struct pail_awschunked *d)
{
    if (!d->verify)
        return PAIL_OK;
    unsigned char sha[PAIL_SHA256_LEN];
    char want[PAIL_SHA256_HEX_LEN + 1];
    pail_sha256_final(&d->hash, sha);
    pail_sigv4_chunk_signature(d->key, d->amz_date, d->scope, d->prev_sig, sha, want);
    if (!pail_sigv4_signature_equal(want, d->chunk_sig))
        return fail(d, PAIL_E_SignatureDoesNotMatch,
                    "aws-chunked: a chunk signature does not match its data");
    memcpy(d->prev_sig, want, sizeof(want));
    return PAIL_OK;
}

static enum pail_err size_line(struct pail_awschunked *d, char *s, size_t n)
{
    uint64_t size = 0;
    size_t i = 0;
    for (; i < n && all_hex(s + i, 1); i++) {
        if (size >> 60)
            return fail(d, PAIL_E_InvalidRequest, "aws-chunked: chunk size too large");
        char c = (char)(s[i] | 0x20);
        size = size << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    size_t digits = i;
    while (i < n && is_blank(s[i]))
        i++;
    if (digits == 0 || (i < n && s[i] != ';'))
        return fail(d, PAIL_E_InvalidRequest, "aws-chunked: malformed chunk-size line");
    if (d->verify && chunk_extension(d, s + i))
        return d->err;
    if (size == 0) {
        d->st = ST_TRAILER; /* the hash is fresh: the empty chunk hashes "" */
        return verify_chunk(d);
    }
    /* S3 requires every signed chunk but the last to carry at least 8 KiB. */
    if (d->verify && d->last_size && d->last_size < PAIL_AWSCHUNKED_MIN_CHUNK)
        return fail(d, PAIL_E_InvalidChunkSizeError,
                    "Only the last chunk is allowed to have a size less than 8192 bytes");
    d->last_size = size;
    d->remaining = size;
    d->st = ST_DATA;
    return PAIL_OK;
}

/* Passes up to n bytes of chunk data on; returns how many it consumed. */
static size_t take_data(struct pail_awschunked *d, const char *s, size_t n)
{
    size_t k = d->remaining < n ? (size_t)d->remaining : n;
    if (d->verify)
        pail_sha256_update(&d->hash, s, k);
    if (d->on_data) {
        enum pail_err e = d->on_data(d->ctx, s, k);
        if (e) {
            fail(d, e, NULL);
            return n;
        }
    }
    d->decoded += k;
    d->remaining -= k;
    if (d->remaining == 0)
        d->st = ST_DATA_CR;
    return k;
}

/* The CR LF that closes chunk data; then the chunk's signature is checked. */
static void data_crlf(struct pail_awschunked *d, char c)
{
    if (d->st == ST_DATA_CR && c == '\r') {
        d->st = ST_DATA_LF;
        return;
    }
    if (d->st == ST_DATA_LF && c == '\n') {
        d->st = ST_SIZE;
        verify_chunk(d);
        return;
    }
    fail(d, PAIL_E_InvalidRequest, "aws-chunked: chunk data is not followed by CRLF");
}

/* ---- 4. trailers -------------------------------------------------------- */

static void trim(char **s, size_t *n)
{
    while (*n && is_blank(**s))
        (*s)++, (*n)--;
    while (*n && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* x-amz-trailer-signature: closes the hash of the lines before it. */
static enum pail_err trailer_signature(struct pail_awschunked *d, const char *v, size_t n)
{
    if (!d->trailer_signed)
        return PAIL_OK; /* unsigned modes: nothing to check it against */
    if (n != PAIL_SHA256_HEX_LEN || !all_hex(v, n))
        return fail(d, PAIL_E_SignatureDoesNotMatch, "aws-chunked: malformed trailer signature");
    char got[PAIL_SHA256_HEX_LEN + 1], want[PAIL_SHA256_HEX_LEN + 1];
    for (size_t i = 0; i < n; i++)
        got[i] = (char)(v[i] | 0x20);
    got[n] = 0;
    unsigned char sha[PAIL_SHA256_LEN];
    pail_sha256_final(&d->hash, sha);
    pail_sigv4_trailer_signature(d->key, d->amz_date, d->scope, d->prev_sig, sha, want);
    if (!pail_sigv4_signature_equal(want, got))
        return fail(d, PAIL_E_SignatureDoesNotMatch,
                    "aws-chunked: the trailer signature does not match the trailers");
    memcpy(d->prev_sig, want, sizeof(want));
    return PAIL_OK;
}

/* The empty line: the body is complete. */
static enum pail_err trailers_end(struct pail_awschunked *d)
{
    if (d->trailer_signed && !d->trailer_sig_seen)
        return fail(d, PAIL_E_SignatureDoesNotMatch,
                    "aws-chunked: x-amz-trailer-signature is missing");
    d->st = ST_DONE;
    return PAIL_OK;
}

static enum pail_err trailer_line(struct pail_awschunked *d, char *s, size_t n)
{
    if (n == 0)
        return trailers_end(d);
    if (d->trailer_sig_seen)
        return fail(d, PAIL_E_InvalidRequest, "aws-chunked: trailer after the trailer signature");
    char *colon = memchr(s, ':', n);
    char *name = s, *value = colon ? colon + 1 : NULL;
    size_t nlen = colon ? (size_t)(colon - s) : 0, vlen = colon ? n - nlen - 1 : 0;
    trim(&name, &nlen);
    trim(&value, &vlen);
    if (!colon || nlen == 0)
        return fail(d, PAIL_E_InvalidRequest, "aws-chunked: malformed trailer line");
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] | 0x20 : name[i]);
    if (nlen == 23 && memcmp(name, "x-amz-trailer-signature", 23) == 0) {
        d->trailer_sig_seen = true;
        return trailer_signature(d, value, vlen);
    }
    d->trailer_bytes += n;
    if (d->ntrailers == PAIL_AWSCHUNKED_MAX_TRAILERS ||
        d->trailer_bytes > PAIL_AWSCHUNKED_TRAILER_BYTES)
        return fail(d, PAIL_E_InvalidRequest, "aws-chunked: too many trailers");
    struct trailer *t = &d->trailers[d->ntrailers++];
    t->name = pail_arena_strndup(d->arena, name, nlen);
    t->value = pail_arena_strndup(d->arena, value, vlen);
    if (d->trailer_signed) { /* canonical trailer: "name:value\n" */
        pail_sha256_update(&d->hash, name, nlen);
        pail_sha256_update(&d->hash, ":", 1);
        pail_sha256_update(&d->hash, value, vlen);
        pail_sha256_update(&d->hash, "\n", 1);
    }
    return PAIL_OK;
}

/* ---- 5. new / feed / finish --------------------------------------------- */

void pail_awschunked_cfg_auth(struct pail_awschunked_cfg *c, const struct pail_auth *au)
{
    c->verify_chunks = au->payload == PAIL_PAYLOAD_STREAMING_SIGNED ||
                       au->payload == PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER;
    c->trailer_signed = au->payload == PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER;
    c->signing_key = au->signing_key;
    c->amz_date = au->amz_date;
    c->scope = au->scope;
    c->seed_signature = au->seed_signature;
}

/* Copies the chain inputs; false when a verifying config lacks one. */
static bool copy_chain(struct pail_awschunked *d, const struct pail_awschunked_cfg *c)
{
    if (!c->signing_key || !c->amz_date || !c->scope || !c->seed_signature ||
        strlen(c->amz_date) != 16 || strlen(c->scope) >= sizeof(d->scope) ||
        strlen(c->seed_signature) != PAIL_SHA256_HEX_LEN)
        return false;
    memcpy(d->key, c->signing_key, PAIL_SHA256_LEN);
    memcpy(d->amz_date, c->amz_date, 17);
    memcpy(d->scope, c->scope, strlen(c->scope) + 1);
    memcpy(d->prev_sig, c->seed_signature, PAIL_SHA256_HEX_LEN + 1);
    return true;
}

static void wipe_key(void *arg)
{
    struct pail_awschunked *d = arg;
    pail_crypto_wipe(d->key, sizeof(d->key));
}

struct pail_awschunked *pail_awschunked_new(struct pail_arena *a,
                                            const struct pail_awschunked_cfg *c)
{
    struct pail_awschunked *d = pail_arena_alloc(a, sizeof(*d));
    d->arena = a;
    d->on_data = c->on_data;
    d->ctx = c->ctx;
    d->verify = c->verify_chunks || c->trailer_signed;
    d->trailer_signed = c->trailer_signed;
    d->st = ST_SIZE;
    if (!d->verify)
        return d;
    pail_arena_cleanup(a, wipe_key, d);
    if (!copy_chain(d, c)) {
        fail(d, PAIL_E_InternalError, "aws-chunked: verification configured without its keys");
        return d;
    }
    if (pail_sha256_init(&d->hash) != PAIL_OK)
        fail(d, PAIL_E_InternalError, NULL);
    pail_sha256_in_arena(&d->hash, a);
    return d;
}

enum pail_err pail_awschunked_feed(struct pail_awschunked *d, const void *p, size_t n)
{
    const char *s = p;
    size_t i = 0;
    while (i < n && !d->err) {
        switch (d->st) {
        case ST_SIZE:
        case ST_TRAILER:
            i += take_line(d, s + i, n - i);
            break;
        case ST_DATA:
            i += take_data(d, s + i, n - i);
            break;
        case ST_DATA_CR:
        case ST_DATA_LF:
            data_crlf(d, s[i++]);
            break;
        case ST_DONE:
            fail(d, PAIL_E_InvalidRequest, "aws-chunked: data after the end of the body");
            break;
        case ST_FAILED:
            break;
        }
    }
    return d->err;
}

enum pail_err pail_awschunked_finish(struct pail_awschunked *d)
{
    if (d->err || d->st == ST_DONE)
        return d->err;
    if (d->st != ST_TRAILER)
        return fail(d, PAIL_E_IncompleteBody,
                    "aws-chunked: the body ended before its 0-size chunk");
    /* Tolerate a missing final CRLF: a pending line counts as complete. */
    if (d->llen && end_line(d))
        return d->err;
    return d->st == ST_DONE ? PAIL_OK : trailers_end(d);
}

/* ---- 6. accessors ------------------------------------------------------- */

const char *pail_awschunked_error_detail(const struct pail_awschunked *d)
{
    return d->detail;
}

const char *pail_awschunked_trailer(const struct pail_awschunked *d, const char *lname)
{
    for (size_t i = 0; i < d->ntrailers; i++)
        if (strcasecmp(d->trailers[i].name, lname) == 0)
            return d->trailers[i].value;
    return NULL;
}

size_t pail_awschunked_trailer_count(const struct pail_awschunked *d)
{
    return d->ntrailers;
}

void pail_awschunked_trailer_at(const struct pail_awschunked *d, size_t i, const char **name,
                                const char **value)
{
    *name = i < d->ntrailers ? d->trailers[i].name : NULL;
    *value = i < d->ntrailers ? d->trailers[i].value : NULL;
}

uint64_t pail_awschunked_decoded_len(const struct pail_awschunked *d)
{
    return d->decoded;
}
