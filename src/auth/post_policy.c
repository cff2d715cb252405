/* auth/post_policy.c — see post_policy.h. The policy is compiled once into a
 * flat list of conditions (field, value, eq or starts-with, and the text AWS
 * quotes when one fails) plus one length range; checking is a walk over that
 * list and the fields. jansson memory never leaves pail_post_policy_parse:
 * the document is freed before it returns, its strings copied into the arena.
 *
 * Sections: 1. the form  2. signatures  3. parsing  4. checking. */
#include "auth/post_policy.h"

#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "core/arena.h"
#include "util/encode.h"
#include "util/time.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- 1. the form ------------------------------------------------------------ */

#define MISSING(name)                                                                  \
    "Bucket POST must contain a field named '" name "'.  If it is specified, please " \
    "check the order of the fields."

const struct pail_post_field *pail_post_field_get(const struct pail_post_field *fields, size_t n,
                                                  const char *lname)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].name && strcasecmp(fields[i].name, lname) == 0)
            return &fields[i];
    return NULL;
}

static bool has(const struct pail_post_field *fields, size_t n, const char *lname)
{
    return pail_post_field_get(fields, n, lname) != NULL;
}

static enum pail_err missing(const char **why, const char *msg)
{
    *why = msg;
    return PAIL_E_InvalidArgument;
}

enum pail_err pail_post_form_auth(const struct pail_post_field *fields, size_t n,
                                  enum pail_post_auth *kind, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    *kind = PAIL_POST_ANONYMOUS;
    if (!has(fields, n, "key"))
        return missing(why, MISSING("key"));
    bool v4 = has(fields, n, "x-amz-algorithm") || has(fields, n, "x-amz-credential") ||
              has(fields, n, "x-amz-signature");
    bool v2 = has(fields, n, "awsaccesskeyid") || has(fields, n, "signature");
    if (!has(fields, n, "policy")) {
        /* Credentials without a policy sign nothing: refuse rather than
         * quietly treat the form as anonymous. */
        return v4 || v2 ? missing(why, MISSING("policy")) : PAIL_OK;
    }
    if (v4) {
        if (!has(fields, n, "x-amz-algorithm"))
            return missing(why, MISSING("x-amz-algorithm"));
        if (!has(fields, n, "x-amz-credential"))
            return missing(why, MISSING("x-amz-credential"));
        if (!has(fields, n, "x-amz-date"))
            return missing(why, MISSING("x-amz-date"));
        if (!has(fields, n, "x-amz-signature"))
            return missing(why, MISSING("x-amz-signature"));
        *kind = PAIL_POST_SIGV4;
        return PAIL_OK;
    }
    if (!has(fields, n, "awsaccesskeyid"))
        return missing(why, MISSING("AWSAccessKeyId"));
    if (!has(fields, n, "signature"))
        return missing(why, MISSING("signature"));
    *kind = PAIL_POST_SIGV2;
    return PAIL_OK;
}

bool pail_post_field_exempt(const char *lname)
{
    static const char *const exempt[] = {"policy", "signature", "x-amz-signature",
                                         "awsaccesskeyid", "file"};
    for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++)
        if (strcasecmp(lname, exempt[i]) == 0)
            return true;
    return strncasecmp(lname, "x-ignore-", 9) == 0 || strncasecmp(lname, "x-amz-checksum-", 15) == 0;
}

const char *pail_post_key_subst(struct pail_arena *a, const char *key, const char *filename)
{
    static const char var[] = "${filename}";
    const size_t vlen = sizeof(var) - 1;
    if (!strstr(key, var))
        return key;
    if (!filename)
        filename = "";
    size_t count = 0;
    for (const char *p = key; (p = strstr(p, var)); p += vlen)
        count++;
    char *out = pail_arena_alloc(a, strlen(key) + count * strlen(filename) + 1), *o = out;
    for (const char *p = key, *hit; *p; p = hit + vlen) {
        hit = strstr(p, var);
        size_t k = hit ? (size_t)(hit - p) : strlen(p);
        memcpy(o, p, k);
        o += k;
        if (!hit)
            break;
        memcpy(o, filename, strlen(filename));
        o += strlen(filename);
    }
    *o = 0;
    return out;
}

/* ---- 2. signatures ----------------------------------------------------------- */

