/* s3/object_get.c — GetObject and HeadObject (one handler: MHD omits the body
 * of a HEAD response but keeps its length). Conditionals, Range, partNumber,
 * response-* overrides; the body goes out by sendfile from the data blob, or
 * from memory for an object kept inline in the metadata. */
#include "http/request.h"
#include "s3/services.h"
#include "s3/tags.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "store/data.h"
#include "util/checksum.h"
#include "util/time.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct span {
    uint64_t off, len;
    bool partial;
    const char *part_checksum; /* partNumber reads of a multipart object */
};

/* [s, e) as 1*DIGIT (RFC 9110 §14.1.1): no sign, no blanks, which strtoull
 * would take. A number too big for 64 bits saturates: it is past any end. */
static bool range_number(const char *s, const char *e, uint64_t *out)
{
    if (s == e)
        return false;
    uint64_t v = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    *out = v;
    return true;
}

/* "bytes=a-b", "bytes=a-", "bytes=-n". Returns false when the header should
 * be ignored (unparseable or several ranges, as S3 does); InvalidRange is
 * recorded when it parses but cannot be satisfied. */
static bool parse_range(struct pail_req *r, const char *h, uint64_t size, struct span *s)
{
    if (strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return false;
    const char *p = h + 6, *dash = strchr(p, '-'), *end = p + strlen(p);
    if (!dash)
        return false;
    if (p == dash) { /* suffix */
        uint64_t n;
        if (!range_number(dash + 1, end, &n))
            return false;
        if (n == 0 || size == 0) {
            pail_req_fail(r, PAIL_E_InvalidRange, NULL);
            return true;
        }
        s->len = n > size ? size : n;
        s->off = size - s->len;
    } else {
        uint64_t a, b = size ? size - 1 : 0;
        if (!range_number(p, dash, &a))
            return false;
        if (dash + 1 < end && (!range_number(dash + 1, end, &b) || b < a))
            return false;
        if (a >= size) {
            pail_req_fail(r, PAIL_E_InvalidRange, NULL);
            return true;
        }
        if (b >= size)
            b = size - 1;
        s->off = a;
        s->len = b - a + 1;
    }
    s->partial = true;
    return true;
}

/* partNumber=N of a multipart object: its byte span from the stored sizes. */
static enum pail_err part_span(struct pail_req *r, const struct pail_object_rec *o,
                               uint64_t n, struct span *s, unsigned *count)
{
    json_t *doc = o->parts ? json_loads(o->parts, 0, NULL) : NULL;
    json_t *parts = json_object_get(doc, "sizes");
    *count = parts ? (unsigned)json_array_size(parts) : 1;
    if (n > *count) {
        json_decref(doc);
        return pail_req_fail(r, PAIL_E_InvalidPart, "The requested partnumber is not satisfiable");
    }
    if (!parts) {
        s->off = 0, s->len = o->size, s->partial = false;
        return PAIL_OK;
    }
    uint64_t off = 0;
    for (size_t i = 0; i + 1 < n; i++)
        off += (uint64_t)json_integer_value(json_array_get(parts, i));
    s->off = off;
    s->len = (uint64_t)json_integer_value(json_array_get(parts, n - 1));
    s->partial = true;
    const char *ck = json_string_value(json_array_get(json_object_get(doc, "checksums"), n - 1));
    s->part_checksum = ck ? pail_arena_strdup(r->arena, ck) : NULL;
    json_decref(doc);
    return PAIL_OK;
}

/* checksum: the value describing exactly the bytes sent (the object's, or a
 * part's), or NULL when there is none (ranges). */
static void emit_headers(struct pail_req *r, const struct pail_object_rec *o,
                         const char *checksum)
{
    char when[40];
    pail_time_http((time_t)(o->mtime_ms / 1000), when);
    pail_resp_header(r, "Last-Modified", when);
    pail_resp_header(r, "ETag", s3_quoted(r, o->etag));
    pail_resp_header(r, "Accept-Ranges", "bytes");
    /* response-* parameters replace the stored header of the same name. */
    static const struct {
        const char *query, *header, *stored;
    } overrides[] = {
        {"response-content-language", "Content-Language", "content-language"},
        {"response-expires", "Expires", "expires"},
        {"response-cache-control", "Cache-Control", "cache-control"},
        {"response-content-disposition", "Content-Disposition", "content-disposition"},
        {"response-content-encoding", "Content-Encoding", "content-encoding"},
    };
    const char *ct = pail_req_query(r, "response-content-type");
    pail_resp_header(r, "Content-Type", ct ? ct : o->content_type);
    /* Most objects store no headers: no parse for those. */
    json_t *h = o->headers && strcmp(o->headers, "{}") != 0 ? json_loads(o->headers, 0, NULL)
                                                            : NULL;
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++) {
        const char *v = pail_req_query(r, overrides[i].query);
        if (v) {
            pail_resp_header(r, overrides[i].header, v);
            json_object_del(h, overrides[i].stored);
        }
    }
    s3_emit_stored_headers(r, h);
    json_decref(h);
    size_t ntags = s3_tags_count(o->tags);
    if (ntags)
        pail_resp_headerf(r, "x-amz-tagging-count", "%zu", ntags);
    const char *mode = pail_req_header(r, "x-amz-checksum-mode");
    if (checksum && o->checksum_algo && mode && strcmp(mode, "ENABLED") == 0) {
        enum pail_cksum_algo a = pail_cksum_algo_from_name(o->checksum_algo);
        pail_resp_header(r, pail_cksum_header(a), checksum);
        if (o->checksum_type)
            pail_resp_header(r, "x-amz-checksum-type", o->checksum_type);
    }
}

