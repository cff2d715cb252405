/* iam/policy_cond.c — the Condition element: its operators (every one of
 * "IAM JSON policy elements: Condition operators", with the ...IfExists
 * suffix and the ForAnyValue:/ForAllValues: set qualifiers), condition keys,
 * the compilation of values by operator type, and their evaluation against
 * the request context.
 *
 * Semantics (IAM User Guide, "Creating a condition with multiple keys or
 * values"): operators in a block and keys under an operator are ANDed; the
 * values of one key are ORed, and a negated operator (StringNotEquals,
 * NotIpAddress, ArnNotLike...) requires that the context value match none of
 * them. A key absent from the context (or present with no value) matches no
 * value: the operator is false, a negated one true ("If the policy condition
 * requires that the key is not matched, such as StringNotLike or ArnNotLike,
 * and the right key is not present, the condition is true": what makes
 * S3's "Deny unless aws:SourceVpce is ..." work); ...IfExists is true either
 * way, Null tests presence itself; ForAllValues over an absent or empty set
 * is true, ForAnyValue false. A multi-valued key under an
 * unqualified operator behaves like ForAnyValue (negated: no value may
 * match). Evaluation allocates nothing: parsed context values and expanded
 * variables live on the stack. */
#include "iam/policy_int.h"

#include "util/encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Operators ---------------------------------------------------------- */

enum vkind { VK_STRING, VK_NUM, VK_DATE, VK_BOOL, VK_BIN, VK_IP, VK_ARN, VK_NULL };

struct opdef {
    const char *name;
    uint8_t cop;
    bool neg;
    uint8_t vkind;
};

static const struct opdef ops[] = {
    {"StringEquals", COP_STR_EQ, false, VK_STRING},
    {"StringNotEquals", COP_STR_EQ, true, VK_STRING},
    {"StringEqualsIgnoreCase", COP_STR_EQ_IC, false, VK_STRING},
    {"StringNotEqualsIgnoreCase", COP_STR_EQ_IC, true, VK_STRING},
    {"StringLike", COP_STR_LIKE, false, VK_STRING},
    {"StringNotLike", COP_STR_LIKE, true, VK_STRING},
    {"NumericEquals", COP_NUM_EQ, false, VK_NUM},
    {"NumericNotEquals", COP_NUM_EQ, true, VK_NUM},
    {"NumericLessThan", COP_NUM_LT, false, VK_NUM},
    {"NumericLessThanEquals", COP_NUM_LE, false, VK_NUM},
    {"NumericGreaterThan", COP_NUM_GT, false, VK_NUM},
    {"NumericGreaterThanEquals", COP_NUM_GE, false, VK_NUM},
    {"DateEquals", COP_DATE_EQ, false, VK_DATE},
    {"DateNotEquals", COP_DATE_EQ, true, VK_DATE},
    {"DateLessThan", COP_DATE_LT, false, VK_DATE},
    {"DateLessThanEquals", COP_DATE_LE, false, VK_DATE},
    {"DateGreaterThan", COP_DATE_GT, false, VK_DATE},
    {"DateGreaterThanEquals", COP_DATE_GE, false, VK_DATE},
    {"Bool", COP_BOOL, false, VK_BOOL},
    {"BinaryEquals", COP_BIN, false, VK_BIN},
    {"IpAddress", COP_IP, false, VK_IP},
    {"NotIpAddress", COP_IP, true, VK_IP},
    {"ArnEquals", COP_ARN, false, VK_ARN},
    {"ArnLike", COP_ARN, false, VK_ARN},
    {"ArnNotEquals", COP_ARN, true, VK_ARN},
    {"ArnNotLike", COP_ARN, true, VK_ARN},
    {"Null", COP_NULL, false, VK_NULL},
};

static bool ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
            return false;
    }
    return true;
}

/* Strips a case-insensitive prefix. */
static bool eat(const char **s, size_t *n, const char *prefix)
{
    size_t k = strlen(prefix);
    if (*n < k || !ieq_n(*s, prefix, k))
        return false;
    *s += k;
    *n -= k;
    return true;
}

/* "[ForAnyValue:|ForAllValues:]Name[IfExists]" (names compare
 * case-insensitively, as IAM does); NULL when unknown. Null takes neither. */
