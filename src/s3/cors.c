/* s3/cors.c — see cors.h. Sections: 1. building a rule set from its
 * document  2. matching  3. the XML form  4. response headers.
 * Must not: look up buckets or touch the store (callers hand in the rules),
 * or keep anything beyond the arena it is given. */
#include "s3/cors.h"

#include "core/arena.h"
#include "core/buf.h"
#include "http/request.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#define ID_MAX 255

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    {"GET", S3_CORS_GET},   {"PUT", S3_CORS_PUT},       {"HEAD", S3_CORS_HEAD},
    {"POST", S3_CORS_POST}, {"DELETE", S3_CORS_DELETE},
};

unsigned s3_cors_method_bit(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(name, methods[i].name) == 0)
            return methods[i].bit;
    return 0;
}

/* ---- 1. building a rule set ---------------------------------------------- */

static struct s3_cors_list list_of(const struct pail_xml_strs *s)
{
    return (struct s3_cors_list){s->v, s->n};
}

static const char *join(struct pail_arena *a, const struct s3_cors_list *l)
{
    if (!l->n)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < l->n; i++)
        len += strlen(l->v[i]) + 2;
    char *s = pail_arena_alloc(a, len + 1), *p = s;
    for (size_t i = 0; i < l->n; i++) {
        if (i) {
            memcpy(p, ", ", 2);
            p += 2;
        }
        size_t k = strlen(l->v[i]);
        memcpy(p, l->v[i], k);
        p += k;
    }
    *p = 0;
    return s;
}

/* MaxAgeSeconds: decimal digits within 32 bits (an xsd:int S3 would take;
 * a negative age means nothing to a browser, so it is refused). */
static bool parse_max_age(const char *s, long *out)
{
    long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
        if (v > INT_MAX)
            return false;
    }
    *out = v;
    return true;
}

/* AWS's InvalidRequest for a pattern with more than one '*'. */
static bool one_wildcard(struct pail_arena *a, const struct s3_cors_list *l, const char *what,
                         const char **why)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *star = strchr(l->v[i], '*');
        if (star && strchr(star + 1, '*')) {
            *why = pail_arena_printf(a, "%s \"%s\" can not have more than one wildcard.", what,
                                     l->v[i]);
            return false;
        }
    }
    return true;
}

static enum pail_err build_rule(struct pail_arena *a, const struct pail_xml_cors_rule *x,
                                struct s3_cors_rule *r, const char **why)
{
    r->id = x->id;
    r->origins = list_of(&x->origins);
    r->method_names = list_of(&x->methods);
    r->headers = list_of(&x->headers);
    r->expose = list_of(&x->expose);
    for (size_t i = 0; i < r->method_names.n; i++) {
        unsigned bit = s3_cors_method_bit(r->method_names.v[i]);
        if (!bit) {
            *why = pail_arena_printf(a, "Found unsupported HTTP method in CORS config. "
                                        "Unsupported method is %s", r->method_names.v[i]);
            return PAIL_E_InvalidRequest;
        }
        r->methods |= bit;
    }
    if (!one_wildcard(a, &r->origins, "AllowedOrigin", why) ||
        !one_wildcard(a, &r->headers, "AllowedHeader", why))
        return PAIL_E_InvalidRequest;
    if (r->id && strlen(r->id) > ID_MAX) {
        *why = "ID length should not exceed allowed limit of 255";
        return PAIL_E_InvalidArgument;
    }
    r->max_age = -1;
    if (x->max_age && !parse_max_age(x->max_age, &r->max_age))
        return PAIL_E_MalformedXML;
    r->allow_methods = join(a, &r->method_names);
    r->expose_joined = join(a, &r->expose);
    return PAIL_OK;
}

