/* s3/tags.c — tag sets: parsing, AWS's limits, the stored form. */
#include "s3/tags.h"

#include "core/arena.h"
#include "http/request.h"
#include "util/encode.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TAG_KEY_MAX 128   /* Unicode characters */
#define TAG_VALUE_MAX 256

static const char HEADER_MSG[] =
    "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
    "without tag name duplicates.";

/* Unicode characters in s (valid UTF-8: continuation bytes do not count). */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* AWS's tag alphabet: letters, digits, spaces and _ . : / = + - @. Outside
 * ASCII every character passes (pail does not carry Unicode's categories;
 * erring on the side of accepting). */
static bool allowed(const char *s)
{
    if (!pail_utf8_valid(s, strlen(s)))
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
            continue;
        if (!strchr(" _.:/=+-@", c))
            return false;
    }
    return true;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct s3_tag *)a)->key, ((const struct s3_tag *)b)->key);
}

/* Sorts t and checks it: count, each key and value, no key twice. dup_err
 * and dup_msg: how a repeated key is refused (header and body differ). */
static enum pail_err check(struct pail_req *r, struct s3_tags *t, enum s3_tags_of of,
                           enum pail_err dup_err, const char *dup_msg)
{
    size_t max = of == S3_TAGS_OBJECT ? S3_OBJECT_TAGS_MAX : S3_BUCKET_TAGS_MAX;
    if (t->n > max)
        return pail_req_fail(r, PAIL_E_InvalidTag, of == S3_TAGS_OBJECT
                                                       ? "Object tags cannot be greater than 10"
                                                       : "Bucket tag count cannot be greater than 50");
    for (size_t i = 0; i < t->n; i++) {
        const char *k = t->v[i].key, *v = t->v[i].value;
        if (!*k || !allowed(k))
            return pail_req_fail(r, PAIL_E_InvalidTag, "The TagKey you have provided is invalid");
        if (chars(k) > TAG_KEY_MAX)
            return pail_req_fail(r, PAIL_E_InvalidTag,
                                 "The TagKey you have provided is too long, max 128");
        if (!allowed(v))
            return pail_req_fail(r, PAIL_E_InvalidTag, "The TagValue you have provided is invalid");
        if (chars(v) > TAG_VALUE_MAX)
            return pail_req_fail(r, PAIL_E_InvalidTag,
                                 "The TagValue you have provided is too long, max 256");
        if (strncmp(k, "aws:", 4) == 0)
            return pail_req_fail(r, PAIL_E_InvalidTag,
                                 "System tags cannot be added/updated by requester");
    }
    if (t->n > 1)
        qsort(t->v, t->n, sizeof *t->v, by_key);
    for (size_t i = 1; i < t->n; i++)
        if (strcmp(t->v[i - 1].key, t->v[i].key) == 0)
            return pail_req_fail(r, dup_err, "%s", dup_msg);
    return PAIL_OK;
}

/* Percent-decodes s[0..n) into the arena; NULL when it does not decode. */
static const char *decode(struct pail_arena *a, const char *s, size_t n)
{
    char *out = pail_arena_alloc(a, n + 1);
    long len = pail_uri_decode(s, n, out, true);
    if (len < 0 || memchr(out, 0, (size_t)len))
        return NULL;
    out[len] = 0;
    return out;
}

enum pail_err s3_tags_from_header(struct pail_req *r, const char *hdr, struct s3_tags *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 1;
    for (const char *p = hdr; *p; p++)
        cap += *p == '&';
    out->v = pail_arena_alloc(r->arena, cap * sizeof *out->v);
    for (const char *p = hdr; *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (len) {
            size_t klen = eq ? (size_t)(eq - p) : len;
            const char *k = decode(r->arena, p, klen);
            const char *v = eq ? decode(r->arena, eq + 1, len - klen - 1) : "";
            if (!k || !v)
                return pail_req_fail(r, PAIL_E_InvalidArgument, "%s", HEADER_MSG);
            out->v[out->n++] = (struct s3_tag){k, v};
        }
        p += len + (end != NULL);
    }
    return check(r, out, S3_TAGS_OBJECT, PAIL_E_InvalidArgument, HEADER_MSG);
}

enum pail_err s3_tags_from_xml(struct pail_req *r, const char *body, size_t len,
                               enum s3_tags_of of, struct s3_tags *out)
{
    memset(out, 0, sizeof *out);
    struct pail_xml_tagging x;
    enum pail_err e = pail_xml_parse_tagging(body, len, r->arena, &x);
    if (e == PAIL_E_InvalidTag)
        return pail_req_fail(r, e, of == S3_TAGS_OBJECT ? "Object tags cannot be greater than 10"
                                                        : "Bucket tag count cannot be greater than 50");
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    out->v = pail_arena_alloc(r->arena, (x.n + 1) * sizeof *out->v);
    for (size_t i = 0; i < x.n; i++)
        out->v[i] = (struct s3_tag){x.tags[i].key, x.tags[i].value};
    out->n = x.n;
    return check(r, out, of, PAIL_E_InvalidTag, "Cannot provide multiple Tags with the same key");
}

const char *s3_tags_to_json(struct pail_arena *a, const struct s3_tags *t)
{
    if (!t || !t->n)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < t->n; i++)
        json_array_append_new(arr, json_pack("[ss]", t->v[i].key, t->v[i].value));
    char *s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    const char *copy = s ? pail_arena_strdup(a, s) : NULL;
    free(s);
    return copy;
}

void s3_tags_from_json(struct pail_arena *a, const char *json, struct s3_tags *out)
{
    memset(out, 0, sizeof *out);
    json_t *arr = json ? json_loads(json, 0, NULL) : NULL;
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    out->v = pail_arena_alloc(a, (n + 1) * sizeof *out->v);
    for (size_t i = 0; i < n; i++) {
        const char *k, *v;
        if (json_unpack(json_array_get(arr, i), "[ss]", &k, &v) == 0)
            out->v[out->n++] = (struct s3_tag){pail_arena_strdup(a, k), pail_arena_strdup(a, v)};
    }
    json_decref(arr);
}

/* Pairs in the stored form: one '[' opens the array, one more each pair
 * (keys and values are JSON strings, whose brackets jansson leaves as they
 * are, so strings are skipped). */
size_t s3_tags_count(const char *json)
{
    size_t n = 0;
    bool in_string = false;
    for (const char *p = json; p && *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '[') {
            n++;
        }
    }
    return n ? n - 1 : 0;
}

void s3_tags_write_xml(struct pail_xml *x, const struct s3_tags *t)
{
    pail_xml_open(x, "TagSet");
    for (size_t i = 0; i < t->n; i++) {
        pail_xml_open(x, "Tag");
        pail_xml_elem(x, "Key", t->v[i].key);
        pail_xml_elem(x, "Value", t->v[i].value);
        pail_xml_close(x);
    }
    pail_xml_close(x);
}