static const struct opdef *parse_op(const char *name, uint8_t *set, bool *if_exists)
{
    const char *s = name;
    size_t n = strlen(name);
    *set = eat(&s, &n, "ForAnyValue:") ? CSET_ANY : eat(&s, &n, "ForAllValues:") ? CSET_ALL
                                                                                : CSET_NONE;
    *if_exists = n > 8 && ieq_n(s + n - 8, "IfExists", 8);
    if (*if_exists)
        n -= 8;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].name) == n && ieq_n(ops[i].name, s, n)) {
            bool plain_only = ops[i].cop == COP_NULL;
            return plain_only && (*set || *if_exists) ? NULL : &ops[i];
        }
    return NULL;
}

/* ---- Keys --------------------------------------------------------------- */

/* Service prefixes whose keys a bucket policy may test. */
static const char *const s3_prefixes[] = {"aws", "s3", "s3express", "iam", "sts", "kms", NULL};

static bool key_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.' || ch == ':';
}

/* prefix:name[/suffix]; the suffix (a tag key) may hold any printable byte. */
static bool key_check(struct pail__cc *c, const char *key)
{
    const char *colon = strchr(key, ':');
    if (!colon)
        return pail__fail(c, F_COND_KEY_VENDOR, key);
    size_t pn = (size_t)(colon - key);
    bool ok = pn > 0 && colon[1] != 0 && colon[1] != '/';
    for (size_t i = 0; ok && i < pn; i++)
        ok = key_name_char(key[i]) && key[i] != ':';
    const char *q = colon + 1;
    for (; ok && *q && *q != '/'; q++)
        ok = key_name_char(*q);
    if (ok && *q == '/')
        for (ok = q[1] != 0, q++; ok && *q; q++)
            ok = (unsigned char)*q >= 0x20;
    for (size_t i = 0; ok && c->kind == PAIL_POLICY_RESOURCE; i++) {
        if (!s3_prefixes[i])
            ok = false;
        else if (strlen(s3_prefixes[i]) == pn && ieq_n(key, s3_prefixes[i], pn))
            break;
    }
    return ok || pail__fail(c, F_COND_KEY, key);
}

/* ---- Values ------------------------------------------------------------- */

/* The shortest text jansson prints for real v that reads back as v (its
 * encoder, unlike printf, ignores the locale). false when out of memory. */
static bool real_text(json_t *v, char buf[64])
{
    for (int prec = 15; prec <= 17; prec++) {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(prec));
        json_t *back = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
        bool same = json_is_real(back) && json_real_value(back) == json_real_value(v);
        if (s && (same || prec == 17))
            snprintf(buf, 64, "%s", s);
        json_decref(back);
        free(s);
        if (!s)
            return false;
        if (same)
            break;
    }
    return true;
}

/* A condition value in its string form: JSON numbers and booleans count as
 * the text they print as. NULL for anything else (or out of memory). */
