/* fuzz/http_headers.c — the request headers GetObject, HeadObject,
 * CopyObject and the writes parse: Range (s3/object_get.c's parse_range,
 * reached by including that file: the Makefile links this harness without
 * its object), If-Match / If-None-Match / If-(Un)Modified-Since and their
 * x-amz-copy-source-if-* forms (s3_conditions), every HTTP-date form
 * (util/time.c), x-amz-copy-source, x-amz-tagging and the x-amz-grant-*
 * ACL headers.
 * Input: 8 bytes of object size (little-endian), 8 of mtime (seconds), then
 * header lines. */
#include "fuzz.h"

#include "s3/object_get.c"

#include "iam/acl.h"
#include "s3/tags.h"
#include "util/time.h"

static uint64_t le64(struct fz *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)fz_byte(in) << (8 * i);
    return v;
}

/* What a parsed date must survive: formatting it and parsing it back. */
static void check_date(const char *s)
{
    time_t t, u;
    if (pail_time_parse_http(s, &t) && t >= -62167219200 && t <= 253402300799) {
        char out[40];
        pail_time_http(t, out);
        if (!pail_time_parse_http(out, &u) || u != t)
            abort();
    }
    if (pail_time_parse_amz(s, &t) && t >= -62167219200 && t <= 253402300799) {
        char out[20];
        pail_time_amz(t, out);
        if (!pail_time_parse_amz(out, &u) || u != t)
            abort();
    }
    (void)pail_time_parse_iso8601(s, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    uint64_t osize = le64(&in);
    int64_t mtime = (int64_t)(le64(&in) % 253402300799u);
    struct fz_req f;
    fz_req_init(&f);
    struct pail_req *r = &f.req;
    fz_req_headers(&f, &in);

    const char *range = pail_req_header(r, "range");
    if (range) {
        /* A small size too: most objects are, and edge cases live there. */
        uint64_t sizes[3] = {osize, osize % 17, 0};
        for (int i = 0; i < 3; i++) {
            struct span s = {0};
            r->err = PAIL_OK;
            if (parse_range(r, range, sizes[i], &s) && r->err == PAIL_OK &&
                (!s.partial || s.len == 0 || s.off >= sizes[i] || s.len > sizes[i] - s.off))
                abort(); /* a satisfiable range lies inside the object */
        }
        r->err = PAIL_OK;
    }

    struct pail_object_rec o = {.etag = "d41d8cd98f00b204e9800998ecf8427e",
                                .mtime_ms = mtime * 1000, .size = osize};
    for (int p = 0; p < 2; p++)
        for (int allow = 0; allow < 2; allow++) {
            r->err = PAIL_OK;
            (void)s3_conditions(r, p ? "x-amz-copy-source-if-" : "if-", &o, allow);
        }
    o.etag = "9b2cf535f27731c974343645a3985328-2";
    (void)s3_conditions(r, "if-", &o, true);

    for (size_t i = 0; i < r->nheaders; i++)
        check_date(r->headers[i].value);

    r->err = PAIL_OK;
    const char *bucket, *key;
    if (pail_req_header(r, "x-amz-copy-source") && s3_copy_source(r, &bucket, &key) == PAIL_OK &&
        (!*bucket || !*key))
        abort();
    r->err = PAIL_OK;
    const char *tagging = pail_req_header(r, "x-amz-tagging");
    struct s3_tags tags;
    if (tagging)
        (void)s3_tags_from_header(r, tagging, &tags);

    static const char *const grant[PAIL_ACL_HDR__COUNT] = {
        "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
        "x-amz-grant-write-acp", "x-amz-grant-full-control"};
    const char *hdr[PAIL_ACL_HDR__COUNT];
    for (int i = 0; i < PAIL_ACL_HDR__COUNT; i++)
        hdr[i] = pail_req_header(r, grant[i]);
    struct pail_acl acl;
    bool present;
    const char *why;
    if (pail_acl_from_headers(hdr, PAIL_FIXED_CANONICAL_ID, "owner", r->arena, &acl, &present,
                              &why) == PAIL_OK && present)
        (void)pail_acl_to_json(&acl, r->arena);
    fz_req_free(&f);
    return 0;
}
