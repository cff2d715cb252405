/* http/target.c — see target.h. Query values follow form decoding ('+' is a
 * space), as S3 does; the path keeps '+' literal. */
#include "http/target.h"

#include "core/limits.h"
#include "http/request.h"
#include "util/encode.h"

#include <string.h>

/* Decodes n bytes into a fresh arena string; NULL on a bad escape or NUL. */
static char *decode(struct pail_req *r, const char *s, size_t n, bool plus_space)
{
    char *out = pail_arena_alloc(r->arena, n + 1);
    long len = pail_uri_decode(s, n, out, plus_space);
    if (len < 0 || strlen(out) != (size_t)len)
        return NULL;
    return out;
}

static enum pail_err parse_query(struct pail_req *r)
{
    const char *q = r->raw_query;
    size_t n = *q ? 1 : 0;
    for (const char *p = q; *p; p++)
        n += *p == '&';
    r->query = pail_arena_alloc(r->arena, (n + 1) * sizeof(*r->query));
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        if (len) {
            struct pail_qarg *a = &r->query[r->nquery++];
            size_t nl = eq ? (size_t)(eq - q) : len;
            a->name = decode(r, q, nl, true);
            a->value = eq ? decode(r, eq + 1, len - nl - 1, true) : NULL;
            if (!a->name || (eq && !a->value))
                return pail_req_fail(r, PAIL_E_InvalidArgument, "Invalid query string");
        }
        q += len + (amp ? 1 : 0);
    }
    return PAIL_OK;
}

enum pail_err pail_target_parse(struct pail_req *r, const char *vhost_bucket)
{
    const char *t = r->raw_target;
    const char *qm = strchr(t, '?');
    size_t plen = qm ? (size_t)(qm - t) : strlen(t);
    r->raw_path = pail_arena_strndup(r->arena, t, plen);
    r->raw_query = qm ? pail_arena_strdup(r->arena, qm + 1) : "";
    enum pail_err e = parse_query(r);
    if (e != PAIL_OK)
        return e;
    const char *p = r->raw_path;
    if (*p != '/')
        return pail_req_fail(r, PAIL_E_InvalidURI, NULL);
    p++;
    const char *slash;
    if (vhost_bucket) { /* bucket.domain/key */
        r->bucket = vhost_bucket;
        r->virtual_host = true;
        slash = p - 1;
    } else { /* /bucket/key */
        slash = strchr(p, '/');
        size_t blen = slash ? (size_t)(slash - p) : strlen(p);
        if (blen == 0)
            return PAIL_OK; /* "/" is the service */
        r->bucket = decode(r, p, blen, false);
        if (!r->bucket)
            return pail_req_fail(r, PAIL_E_InvalidURI, NULL);
    }
    if (!slash || !slash[1])
        return PAIL_OK;
    r->key = decode(r, slash + 1, strlen(slash + 1), false);
    if (!r->key)
        return pail_req_fail(r, PAIL_E_InvalidURI, NULL);
    if (strlen(r->key) > pail_limits.key_bytes)
        return pail_req_fail(r, PAIL_E_KeyTooLongError, NULL);
    if (!pail_utf8_valid(r->key, strlen(r->key)))
        return pail_req_fail(r, PAIL_E_InvalidURI, "Object keys must be valid UTF-8");
    return PAIL_OK;
}