/* Looks the object up and opens its blob (an inline object has none: its
 * bytes came with the lookup). A concurrent overwrite or delete may remove
 * the blob between the two steps; the lookup is then repeated, so the reader
 * sees the newer state instead of an error. */
static enum pail_err open_object(struct pail_req *r, struct pail_object_rec *o, int *fd)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        /* The first look may be the one authorization made. */
        enum pail_err e = attempt == 0 && r->obj ? PAIL_OK
                          : pail_meta_object_get(r->svc->meta, r->bucket, r->key, r->arena, o);
        if (attempt == 0 && r->obj)
            *o = *r->obj;
        if (e != PAIL_OK)
            return pail_req_fail(r, e, NULL);
        if (o->inline_data)
            return PAIL_OK;
        uint64_t size;
        e = pail_data_open_read(r->svc->data, o->data_id, fd, &size);
        if (e == PAIL_E_NoSuchKey)
            continue;
        if (e != PAIL_OK)
            return pail_req_fail(r, e, NULL);
        if (size != o->size) {
            close(*fd);
            return pail_req_fail(r, PAIL_E_InternalError, "stored object has the wrong size");
        }
        pail_resp_fd(r, *fd, 0, o->size); /* error paths close it from here on */
        return PAIL_OK;
    }
    return pail_req_fail(r, PAIL_E_InternalError, "object data kept changing under the read");
}

enum pail_err s3_get_object(struct pail_req *r)
{
    struct pail_object_rec o;
    int fd;
    if (open_object(r, &o, &fd) != PAIL_OK)
        return r->err;
    if (s3_conditions(r, "if-", &o, true) != PAIL_OK) {
        emit_headers(r, &o, NULL); /* a 304 still carries the validators */
        r->resp.len = o.size;      /* and the 200's Content-Length (s3/error.c) */
        return r->err;
    }
    struct span s = {.len = o.size};
    const char *pn = pail_req_query(r, "partNumber");
    const char *range = pail_req_header(r, "range");
    unsigned count = 0;
    if (pn) {
        uint64_t n;
        if (range)
            return pail_req_fail(r, PAIL_E_InvalidRequest,
                                 "Cannot specify both Range header and partNumber query parameter");
        if (s3_parse_uint(r, "partNumber", pn, 1, 10000, &n) != PAIL_OK ||
            part_span(r, &o, n, &s, &count) != PAIL_OK)
            return r->err;
    } else if (range && parse_range(r, range, o.size, &s) && r->err != PAIL_OK) {
        pail_resp_headerf(r, "Content-Range", "bytes */%llu", (unsigned long long)o.size);
        return r->err;
    }
    /* A range has no checksum of its own; a part has the one it was uploaded with. */
    emit_headers(r, &o, !s.partial ? o.checksum : pn ? s.part_checksum : NULL);
    if (pn)
        pail_resp_headerf(r, "x-amz-mp-parts-count", "%u", count);
    if (s.partial) {
        r->resp.status = 206;
        pail_resp_headerf(r, "Content-Range", "bytes %llu-%llu/%llu",
                          (unsigned long long)s.off, (unsigned long long)(s.off + s.len - 1),
                          (unsigned long long)o.size);
    }
    if (o.inline_data) { /* lives as long as the arena: sent without a copy */
        pail_resp_mem(r, (const unsigned char *)o.inline_data + s.off, (size_t)s.len);
        return PAIL_OK;
    }
    r->resp.off = s.off;
    r->resp.len = s.len;
    return PAIL_OK;
}