enum pail_err pail_post_sigv4_fields(struct pail_arena *a, const char *algorithm,
                                     const char *credential, const char *amz_date,
                                     struct pail_sigv4_cred *cred, const char **why)
{
    const char *w = NULL, *ignored;
    time_t t;
    if (!why)
        why = &ignored;
    if (!algorithm || strcmp(algorithm, PAIL_SIGV4_ALGORITHM) != 0)
        return missing(why, "POST form: x-amz-algorithm must be AWS4-HMAC-SHA256.");
    if (!credential || pail_sigv4_parse_credential(a, credential, cred, &w) != PAIL_OK)
        return missing(why, w ? w : "POST form: x-amz-credential is malformed.");
    if (strcmp(cred->service, "s3") != 0)
        return missing(why, "POST form: x-amz-credential must name the s3 service.");
    if (!amz_date || !pail_sigv4_parse_amz_date(amz_date, &t))
        return missing(why, "POST form: x-amz-date must be of the form 20130524T000000Z.");
    if (strncmp(amz_date, cred->date, 8) != 0)
        return missing(why, "Invalid credential date. Date is not the same as X-Amz-Date.");
    return PAIL_OK;
}

bool pail_post_sigv4_ok(const unsigned char signing_key[PAIL_SHA256_LEN], const char *policy_b64,
                        const char *signature_hex)
{
    if (!policy_b64 || !signature_hex || strlen(signature_hex) != PAIL_SHA256_HEX_LEN)
        return false;
    char want[PAIL_SHA256_HEX_LEN + 1], got[PAIL_SHA256_HEX_LEN + 1];
    for (size_t i = 0; i <= PAIL_SHA256_HEX_LEN; i++) /* lower-case, the NUL included */
        got[i] = signature_hex[i] >= 'A' && signature_hex[i] <= 'F' ? (char)(signature_hex[i] | 0x20)
                                                                     : signature_hex[i];
    pail_sigv4_sign(signing_key, policy_b64, strlen(policy_b64), want);
    return pail_sigv4_signature_equal(want, got);
}

bool pail_post_sigv2_ok(const char *secret, const char *policy_b64, const char *signature_b64)
{
    if (!secret || !policy_b64 || !signature_b64)
        return false;
    char want[PAIL_SIGV2_SIG_LEN + 1];
    pail_sigv2_sign(secret, policy_b64, strlen(policy_b64), want);
    return pail_sigv2_signature_equal(want, signature_b64);
}

/* ---- 3. parsing --------------------------------------------------------------- */

struct cond {
    bool prefix;       /* starts-with; else eq */
    const char *lname; /* the field, lower-case, without '$' */
    const char *value;
    size_t vlen;
    const char *text;  /* ["eq", "$key", "x"]: what AWS quotes when it fails */
};

struct pail_post_policy {
    struct pail_arena *arena;
    int64_t expiration_ms;
    struct cond *conds;
    size_t nconds;
    bool has_range;
    uint64_t min, max; /* the intersection of every content-length-range */
};

static enum pail_err bad(const char **why, const char *msg)
{
    *why = msg;
    return PAIL_E_InvalidPolicyDocument;
}

/* The policy field's bytes: base64, with any ASCII whitespace (Ruby's
 * Base64.encode64 breaks lines) left out. -1 when it is not base64. */
static long decode_base64(struct pail_arena *a, const char *b64, unsigned char **out)
{
    size_t n = strlen(b64), k = 0;
    char *clean = pail_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n\f\v", b64[i]))
            clean[k++] = b64[i];
    clean[k] = 0;
    size_t cap = k / 4 * 3 + 1;
    *out = pail_arena_alloc(a, cap);
    return pail_unbase64(clean, *out, cap);
}

static void add_cond(struct pail_post_policy *p, bool prefix, const char *field,
                     const char *field_as_written, json_t *value)
{
    struct cond *c = &p->conds[p->nconds++];
    char *l = pail_arena_strdup(p->arena, field);
    pail_ascii_lower(l);
    c->prefix = prefix;
    c->lname = l;
    c->value = pail_arena_strndup(p->arena, json_string_value(value), json_string_length(value));
    c->vlen = json_string_length(value);
    c->text = pail_arena_printf(p->arena, "[\"%s\", \"%s\", \"%s\"]", prefix ? "starts-with" : "eq",
                                field_as_written, c->value);
}

/* {"field": "value"}: an exact match. */
static enum pail_err simple_condition(struct pail_post_policy *p, json_t *c, const char **why)
{
    if (json_object_size(c) != 1)
        return bad(why, "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have "
                        "exactly one property specified.");
    void *it = json_object_iter(c);
    const char *field = json_object_iter_key(it);
    json_t *value = json_object_iter_value(it);
    if (!json_is_string(value))
        return bad(why, "Invalid Policy: Invalid Simple-Condition: value must be a string.");
    add_cond(p, false, field, pail_arena_printf(p->arena, "$%s", field), value);
    return PAIL_OK;
}

/* A content-length-range bound: a JSON integer or a decimal string, >= 0. */
static bool range_bound(json_t *v, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        *out = (uint64_t)x;
        return x >= 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s)
        return false;
    uint64_t x = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *out = x;
    return true;
}