static const char *value_text(json_t *v, char buf[64], size_t *len)
{
    if (json_is_string(v)) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    bool ok = true;
    if (json_is_integer(v))
        snprintf(buf, 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        ok = real_text(v, buf);
    else if (json_is_boolean(v))
        snprintf(buf, 64, "%s", json_is_true(v) ? "true" : "false");
    else
        ok = false;
    if (!ok)
        return NULL;
    *len = strlen(buf);
    return buf;
}

static unsigned pat_flags(const struct pail__cc *c, const struct opdef *op)
{
    unsigned vars = c->vars ? PAIL__PAT_VARS : 0;
    if (op->vkind == VK_ARN || op->cop == COP_STR_LIKE)
        return PAIL__PAT_WILD | vars;
    if (op->cop == COP_STR_EQ_IC)
        return PAIL__PAT_FOLD | vars;
    return op->vkind == VK_STRING ? vars : 0;
}

static bool parse_bin(struct pail__pool *pool, const char *s, size_t len, struct pail__cval *out)
{
    unsigned char *b = pail__pool_alloc(pool, len / 4 * 3 + 3);
    long n = b ? pail_unbase64(s, b, len / 4 * 3 + 3) : -1;
    out->u.bin.p = b;
    out->u.bin.n = n < 0 ? 0 : (size_t)n;
    return n >= 0;
}

/* The typed form of text for op; false when it does not parse. */
static bool parse_typed(struct pail__pool *pool, const struct opdef *op, const char *text,
                        size_t len, struct pail__cval *out)
{
    switch (op->vkind) {
    case VK_NUM: return pail__num_parse(text, &out->u.num);
    case VK_DATE: return pail__date_parse(text, &out->u.ms);
    case VK_BOOL: case VK_NULL: return pail__bool_parse(text, &out->u.b);
    case VK_BIN: return parse_bin(pool, text, len, out);
    case VK_IP: return pail__cidr_parse(text, true, &out->u.ip);
    default: return true;
    }
}

/* One value v of key under op into out; *bad set when it does not parse
 * (an IAM policy keeps it; a bucket policy is refused). */
static bool compile_value(struct pail__cc *c, const struct opdef *op, const char *opname,
                          const char *key, json_t *v, struct pail__cval *out, bool *bad)
{
    char buf[64], detail[256];
    size_t len;
    const char *text = value_text(v, buf, &len);
    if (!text || memchr(text, 0, len)) {
        snprintf(detail, sizeof(detail), "%s %s", opname, key);
        return pail__fail(c, F_COND_VALUE, detail);
    }
    if (!pail__pat_compile(c->pool, text, len, pat_flags(c, op), &out->pat))
        return pail__fail(c, F_OOM, NULL);
    if (parse_typed(c->pool, op, out->pat.text, len, out))
        return true;
    if (c->kind != PAIL_POLICY_RESOURCE)
        return *bad = true, true;
    snprintf(detail, sizeof(detail), "%s %s %s", opname, key, text);
    return pail__fail(c, F_COND_VALUE, detail);
}

static bool compile_key(struct pail__cc *c, const struct opdef *op, const char *opname,
                        const char *key, json_t *vals, struct pail__cond *out)
{
    if (!key_check(c, key))
        return false;
    size_t n = json_is_array(vals) ? json_array_size(vals) : 1;
    if (n == 0) {
        char detail[256];
        snprintf(detail, sizeof(detail), "%s %s []", opname, key);
        return pail__fail(c, F_COND_EMPTY, detail);
    }
    struct pail__cval *v = pail__pool_alloc(c->pool, n * sizeof(*v));
    out->op = pail__pool_strndup(c->pool, opname, strlen(opname));
    out->key = pail__pool_strndup(c->pool, key, strlen(key));
    if (!v || !out->op || !out->key)
        return pail__fail(c, F_OOM, NULL);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(vals) ? json_array_get(vals, i) : vals;
        if (!compile_value(c, op, opname, key, e, &v[i], &out->bad))
            return false;
    }
    out->cop = op->cop;
    out->neg = op->neg;
    out->v = v;
    out->nv = n;
    return true;
}

bool pail__cond_compile(struct pail__cc *c, json_t *v, const struct pail__cond **out, size_t *n)
{
    const char *opname, *key;
    json_t *keys, *vals;
    size_t total = 0, k = 0;
    if (!json_is_object(v))
        return pail__fail(c, F_TYPE, NULL);
    json_object_foreach(v, opname, keys) {
        if (!json_is_object(keys))
            return pail__fail(c, F_TYPE, NULL);
        total += json_object_size(keys);
    }
    struct pail__cond *conds = pail__pool_alloc(c->pool, (total ? total : 1) * sizeof(*conds));
    if (!conds)
        return pail__fail(c, F_OOM, NULL);
    json_object_foreach(v, opname, keys) {
        uint8_t set;
        bool if_exists;
        const struct opdef *op = parse_op(opname, &set, &if_exists);
        if (!op)
            return pail__fail(c, F_COND_TYPE, opname);
        json_object_foreach(keys, key, vals) {
            conds[k].set = set;
            conds[k].if_exists = if_exists;
            if (!compile_key(c, op, opname, key, vals, &conds[k++]))
                return false;
        }
    }
    *out = conds;
    *n = total;
    return true;
}

/* ---- Evaluation --------------------------------------------------------- */

static bool match_string(const struct pail__cond *c, const char *s, struct pail__ectx *e)
{
    uint16_t buf[PAIL__PAT_MAX];
    size_t sn = strlen(s);
    bool fold = c->cop == COP_STR_EQ_IC;
    for (size_t i = 0; i < c->nv; i++) {
        const struct pail__pat *p = &c->v[i].pat;
        const uint16_t *u;
        size_t n;
        if (!pail__pat_resolve(p, e, fold, buf, &u, &n))
            continue;
        bool hit = c->cop == COP_STR_LIKE ? pail__glob(u, n, s, sn, false)
                   : c->cop == COP_ARN    ? p->any || pail__arn_glob(u, n, s, sn)
                                          : pail__units_eq(u, n, s, sn, fold);
        if (hit)
            return true;
    }
    return false;
}