enum pail_err s3_cors_parse(const char *doc, size_t len, struct pail_arena *a,
                            const struct s3_cors **out, const char **why)
{
    *out = NULL;
    *why = NULL;
    if (len > S3_CORS_DOC_MAX)
        return PAIL_E_MalformedXML;
    struct pail_xml_cors x;
    enum pail_err e = pail_xml_parse_cors(doc, len, a, &x);
    if (e != PAIL_OK)
        return e;
    struct s3_cors_rule *rules = pail_arena_alloc(a, x.n * sizeof(*rules));
    for (size_t i = 0; i < x.n; i++)
        if ((e = build_rule(a, &x.rules[i], &rules[i], why)) != PAIL_OK)
            return e;
    struct s3_cors *c = pail_arena_alloc(a, sizeof(*c));
    c->rules = rules;
    c->n = x.n;
    *out = c;
    return PAIL_OK;
}

/* ---- 2. matching --------------------------------------------------------- */

static bool same(const char *a, const char *b, size_t n, bool nocase)
{
    return nocase ? strncasecmp(a, b, n) == 0 : memcmp(a, b, n) == 0;
}

/* s[0..n) against pattern: prefix '*' suffix, anchored at both ends. */
static bool wildcard_n(const char *pat, const char *s, size_t n, bool nocase)
{
    const char *star = strchr(pat, '*');
    size_t plen = strlen(pat);
    if (!star)
        return plen == n && same(pat, s, n, nocase);
    size_t pre = (size_t)(star - pat), suf = plen - pre - 1;
    return n >= pre + suf && same(pat, s, pre, nocase) &&
           same(star + 1, s + n - suf, suf, nocase);
}

bool s3_cors_wildcard(const char *pattern, const char *s, bool nocase)
{
    return wildcard_n(pattern, s, strlen(s), nocase);
}

/* The index of the first origin pattern matching origin, or -1. */
static long origin_index(const struct s3_cors_rule *r, const char *origin)
{
    for (size_t i = 0; i < r->origins.n; i++)
        if (s3_cors_wildcard(r->origins.v[i], origin, false))
            return (long)i;
    return -1;
}

static bool header_allowed(const struct s3_cors_rule *r, const char *name, size_t n)
{
    for (size_t i = 0; i < r->headers.n; i++)
        if (wildcard_n(r->headers.v[i], name, n, true))
            return true;
    return false;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Calls fn on each name of a comma-separated list, blanks trimmed, empty
 * elements skipped (RFC 9110 §5.6.1); stops at the first false. */
static bool each_name(const char *list, bool (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && is_ows(*s))
            s++;
        while (e > s && is_ows(e[-1]))
            e--;
        if (e > s && !fn(ctx, s, (size_t)(e - s)))
            return false;
        p += len + (p[len] == ',');
    }
    return true;
}

static bool name_allowed(void *ctx, const char *s, size_t n)
{
    return header_allowed(ctx, s, n);
}

const struct s3_cors_rule *s3_cors_match(const struct s3_cors *c, const char *origin,
                                         unsigned method, const char *req_headers, bool *star)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct s3_cors_rule *r = &c->rules[i];
        if (!(r->methods & method))
            continue;
        long o = origin_index(r, origin);
        if (o < 0)
            continue;
        if (req_headers && !each_name(req_headers, name_allowed, (void *)r))
            continue;
        *star = strcmp(r->origins.v[o], "*") == 0;
        return r;
    }
    return NULL;
}

/* ---- 3. the XML form ------------------------------------------------------ */

static void write_list(struct pail_xml *x, const char *name, const struct s3_cors_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        pail_xml_elem(x, name, l->v[i]);
}

void s3_cors_write(const struct s3_cors *c, struct pail_xml *x)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct s3_cors_rule *r = &c->rules[i];
        pail_xml_open(x, "CORSRule");
        if (r->id)
            pail_xml_elem(x, "ID", r->id);
        write_list(x, "AllowedHeader", &r->headers);
        write_list(x, "AllowedMethod", &r->method_names);
        write_list(x, "AllowedOrigin", &r->origins);
        write_list(x, "ExposeHeader", &r->expose);
        if (r->max_age >= 0)
            pail_xml_elem_u64(x, "MaxAgeSeconds", (uint64_t)r->max_age);
        pail_xml_close(x);
    }
}