static enum pail_err range_condition(struct pail_post_policy *p, json_t *c, const char **why)
{
    uint64_t lo, hi;
    if (json_array_size(c) != 3)
        return bad(why, "Invalid Policy: Invalid 'content-length-range' condition: it takes "
                        "exactly two arguments, the minimum and the maximum length.");
    if (!range_bound(json_array_get(c, 1), &lo) || !range_bound(json_array_get(c, 2), &hi))
        return bad(why, "Invalid Policy: Invalid 'content-length-range' condition: the "
                        "lengths must be integers of 0 or more.");
    if (!p->has_range || lo > p->min)
        p->min = lo;
    if (!p->has_range || hi < p->max)
        p->max = hi;
    p->has_range = true;
    return PAIL_OK;
}

/* ["eq"|"starts-with", "$field", "value"] or ["content-length-range", min, max]. */
static enum pail_err array_condition(struct pail_post_policy *p, json_t *c, const char **why)
{
    const char *op = json_string_value(json_array_get(c, 0));
    if (!op)
        return bad(why, "Invalid Policy: Invalid Condition: a condition list must begin "
                        "with its type.");
    if (strcasecmp(op, "content-length-range") == 0)
        return range_condition(p, c, why);
    bool prefix = strcasecmp(op, "starts-with") == 0;
    if (!prefix && strcasecmp(op, "eq") != 0) {
        *why = pail_arena_printf(p->arena, "Invalid Policy: Invalid Condition: unknown "
                                 "condition type '%s'.", op);
        return PAIL_E_InvalidPolicyDocument;
    }
    const char *name = prefix ? "starts-with" : "eq";
    const char *field = json_string_value(json_array_get(c, 1));
    json_t *value = json_array_get(c, 2);
    if (json_array_size(c) != 3 || !field || !json_is_string(value)) {
        *why = pail_arena_printf(p->arena, "Invalid Policy: Invalid '%s' condition: it takes "
                                 "a field and a string.", name);
        return PAIL_E_InvalidPolicyDocument;
    }
    if (field[0] != '$' || !field[1]) {
        *why = pail_arena_printf(p->arena, "Invalid Policy: Invalid '%s' condition: the field "
                                 "must be named as '$name'.", name);
        return PAIL_E_InvalidPolicyDocument;
    }
    add_cond(p, prefix, field + 1, field, value);
    return PAIL_OK;
}

static enum pail_err condition(struct pail_post_policy *p, json_t *c, const char **why)
{
    if (json_is_object(c))
        return simple_condition(p, c, why);
    if (json_is_array(c))
        return array_condition(p, c, why);
    return bad(why, "Invalid Policy: Invalid Condition: a condition must be a list or an object.");
}

/* "expiration": an ISO 8601 string. */
static enum pail_err expiration(struct pail_post_policy *p, json_t *v, const char **why)
{
    time_t t;
    if (!v)
        return bad(why, "Invalid Policy: Policy missing expiration.");
    if (json_is_string(v) && pail_time_parse_iso8601(json_string_value(v), &t)) {
        p->expiration_ms = (int64_t)t * 1000;
        return PAIL_OK;
    }
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *shown = json_is_string(v) ? json_string_value(v) : text ? text : "";
    *why = pail_arena_printf(p->arena, "Invalid Policy: Invalid 'expiration' value: '%s'", shown);
    free(text);
    return PAIL_E_InvalidPolicyDocument;
}

