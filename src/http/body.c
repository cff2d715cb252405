/* http/body.c — see body.h. Sections: set-up from headers, the byte path,
 * the final checks. */
#include "http/body.h"

#include "auth/auth.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "http/aws_chunked.h"
#include "http/md5_pool.h"
#include "http/request.h"
#include "util/encode.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POOL_MIN (1u << 20) /* bodies from this size hash their MD5 in the pool */

struct pail_body {
    pail_sink_fn sink;
    void *ctx;
    struct pail_buf buf;            /* sink == NULL: the buffered body */
    struct pail_awschunked *chunked;
    bool raw_sha256;                /* hex x-amz-content-sha256 to verify */
    struct pail_cksum sha256, md5, ck;
    struct pail_md5_stream *md5s;   /* hashing the MD5 instead of md5, or NULL */
    enum pail_cksum_algo ck_algo;
    const char *ck_expected;        /* header value; NULL → trailer or none */
    const char *ck_trailer;         /* trailer name carrying the checksum */
    const char *content_md5;
    uint64_t decoded_len, expected_len;
    bool has_expected_len;
    unsigned char md5_out[PAIL_CKSUM_MAX_RAW];
    char ck_b64[64];
};

static void body_cleanup(void *arg)
{
    struct pail_body *b = arg;
    pail_md5_stream_abandon(b->md5s);
    pail_cksum_free(&b->sha256);
    pail_cksum_free(&b->md5);
    pail_cksum_free(&b->ck);
    pail_buf_free(&b->buf);
}

/* ---- set-up ---------------------------------------------------------- */

/* Finds the single x-amz-checksum-<algo> header, if any. */
static enum pail_err declared_checksum(struct pail_req *r, struct pail_body *b)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        enum pail_cksum_algo a = pail_cksum_algo_from_header(r->headers[i].name);
        if (a == PAIL_CKSUM_NONE)
            continue;
        if (b->ck_algo != PAIL_CKSUM_NONE)
            return pail_req_fail(r, PAIL_E_InvalidRequest,
                                 "Expecting a single x-amz-checksum- header. "
                                 "Multiple checksum Types are not allowed.");
        b->ck_algo = a;
        b->ck_expected = r->headers[i].value;
    }
    const char *trailer = pail_req_header(r, "x-amz-trailer");
    if (trailer) {
        enum pail_cksum_algo a = pail_cksum_algo_from_header(trailer);
        if (a == PAIL_CKSUM_NONE || b->ck_algo != PAIL_CKSUM_NONE)
            return pail_req_fail(r, PAIL_E_InvalidRequest,
                                 "The value specified in the x-amz-trailer header is not supported");
        b->ck_algo = a;
        b->ck_trailer = trailer; /* looked up case-insensitively */
    }
    if (b->ck_algo == PAIL_CKSUM_NONE) {
        const char *sdk = pail_req_header(r, "x-amz-sdk-checksum-algorithm");
        if (sdk)
            b->ck_algo = pail_cksum_algo_from_name(sdk);
    }
    return PAIL_OK;
}

static enum pail_err decoded_sink(void *ctx, const void *p, size_t n);

/* The payload mode, not Content-Encoding, says whether the body is framed:
 * S3 accepts "aws-chunked" in Content-Encoding on an ordinary body. */
static bool is_streaming(const struct pail_req *r)
{
    enum pail_payload p = r->auth.payload;
    return p == PAIL_PAYLOAD_STREAMING_SIGNED || p == PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER ||
           p == PAIL_PAYLOAD_STREAMING_UNSIGNED_TRAILER;
}

/* x-amz-decoded-content-length: 0 absent, 1 parsed into *v, -1 malformed. */
static int decoded_length_header(const struct pail_req *r, uint64_t *v)
{
    const char *dl = pail_req_header(r, "x-amz-decoded-content-length");
    if (!dl)
        return 0;
    char *end;
    *v = strtoull(dl, &end, 10);
    return *dl < '0' || *dl > '9' || *end ? -1 : 1;
}