static bool ordered(uint8_t cop, int cmp)
{
    switch (cop) {
    case COP_NUM_EQ: case COP_DATE_EQ: return cmp == 0;
    case COP_NUM_LT: case COP_DATE_LT: return cmp < 0;
    case COP_NUM_LE: case COP_DATE_LE: return cmp <= 0;
    case COP_NUM_GT: case COP_DATE_GT: return cmp > 0;
    default: return cmp >= 0;
    }
}

static bool match_num(const struct pail__cond *c, const char *s)
{
    struct pail__num x;
    if (!pail__num_parse(s, &x))
        return false;
    for (size_t i = 0; i < c->nv; i++)
        if (ordered(c->cop, pail__num_cmp(&x, &c->v[i].u.num)))
            return true;
    return false;
}

static bool match_date(const struct pail__cond *c, const char *s)
{
    int64_t t;
    if (!pail__date_parse(s, &t))
        return false;
    for (size_t i = 0; i < c->nv; i++) {
        int64_t pv = c->v[i].u.ms;
        if (ordered(c->cop, (t > pv) - (t < pv)))
            return true;
    }
    return false;
}

static bool match_bool(const struct pail__cond *c, const char *s)
{
    bool b;
    if (!pail__bool_parse(s, &b))
        return false;
    for (size_t i = 0; i < c->nv; i++)
        if (c->v[i].u.b == b)
            return true;
    return false;
}

/* The context carries binary values in base64, as the policy does. */
static bool match_bin(const struct pail__cond *c, const char *s)
{
    unsigned char buf[3072];
    long n = pail_unbase64(s, buf, sizeof(buf));
    for (size_t i = 0; n >= 0 && i < c->nv; i++)
        if (c->v[i].u.bin.n == (size_t)n && memcmp(c->v[i].u.bin.p, buf, (size_t)n) == 0)
            return true;
    return false;
}

static bool match_ip(const struct pail__cond *c, const char *s)
{
    struct pail__cidr ip;
    if (!pail__cidr_parse(s, false, &ip))
        return false;
    for (size_t i = 0; i < c->nv; i++)
        if (pail__cidr_contains(&c->v[i].u.ip, &ip))
            return true;
    return false;
}

/* Does context value s match one of the policy's values? */
static bool match_any(const struct pail__cond *c, const char *s, struct pail__ectx *e)
{
    if (!s)
        return false;
    switch (c->cop) {
    case COP_STR_EQ: case COP_STR_EQ_IC: case COP_STR_LIKE: case COP_ARN:
        return match_string(c, s, e);
    case COP_BOOL: return match_bool(c, s);
    case COP_BIN: return match_bin(c, s);
    case COP_IP: return match_ip(c, s);
    case COP_NUM_EQ: case COP_NUM_LT: case COP_NUM_LE: case COP_NUM_GT: case COP_NUM_GE:
        return match_num(c, s);
    default: return match_date(c, s);
    }
}

/* Null: "true" holds when the key is absent (or has no value), "false" when
 * it is present; several values are ORed. */
static bool null_eval(const struct pail__cond *c, bool present)
{
    for (size_t i = 0; !c->bad && i < c->nv; i++)
        if (c->v[i].u.b != present)
            return true;
    return false;
}

static bool cond_one(const struct pail__cond *c, struct pail__ectx *e)
{
    const char *const *vals;
    size_t n = 0;
    bool found = pail__ctx_get(e, c->key, &vals, &n);
    if (c->cop == COP_NULL)
        return null_eval(c, found && n > 0);
    if (!found)
        pail__ctx_missing(e, c->key);
    if (c->bad)
        return false;
    if (!found || n == 0)
        return c->if_exists || c->set == CSET_ALL || (c->set == CSET_NONE && c->neg);
    bool any = false, all = true;
    for (size_t i = 0; i < n && (all || !any); i++) {
        bool m = match_any(c, vals[i], e);
        bool base = c->neg ? !m : m;
        any = any || base;
        all = all && base;
    }
    if (c->set == CSET_ALL || (c->set == CSET_NONE && c->neg))
        return all;
    return any;
}

bool pail__cond_eval(const struct pail__cond *c, size_t n, struct pail__ectx *e)
{
    bool ok = true;
    for (size_t i = 0; i < n && (ok || e->trace); i++)
        if (!cond_one(&c[i], e))
            ok = false;
    return ok;
}
