/* auth/sigv2.c — see sigv2.h. Pure SigV2 steps for S3; no I/O, no clock, no
 * logging (inputs include secrets and signatures).
 *
 * Sections: 1. small helpers  2. Authorization parsing  3. canonical
 *           resource  4. canonical amz headers  5. string to sign, signing. */
#include "auth/sigv2.h"

#include "auth/crypto.h"
#include "core/arena.h"
#include "core/buf.h"
#include "util/encode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* botocore's HmacV1Auth.QSAOfInterest (the S3 guide's list plus the
 * sub-resources added since): a client signs exactly these, so a server that
 * signs one more or one fewer rejects every request using it. */
static const char *const SUBRESOURCES[] = {
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete",
    "inventory", "lifecycle", "location", "logging", "metrics", "notification",
    "object-lock", "partNumber", "policy", "replication", "requestPayment",
    "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "restore", "select",
    "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
    "versionId", "versioning", "versions", "website",
};

/* ---- 1. small helpers --------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Percent-decodes n bytes of s into a fresh arena string the way Python's
 * urllib.parse.unquote does (what botocore applies): a malformed escape is
 * kept literally instead of failing, and '+' stays '+'. */
static char *unquote(struct pail_arena *a, const char *s, size_t n)
{
    char *out = pail_arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi = s[i] == '%' && i + 2 < n ? pail_hex_value((unsigned char)s[i + 1]) : -1;
        int lo = hi >= 0 ? pail_hex_value((unsigned char)s[i + 2]) : -1;
        if (lo >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* Lower-cased copy of s in the arena. */
static char *lower_dup(struct pail_arena *a, const char *s)
{
    char *out = pail_arena_strdup(a, s);
    pail_ascii_lower(out);
    return out;
}

/* Appends s without its leading and trailing whitespace (Python's strip()). */
static void append_trimmed(struct pail_buf *b, const char *s)
{
    size_t n = strlen(s);
    while (n && is_ws(*s))
        s++, n--;
    while (n && is_ws(s[n - 1]))
        n--;
    pail_buf_append(b, s, n);
}

static enum pail_err overflowed(const struct pail_buf *b)
{
    return b->overflow ? PAIL_E_InvalidRequest : PAIL_OK;
}

/* One '&'-separated query segment: name span and optional value span. */
struct qseg {
    const char *name, *value; /* value NULL when there is no '=' */
    size_t nlen, vlen;
    const char *next;         /* the following segment, NULL at the end */
};

static bool next_seg(const char *p, struct qseg *s)
{
    if (!p || !*p)
        return false;
    const char *amp = strchr(p, '&');
    size_t seg = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', seg);
    s->name = p;
    s->nlen = eq ? (size_t)(eq - p) : seg;
    s->value = eq ? eq + 1 : NULL;
    s->vlen = eq ? seg - s->nlen - 1 : 0;
    s->next = amp ? amp + 1 : NULL;
    return true;
}

/* ---- 2. Authorization parsing ------------------------------------------- */

enum pail_err pail_sigv2_parse_authorization(struct pail_arena *a, const char *value,
                                             const char **access_key, const char **signature)
{
    if (!value || strncmp(value, "AWS ", 4) != 0)
        return PAIL_E_InvalidArgument;
    const char *p = value + 4;
    const char *colon = strrchr(p, ':');
    if (!colon || colon == p || !colon[1])
        return PAIL_E_InvalidArgument;
    *access_key = pail_arena_strndup(a, p, (size_t)(colon - p));
    *signature = pail_arena_strdup(a, colon + 1);
    return PAIL_OK;
}

bool pail_sigv2_is_subresource(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof SUBRESOURCES / sizeof SUBRESOURCES[0]; i++)
        if (strlen(SUBRESOURCES[i]) == n && memcmp(SUBRESOURCES[i], name, n) == 0)
            return true;
    return false;
}

/* ---- 3. canonical resource ---------------------------------------------- */

const char *pail_sigv2_resource_path(struct pail_arena *a, const char *raw_path)
{
    if (!raw_path || raw_path[0] != '/' || !raw_path[1] || strchr(raw_path + 1, '/'))
        return raw_path;
    return pail_arena_printf(a, "%s/", raw_path);
}

/* A signed query or header item; order keeps equal names in arrival order
 * (botocore's sorts are stable; qsort is not). */
struct item {
    const char *name, *value; /* value NULL for a bare "?uploads" */
    size_t order;
};

static int item_cmp(const void *x, const void *y)
{
    const struct item *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static size_t count_segments(const char *q)
{
    size_t n = 1;
    for (; q && *q; q++)
        n += *q == '&';
    return n;
}

bool pail_sigv2_has_empty_subresource(const char *raw_query)
{
    struct qseg s;
    for (const char *p = raw_query; next_seg(p, &s); p = s.next)
        if (s.value && s.vlen == 0 && pail_sigv2_is_subresource(s.name, s.nlen))
            return true;
    return false;
}

enum pail_err pail_sigv2_canonical_resource(struct pail_arena *a, struct pail_buf *b,
                                            const char *raw_path, const char *raw_query,
                                            bool bare_empty)
{
    pail_buf_puts(b, raw_path && *raw_path ? raw_path : "/");
    struct item *it = pail_arena_alloc(a, count_segments(raw_query) * sizeof(*it));
    size_t n = 0;
    struct qseg s;
    for (const char *p = raw_query; next_seg(p, &s); p = s.next) {
        if (!pail_sigv2_is_subresource(s.name, s.nlen))
            continue;
        it[n].name = pail_arena_strndup(a, s.name, s.nlen);
        bool bare = !s.value || (bare_empty && s.vlen == 0);
        it[n].value = bare ? NULL : unquote(a, s.value, s.vlen);
        it[n].order = n;
        n++;
    }
    qsort(it, n, sizeof(*it), item_cmp);
    for (size_t i = 0; i < n; i++) {
        pail_buf_puts(b, i ? "&" : "?");
        pail_buf_puts(b, it[i].name);
        if (it[i].value) {
            pail_buf_puts(b, "=");
            pail_buf_puts(b, it[i].value);
        }
    }
    return overflowed(b);
}

/* ---- 4. canonical amz headers ------------------------------------------- */

static bool is_amz(const char *lname)
{
    return strncmp(lname, "x-amz-", 6) == 0;
}

/* x-amz-* query parameters of a presigned URL, decoded, names lower-cased. */
static size_t query_amz(struct pail_arena *a, const char *raw_query, struct item *it, size_t n)
{
    struct qseg s;
    for (const char *p = raw_query; next_seg(p, &s); p = s.next) {
        char *name = lower_dup(a, unquote(a, s.name, s.nlen));
        if (!is_amz(name))
            continue;
        it[n].name = name;
        it[n].value = s.value ? unquote(a, s.value, s.vlen) : "";
        it[n].order = n;
        n++;
    }
    return n;
}

static bool named_in(const struct item *it, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(it[i].name, name) == 0)
            return true;
    return false;
}

enum pail_err pail_sigv2_canonical_amz_headers(struct pail_arena *a, struct pail_buf *b,
                                               const struct pail_sigv2_input *in)
{
    size_t cap = in->nheaders + (in->query_auth ? count_segments(in->raw_query) : 0);
    struct item *it = pail_arena_alloc(a, (cap + 1) * sizeof(*it));
    size_t nq = in->query_auth ? query_amz(a, in->raw_query, it, 0) : 0, n = nq;
    for (size_t i = 0; i < in->nheaders; i++) {
        char *name = lower_dup(a, in->headers[i].name);
        if (!is_amz(name) || named_in(it, nq, name))
            continue;
        it[n].name = name;
        it[n].value = in->headers[i].value ? in->headers[i].value : "";
        it[n].order = n;
        n++;
    }
    qsort(it, n, sizeof(*it), item_cmp);
    for (size_t i = 0; i < n; i++) {
        bool same = i > 0 && strcmp(it[i - 1].name, it[i].name) == 0;
        if (same) {
            pail_buf_puts(b, ",");
        } else {
            if (i > 0)
                pail_buf_puts(b, "\n");
            pail_buf_puts(b, it[i].name);
            pail_buf_puts(b, ":");
        }
        append_trimmed(b, it[i].value);
    }
    if (n)
        pail_buf_puts(b, "\n");
    return overflowed(b);
}

/* ---- 5. string to sign, signing ----------------------------------------- */

static const char *header(const struct pail_sigv2_input *in, const char *lname)
{
    for (size_t i = 0; i < in->nheaders; i++)
        if (strcasecmp(in->headers[i].name, lname) == 0)
            return in->headers[i].value;
    return NULL;
}

/* A positional value: the query parameter of a presigned URL, else the header. */
static const char *positional(struct pail_arena *a, const struct pail_sigv2_input *in,
                              const char *lname)
{
    struct qseg s;
    if (in->query_auth)
        for (const char *p = in->raw_query; next_seg(p, &s); p = s.next) {
            char *name = lower_dup(a, unquote(a, s.name, s.nlen));
            if (strcmp(name, lname) == 0)
                return s.value ? unquote(a, s.value, s.vlen) : "";
        }
    const char *v = header(in, lname);
    return v ? v : "";
}

enum pail_err pail_sigv2_string_to_sign(struct pail_arena *a, const struct pail_sigv2_input *in,
                                        struct pail_buf *out)
{
    pail_buf_puts(out, in->method);
    pail_buf_puts(out, "\n");
    append_trimmed(out, positional(a, in, "content-md5"));
    pail_buf_puts(out, "\n");
    append_trimmed(out, positional(a, in, "content-type"));
    pail_buf_puts(out, "\n");
    append_trimmed(out, in->date ? in->date : "");
    pail_buf_puts(out, "\n");
    enum pail_err e = pail_sigv2_canonical_amz_headers(a, out, in);
    if (e)
        return e;
    return pail_sigv2_canonical_resource(a, out, in->raw_path, in->raw_query, in->bare_empty);
}

void pail_sigv2_sign(const char *secret, const char *msg, size_t len,
                     char out[PAIL_SIGV2_SIG_LEN + 1])
{
    unsigned char mac[PAIL_SHA1_LEN];
    pail_hmac_sha1(secret, strlen(secret), msg, len, mac);
    pail_base64(mac, sizeof mac, out);
    pail_crypto_wipe(mac, sizeof mac);
}

enum pail_err pail_sigv2_signature(struct pail_arena *a, const struct pail_sigv2_input *in,
                                   const char *secret, char out[PAIL_SIGV2_SIG_LEN + 1])
{
    struct pail_buf sts;
    pail_buf_init(&sts, PAIL_SIGV2_MAX_STRING);
    enum pail_err e = pail_sigv2_string_to_sign(a, in, &sts);
    if (!e)
        pail_sigv2_sign(secret, sts.data ? sts.data : "", sts.len, out);
    pail_buf_free(&sts);
    return e;
}

bool pail_sigv2_signature_equal(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != PAIL_SIGV2_SIG_LEN || strlen(b) != PAIL_SIGV2_SIG_LEN)
        return false;
    return pail_crypto_equal(a, b, PAIL_SIGV2_SIG_LEN);
}