/* ---- 4. response headers -------------------------------------------------- */

/* What S3 varies a CORS answer on, so that caches keep one per origin. */
#define VARY "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

static const char *const msg_no_bucket = "CORSResponse: Bucket not found";
static const char *const msg_not_enabled = "CORSResponse: CORS is not enabled for this bucket.";

/* Appends one requested header name, lower-cased, to the pail_buf ctx. */
static bool append_name(void *ctx, const char *s, size_t n)
{
    struct pail_buf *b = ctx;
    if (b->len)
        pail_buf_append(b, ", ", 2);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        pail_buf_append(b, &ch, 1);
    }
    return true;
}

/* The requested header names joined by ", " in the order asked: S3 answers
 * the allowed names that were requested, in lower case. */
static const char *requested_names(struct pail_req *r, const char *list)
{
    struct pail_buf *b = pail_arena_alloc(r->arena, sizeof(*b)); /* the arena frees it */
    pail_buf_init(b, 16384);
    pail_buf_in_arena(b, r->arena);
    each_name(list, append_name, b);
    return b->len ? b->data : NULL;
}

static void add_headers(struct pail_req *r, const struct s3_cors_rule *rule, bool star,
                        const char *origin, const char *allow_headers)
{
    pail_resp_header(r, "Access-Control-Allow-Origin", star ? "*" : origin);
    pail_resp_header(r, "Access-Control-Allow-Methods", rule->allow_methods);
    if (allow_headers)
        pail_resp_header(r, "Access-Control-Allow-Headers", allow_headers);
    if (rule->expose_joined)
        pail_resp_header(r, "Access-Control-Expose-Headers", rule->expose_joined);
    if (rule->max_age >= 0)
        pail_resp_headerf(r, "Access-Control-Max-Age", "%ld", rule->max_age);
    if (!star) /* an echoed origin may send cookies; "*" never can (Fetch) */
        pail_resp_header(r, "Access-Control-Allow-Credentials", "true");
    pail_resp_header(r, "Vary", VARY);
}

enum pail_err s3_cors_preflight(struct pail_req *r, const struct s3_cors *c, bool bucket_found)
{
    const char *origin = pail_req_header(r, "origin");
    if (!origin)
        return pail_req_fail(r, PAIL_E_BadRequest,
                             "Insufficient information. Origin request header needed.");
    if (!bucket_found)
        return pail_req_fail(r, PAIL_E_AccessForbidden, "%s", msg_no_bucket);
    if (!c)
        return pail_req_fail(r, PAIL_E_AccessForbidden, "%s", msg_not_enabled);
    const char *method = pail_req_header(r, "access-control-request-method");
    unsigned bit = method ? s3_cors_method_bit(method) : 0;
    if (!bit)
        return pail_req_fail(r, PAIL_E_BadRequest, "Invalid Access-Control-Request-Method: %s",
                             method ? method : "null");
    const char *req_headers = pail_req_header(r, "access-control-request-headers");
    bool star = false;
    const struct s3_cors_rule *rule = s3_cors_match(c, origin, bit, req_headers ? req_headers : "",
                                                    &star);
    if (!rule)
        return pail_req_fail(r, PAIL_E_AccessForbidden, NULL);
    add_headers(r, rule, star, origin, req_headers ? requested_names(r, req_headers) : NULL);
    r->resp.status = 200;
    return PAIL_OK;
}

void s3_cors_actual(struct pail_req *r, const struct s3_cors *c)
{
    const char *origin = pail_req_header(r, "origin");
    if (!c || !origin || !r->method || strcmp(r->method, "OPTIONS") == 0)
        return;
    const char *method = pail_req_header(r, "access-control-request-method");
    unsigned bit = s3_cors_method_bit(method ? method : r->method);
    bool star = false;
    const struct s3_cors_rule *rule = bit ? s3_cors_match(c, origin, bit, NULL, &star) : NULL;
    if (rule)
        add_headers(r, rule, star, origin, NULL);
}