bool pail_body_declared_length(const struct pail_req *r, uint64_t *len)
{
    if (is_streaming(r))
        return decoded_length_header(r, len) == 1;
    *len = r->length;
    return r->has_length;
}

static enum pail_err setup_chunked(struct pail_req *r, struct pail_body *b)
{
    const struct pail_auth *a = &r->auth;
    if (!is_streaming(r))
        return PAIL_OK;
    int dl = decoded_length_header(r, &b->expected_len);
    if (dl) {
        if (dl < 0)
            return pail_req_fail(r, PAIL_E_InvalidArgument,
                                 "x-amz-decoded-content-length is not a number");
        b->has_expected_len = true;
    } else if (a->payload != PAIL_PAYLOAD_STREAMING_UNSIGNED_TRAILER) {
        return pail_req_fail(r, PAIL_E_MissingContentLength,
                             "x-amz-decoded-content-length is required");
    }
    struct pail_awschunked_cfg cfg = {
        .verify_chunks = a->payload == PAIL_PAYLOAD_STREAMING_SIGNED ||
                         a->payload == PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER,
        .trailer_signed = a->payload == PAIL_PAYLOAD_STREAMING_SIGNED_TRAILER,
        .signing_key = a->signing_key,
        .amz_date = a->amz_date,
        .scope = a->scope,
        .seed_signature = a->seed_signature,
        .on_data = decoded_sink,
        .ctx = r,
    };
    b->chunked = pail_awschunked_new(r->arena, &cfg);
    return PAIL_OK;
}

enum pail_err pail_body_begin(struct pail_req *r, pail_sink_fn sink, void *ctx,
                              size_t max, enum pail_cksum_algo extra_algo, unsigned flags)
{
    struct pail_body *b = pail_arena_alloc(r->arena, sizeof(*b));
    r->body = b;
    b->sink = sink;
    b->ctx = ctx;
    pail_buf_init(&b->buf, max);
    pail_arena_cleanup(r->arena, body_cleanup, b);
    pail_cksum_init(&b->md5, PAIL_CKSUM_MD5);
    b->raw_sha256 = r->auth.payload == PAIL_PAYLOAD_SHA256;
    if (b->raw_sha256)
        pail_cksum_init(&b->sha256, PAIL_CKSUM_SHA256);
    b->content_md5 = pail_req_header(r, "content-md5");
    if (b->content_md5) {
        unsigned char d[20];
        if (pail_unbase64(b->content_md5, d, sizeof d) != 16)
            return pail_req_fail(r, PAIL_E_InvalidDigest, NULL);
    }
    enum pail_err e = flags & PAIL_BODY_OBJECT_CHECKSUM ? PAIL_OK : declared_checksum(r, b);
    if (e == PAIL_OK)
        e = setup_chunked(r, b);
    if (e != PAIL_OK)
        return e;
    if (b->ck_algo == PAIL_CKSUM_NONE)
        b->ck_algo = extra_algo;
    if (b->ck_algo != PAIL_CKSUM_NONE)
        pail_cksum_init(&b->ck, b->ck_algo);
    uint64_t len = b->has_expected_len ? b->expected_len : r->length;
    bool known = r->has_length || b->has_expected_len;
    if (sink && known && len > pail_limits.max_part_bytes)
        return pail_req_fail(r, PAIL_E_EntityTooLarge, NULL);
    if (sink && known && len >= POOL_MIN)
        b->md5s = pail_md5_stream_open();
    return PAIL_OK;
}

/* ---- the byte path --------------------------------------------------- */

static enum pail_err decoded_sink(void *ctx, const void *p, size_t n)
{
    struct pail_req *r = ctx;
    struct pail_body *b = r->body;
    b->decoded_len += n;
    if (b->sink && b->decoded_len > pail_limits.max_part_bytes)
        return pail_req_fail(r, PAIL_E_EntityTooLarge, NULL);
    if (b->md5s)
        pail_md5_stream_feed(b->md5s, p, n);
    else
        pail_cksum_update(&b->md5, p, n);
    if (b->ck_algo != PAIL_CKSUM_NONE)
        pail_cksum_update(&b->ck, p, n);
    /* Recorded here: with a plain body nothing else would, and the rest of
     * the body would be stored after the hole a failed write left. */
    if (b->sink) {
        enum pail_err e = b->sink(b->ctx, p, n);
        return e == PAIL_OK ? PAIL_OK : pail_req_fail(r, e, NULL);
    }
    if (!pail_buf_append(&b->buf, p, n))
        return pail_req_fail(r, PAIL_E_MaxMessageLengthExceeded, NULL);
    return PAIL_OK;
}