/* The decoded document: keys are case-sensitive; others are ignored. */
static enum pail_err document(struct pail_post_policy *p, json_t *root, const char **why)
{
    if (!json_is_object(root))
        return bad(why, "Invalid Policy: Invalid JSON.");
    enum pail_err e = expiration(p, json_object_get(root, "expiration"), why);
    if (e)
        return e;
    json_t *conds = json_object_get(root, "conditions");
    if (!conds)
        return bad(why, "Invalid Policy: Policy missing conditions.");
    if (!json_is_array(conds))
        return bad(why, "Invalid Policy: Invalid 'conditions' value: must be a List.");
    p->conds = pail_arena_alloc(p->arena, (json_array_size(conds) + 1) * sizeof(*p->conds));
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        if ((e = condition(p, c, why)))
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_post_policy_parse(struct pail_arena *a, const char *b64,
                                     struct pail_post_policy **out, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    unsigned char *doc;
    long len = b64 ? decode_base64(a, b64, &doc) : -1;
    if (len < 0)
        return bad(why, "Invalid Policy: Invalid Base64 encoding.");
    json_error_t jerr;
    /* Duplicate keys would let two readers of one policy disagree. */
    json_t *root = json_loadb((const char *)doc, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return bad(why, "Invalid Policy: Invalid JSON.");
    struct pail_post_policy *p = pail_arena_alloc(a, sizeof(*p));
    p->arena = a;
    p->max = UINT64_MAX;
    enum pail_err e = document(p, root, why);
    json_decref(root);
    if (!e)
        *out = p;
    return e;
}

bool pail_post_policy_length_range(const struct pail_post_policy *p, uint64_t *min, uint64_t *max)
{
    *min = p->has_range ? p->min : 0;
    *max = p->has_range ? p->max : UINT64_MAX;
    return p->has_range;
}

int64_t pail_post_policy_expiration_ms(const struct pail_post_policy *p)
{
    return p->expiration_ms;
}

/* ---- 4. checking --------------------------------------------------------------- */

/* Fields whose value must be given exactly (AWS's table of condition matching,
 * as MinIO applies it): a starts-with on them never holds. */
static bool exact_only(const char *lname)
{
    static const char *const exact[] = {"bucket", "success_action_status", "x-amz-algorithm",
                                        "x-amz-credential", "x-amz-date"};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(lname, exact[i]) == 0)
            return true;
    return false;
}

static bool starts_with(const char *v, size_t n, const char *prefix, size_t plen)
{
    return n >= plen && memcmp(v, prefix, plen) == 0;
}

/* Content-Type may list several types ("text/plain, text/html"): a
 * starts-with holds only when each of them starts with the prefix. */
static bool each_type_starts_with(const char *v, size_t n, const char *prefix, size_t plen)
{
    const char *end = v + n;
    for (const char *s = v; s <= end;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *e = comma ? comma : end;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (!starts_with(s, (size_t)(e - s), prefix, plen))
            return false;
        s = e + 1;
    }
    return true;
}

static bool value_holds(const struct cond *c, const char *v, size_t n)
{
    if (!c->prefix)
        return n == c->vlen && memcmp(v, c->value, n) == 0;
    if (strcmp(c->lname, "content-type") == 0)
        return each_type_starts_with(v, n, c->value, c->vlen);
    return starts_with(v, n, c->value, c->vlen);
}

/* Every field of the condition's name holds (the request's bucket counts as
 * a "bucket" field); with none, the empty string must. */
static bool cond_holds(const struct cond *c, const struct pail_post_field *fields, size_t n,
                       const char *bucket)
{
    if (c->prefix && exact_only(c->lname))
        return false;
    bool seen = false;
    if (strcmp(c->lname, "bucket") == 0) {
        seen = true;
        if (!value_holds(c, bucket ? bucket : "", bucket ? strlen(bucket) : 0))
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(fields[i].name, c->lname) != 0)
            continue;
        seen = true;
        if (!value_holds(c, fields[i].value ? fields[i].value : "", fields[i].len))
            return false;
    }
    return seen || value_holds(c, "", 0);
}

static bool named_by_condition(const struct pail_post_policy *p, const char *lname)
{
    for (size_t i = 0; i < p->nconds; i++)
        if (strcasecmp(p->conds[i].lname, lname) == 0)
            return true;
    return false;
}

/* "Extra input fields: a, b" for the fields no condition names (each name
 * once), or NULL when there are none. */
static const char *extra_fields(const struct pail_post_policy *p,
                                const struct pail_post_field *fields, size_t n)
{
    const char *list = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name = fields[i].name;
        if (pail_post_field_exempt(name) || named_by_condition(p, name) ||
            pail_post_field_get(fields, i, name))
            continue;
        list = list ? pail_arena_printf(p->arena, "%s, %s", list, name) : name;
    }
    return list ? pail_arena_printf(p->arena, "Invalid according to Policy: Extra input fields: %s",
                                    list)
                : NULL;
}

enum pail_err pail_post_policy_check(const struct pail_post_policy *p,
                                     const struct pail_post_field *fields, size_t n,
                                     const char *bucket, int64_t now_ms, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    if (now_ms >= p->expiration_ms) {
        *why = "Invalid according to Policy: Policy expired.";
        return PAIL_E_AccessDenied;
    }
    for (size_t i = 0; i < p->nconds; i++) {
        if (!cond_holds(&p->conds[i], fields, n, bucket)) {
            *why = pail_arena_printf(p->arena, "Invalid according to Policy: Policy Condition "
                                     "failed: %s", p->conds[i].text);
            return PAIL_E_AccessDenied;
        }
    }
    const char *extra = extra_fields(p, fields, n);
    if (extra) {
        *why = extra;
        return PAIL_E_AccessDenied;
    }
    return PAIL_OK;
}

enum pail_err pail_post_policy_check_length(const struct pail_post_policy *p, uint64_t length,
                                            const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    if (p->has_range && length < p->min) {
        *why = "Your proposed upload is smaller than the minimum allowed size";
        return PAIL_E_EntityTooSmall;
    }
    if (p->has_range && length > p->max) {
        *why = "Your proposed upload exceeds the maximum allowed size";
        return PAIL_E_EntityTooLarge;
    }
    return PAIL_OK;
}
