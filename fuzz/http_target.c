/* fuzz/http_target.c — a request as the doorman and then the server's first
 * handler call see it: the raw bytes through the doorman's head scan
 * (http/head_scan.c, and its TLS-port first-record check), the request
 * line's target (absolute form rewritten as server.c does),
 * the header fields through the RFC 9112 edge checks (http/edge.c), the Host
 * through virtual-host detection (s3/vhost.c), the target split into
 * bucket, key and query (http/target.c) and routed to an operation
 * (s3/route.c).
 * Input: "METHOD TARGET[ HTTP/1.1]\n" then "Name: value\n" lines.
 * server.c is included for its static absolute_form(); the Makefile leaves
 * its object out of this harness's link. */
#include "fuzz.h"

#include "http/server.c"

#include "http/edge.h"
#include "http/head_guard.h"
#include "http/head_scan.h"
#include "http/target.h"
#include "s3/op.h"
#include "s3/vhost.h"

/* The head guard following a connection's bytes (heads, Content-Length
 * bodies, pipelined heads) in pieces of step: whatever they are, it asks for
 * no more than its slot and answers a verdict per request. */
static void guard_bytes(const uint8_t *data, size_t size, size_t step)
{
    static int ready;
    static const int owner;
    if (!ready)
        ready = pail_head_guard_init() == 0 ? 1 : -1;
    if (ready < 0)
        return;
    pail_head_guard_open(3, &owner, false);
    for (size_t at = 0; at < size; at += step)
        pail_head_guard_feed(3, false, data + at, size - at < step ? size - at : step);
    for (int i = 0; i < 4; i++)
        if (pail_head_guard_verdict(3, &owner) > PAIL_GUARD_BAD)
            abort();
    pail_head_guard_close(3, &owner);
}

/* The doorman's judgement of the raw bytes, with what it promises: a done
 * head lies within the bytes and the limit; a shorter prefix of a done head
 * is never judged bad (bytes arriving later cannot undo a verdict). */
static void scan_raw(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data;
    size_t limit = size > 64 ? size - size / 4 : 64, len = 0;
    enum pail_head h = pail_head_scan(b, size, limit, &len);
    if (h == PAIL_HEAD_DONE && (len == 0 || len > size || len > limit))
        abort();
    if (h == PAIL_HEAD_DONE && pail_head_scan(b, len - 1, limit, NULL) != PAIL_HEAD_MORE)
        abort();
    /* a field limit only ever turns a verdict into TOO_BIG */
    enum pail_head hf = pail_head_scan_fields(b, size, limit, size % 40, NULL);
    if (hf != h && hf != PAIL_HEAD_TOO_BIG)
        abort();
    /* fed in pieces (the head guard's way), the same verdict at the same byte */
    struct pail_head_stream st;
    pail_head_stream_init(&st);
    size_t step = 1 + size % 13, at = 0, used = 0;
    enum pail_head hs = PAIL_HEAD_MORE;
    size_t end = size < limit ? size : limit;
    while (hs == PAIL_HEAD_MORE && at < end) {
        size_t k = end - at < step ? end - at : step;
        hs = pail_head_stream_feed(&st, b + at, k, limit, SIZE_MAX, &used);
        if (hs == PAIL_HEAD_MORE)
            at += k;
    }
    if (hs != h || (h == PAIL_HEAD_DONE && at + used != len))
        abort();
    guard_bytes(data, size, step);
    int plain;
    h = pail_hello_scan(b, size, limit, &plain);
    if (plain && h != PAIL_HEAD_BAD)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scan_raw(data, size);
    struct fz in = {data, size};
    struct fz_req f;
    fz_req_init(&f);
    struct pail_req *r = &f.req;
    fz_req_line(&f, &in);
    fz_req_headers(&f, &in);
    absolute_form(r);
    if (pail_http_edge_check(r) == PAIL_OK) {
        bool website = false;
        const char *vb = s3_vhost_bucket(r, &website);
        r->website = website;
        if (pail_target_parse(r, vb) == PAIL_OK) {
            /* What target.c promises: a key is UTF-8 and at most 1024 bytes. */
            if (r->key && (strlen(r->key) > 1024 || !pail_utf8_valid(r->key, strlen(r->key))))
                abort();
            for (size_t i = 0; i < r->nquery; i++)
                if (!r->query[i].name)
                    abort();
            if (pail_route_headers(r) == PAIL_OK)
                pail_route(r);
            (void)s3_website_host_bucket(r);
        }
    }
    fz_req_free(&f);
    return 0;
}