/* Records a decoder error with its detail, when it has one. */
static enum pail_err chunked_fail(struct pail_req *r, enum pail_err e)
{
    const char *why = pail_awschunked_error_detail(r->body->chunked);
    return why ? pail_req_fail(r, e, "%s", why) : pail_req_fail(r, e, NULL);
}

enum pail_err pail_body_feed(struct pail_req *r, const void *p, size_t n)
{
    struct pail_body *b = r->body;
    r->bytes_in += n;
    if (b->raw_sha256)
        pail_cksum_update(&b->sha256, p, n);
    if (!b->chunked)
        return decoded_sink(r, p, n);
    enum pail_err e = pail_awschunked_feed(b->chunked, p, n);
    return e == PAIL_OK ? PAIL_OK
                        : chunked_fail(r, e);
}

/* ---- final checks ---------------------------------------------------- */

static enum pail_err check_checksum(struct pail_req *r, struct pail_body *b)
{
    if (b->ck_algo == PAIL_CKSUM_NONE)
        return PAIL_OK;
    pail_cksum_final_b64(&b->ck, b->ck_b64);
    const char *want = b->ck_expected;
    if (!want && b->ck_trailer && b->chunked)
        want = pail_awschunked_trailer(b->chunked, b->ck_trailer);
    if (!want && b->ck_trailer)
        return pail_req_fail(r, PAIL_E_InvalidRequest,
                             "x-amz-trailer was declared but no trailer was sent");
    if (want && strcmp(want, b->ck_b64) != 0)
        return pail_req_fail(r, PAIL_E_BadDigest,
                             "The %s you specified did not match the calculated checksum.",
                             pail_cksum_algo_name(b->ck_algo));
    return PAIL_OK;
}

enum pail_err pail_body_finish(struct pail_req *r)
{
    struct pail_body *b = r->body;
    if (b->chunked) {
        enum pail_err e = pail_awschunked_finish(b->chunked);
        if (e != PAIL_OK)
            return chunked_fail(r, e);
        if (b->has_expected_len && b->decoded_len != b->expected_len)
            return pail_req_fail(r, PAIL_E_IncompleteBody, NULL);
    }
    if (b->raw_sha256) {
        unsigned char d[32];
        pail_cksum_final(&b->sha256, d);
        if (memcmp(d, r->auth.payload_sha256, 32) != 0)
            return pail_req_fail(r, PAIL_E_XAmzContentSHA256Mismatch, NULL);
    }
    if (b->md5s) {
        pail_md5_stream_close(b->md5s, b->md5_out);
        b->md5s = NULL;
    } else {
        pail_cksum_final(&b->md5, b->md5_out);
    }
    if (b->content_md5) {
        char b64[32];
        pail_base64(b->md5_out, 16, b64);
        if (strcmp(b64, b->content_md5) != 0)
            return pail_req_fail(r, PAIL_E_BadDigest, NULL);
    }
    return check_checksum(r, b);
}

const unsigned char *pail_body_md5(const struct pail_req *r) { return r->body->md5_out; }

uint64_t pail_body_length(const struct pail_req *r) { return r->body->decoded_len; }

enum pail_cksum_algo pail_body_checksum(const struct pail_req *r, const char **b64)
{
    *b64 = r->body->ck_algo != PAIL_CKSUM_NONE ? r->body->ck_b64 : NULL;
    return r->body->ck_algo;
}

const char *pail_body_data(const struct pail_req *r, size_t *len)
{
    *len = r->body->buf.len;
    return r->body->buf.data ? r->body->buf.data : "";
}
