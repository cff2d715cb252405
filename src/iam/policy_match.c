/* iam/policy_match.c — the strings of a policy as patterns: compiling them
 * into units (literal bytes and the two wildcards), policy variables and
 * their escapes, and matching: glob, exact, ARN field by field.
 * Owns no state; matching never allocates. Wildcards and variables:
 * IAM User Guide, "IAM JSON policy elements: Resource" and "IAM policy
 * elements: Variables and tags". Matching is by bytes: '?' is one byte. */
#include "iam/policy_int.h"

#include <string.h>

#define NONE ((size_t)-1)

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ---- Compiling ---------------------------------------------------------- */

/* What a "${...}" at s (n bytes left) is. */
struct varref {
    size_t len;          /* bytes consumed, "${" through "}" */
    int escape;          /* '*', '?' or '$' for ${*} ${?} ${$}; 0 otherwise */
    const char *key;     /* a variable: its key ... */
    size_t keylen;
    const char *def;     /* ... and its default, quotes removed */
    size_t deflen;
    bool has_def;
};

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static bool key_ok(const char *k, size_t n)
{
    const char *colon = memchr(k, ':', n);
    if (!colon || colon == k || colon == k + n - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x21 || k[i] == '\'' || k[i] == '{' || k[i] == '$')
            return false;
    return true;
}

/* Recognises "${*}", "${key}" and "${key, 'default'}"; anything else (no
 * closing brace, a key without a service prefix, a malformed default) is
 * not a variable and stays literal text. */
static bool parse_varref(const char *s, size_t n, struct varref *v)
{
    const char *close = memchr(s + 2, '}', n - 2);
    if (!close)
        return false;
    memset(v, 0, sizeof(*v));
    v->len = (size_t)(close - s) + 1;
    const char *in = s + 2;
    size_t inlen = (size_t)(close - in);
    trim(&in, &inlen);
    if (inlen == 1 && (*in == '*' || *in == '?' || *in == '$')) {
        v->escape = *in;
        return true;
    }
    const char *comma = memchr(in, ',', inlen);
    v->key = in;
    v->keylen = comma ? (size_t)(comma - in) : inlen;
    trim(&v->key, &v->keylen);
    if (!key_ok(v->key, v->keylen))
        return false;
    if (!comma)
        return true;
    const char *d = comma + 1;
    size_t dn = inlen - (size_t)(d - in);
    trim(&d, &dn);
    if (dn < 2 || d[0] != '\'' || d[dn - 1] != '\'' || memchr(d + 1, '\'', dn - 2))
        return false;
    v->def = d + 1;
    v->deflen = dn - 2;
    v->has_def = true;
    return true;
}

static size_t count_varrefs(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '$' && s[i + 1] == '{')
            k++;
    return k;
}

struct builder {
    struct pail__ptok *tok;
    size_t ntok;
    uint16_t *u;   /* all units, tokens point into it */
    size_t nu;
    size_t start;  /* first unit of the open units token */
};

static void close_units(struct builder *b)
{
    if (b->nu > b->start)
        b->tok[b->ntok++] = (struct pail__ptok){.u = b->u + b->start, .n = b->nu - b->start};
    b->start = b->nu;
}

static void literal(struct builder *b, unsigned char c, unsigned flags)
{
    b->u[b->nu++] = (flags & PAIL__PAT_FOLD) ? lower(c) : c;
}

/* Adds the variable v as a token; false when out of memory. */
static bool add_var(struct pail__pool *pool, struct builder *b, const struct varref *v,
                    unsigned flags)
{
    close_units(b);
    char *key = pail__pool_strndup(pool, v->key, v->keylen);
    if (!key)
        return false;
    size_t d0 = b->nu;
    for (size_t i = 0; i < v->deflen; i++)
        literal(b, (unsigned char)v->def[i], flags);
    b->tok[b->ntok++] = (struct pail__ptok){
        .u = b->u + d0, .n = b->nu - d0, .var = key, .has_def = v->has_def};
    b->start = b->nu;
    return true;
}

bool pail__pat_compile(struct pail__pool *pool, const char *s, size_t len, unsigned flags,
                       struct pail__pat *out)
{
    size_t nvars = (flags & PAIL__PAT_VARS) ? count_varrefs(s, len) : 0;
    struct builder b = {0};
    out->text = pail__pool_strndup(pool, s, len);
    b.u = pail__pool_alloc(pool, (len + 1) * sizeof(*b.u));
    b.tok = pail__pool_alloc(pool, (2 * nvars + 1) * sizeof(*b.tok));
    if (!out->text || !b.u || !b.tok)
        return false;
    out->vars = false;
    for (size_t i = 0; i < len;) {
        struct varref v;
        unsigned char c = (unsigned char)s[i];
        if (nvars && c == '$' && i + 1 < len && s[i + 1] == '{' &&
            parse_varref(s + i, len - i, &v)) {
            if (v.escape)
                literal(&b, (unsigned char)v.escape, flags);
            else if (!add_var(pool, &b, &v, flags))
                return false;
            else
                out->vars = true;
            i += v.len;
            continue;
        }
        if ((flags & PAIL__PAT_WILD) && (c == '*' || c == '?'))
            b.u[b.nu++] = c == '*' ? PAIL__U_STAR : PAIL__U_QMARK;
        else
            literal(&b, c, flags);
        i++;
    }
    close_units(&b);
    if (b.ntok == 0) /* the empty string: one empty units token */
        b.tok[b.ntok++] = (struct pail__ptok){.u = b.u, .n = 0};
    out->tok = b.tok;
    out->ntok = b.ntok;
    out->any = !out->vars && b.tok[0].n == 1 && b.tok[0].u[0] == PAIL__U_STAR;
    return true;
}

/* ---- Resolving variables ------------------------------------------------ */

static bool append_units(uint16_t *buf, size_t *o, const uint16_t *u, size_t n)
{
    if (n > PAIL__PAT_MAX - *o)
        return false;
    memcpy(buf + *o, u, n * sizeof(*u));
    *o += n;
    return true;
}

static bool append_bytes(uint16_t *buf, size_t *o, const char *s, bool fold)
{
    for (; *s; s++) {
        if (*o == PAIL__PAT_MAX)
            return false;
        buf[(*o)++] = fold ? lower((unsigned char)*s) : (unsigned char)*s;
    }
    return true;
}

/* A variable stands for its key's value only when the key has exactly one:
 * AWS does not define a multi-valued key as a variable. */
static bool append_var(const struct pail__ptok *t, struct pail__ectx *e, bool fold, uint16_t *buf,
                       size_t *o)
{
    const char *const *vals;
    size_t n;
    bool found = pail__ctx_get(e, t->var, &vals, &n);
    if (found && n == 1 && vals[0])
        return append_bytes(buf, o, vals[0], fold);
    if (t->has_def)
        return append_units(buf, o, t->u, t->n);
    if (!found)
        pail__ctx_missing(e, t->var);
    return false;
}

bool pail__pat_resolve(const struct pail__pat *p, struct pail__ectx *e, bool fold, uint16_t *buf,
                       const uint16_t **u, size_t *n)
{
    if (!p->vars) {
        *u = p->tok[0].u;
        *n = p->tok[0].n;
        return true;
    }
    size_t o = 0;
    for (size_t i = 0; i < p->ntok; i++) {
        const struct pail__ptok *t = &p->tok[i];
        if (!(t->var ? append_var(t, e, fold, buf, &o) : append_units(buf, &o, t->u, t->n)))
            return false;
    }
    *u = buf;
    *n = o;
    return true;
}

/* ---- Matching ----------------------------------------------------------- */

static bool unit_eq(uint16_t p, unsigned char c, bool fold)
{
    return p == PAIL__U_QMARK || p == (fold ? lower(c) : c);
}

/* Iterative glob with one backtrack point: on a mismatch the last '*' takes
 * one more byte. Worst case O(pn * sn), no recursion. */
bool pail__glob(const uint16_t *p, size_t pn, const char *s, size_t sn, bool fold)
{
    size_t pi = 0, si = 0, star = NONE, mark = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == PAIL__U_STAR) {
            if (pi + 1 == pn)
                return true;
            star = pi++;
            mark = si;
        } else if (pi < pn && unit_eq(p[pi], (unsigned char)s[si], fold)) {
            pi++, si++;
        } else if (star != NONE) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == PAIL__U_STAR)
        pi++;
    return pi == pn;
}

/* As pail__glob, but reaching the end of s is success: whatever is left of
 * p can always be satisfied by some continuation. */
bool pail__glob_prefix(const uint16_t *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = NONE, mark = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == PAIL__U_STAR) {
            if (pi + 1 == pn)
                return true;
            star = pi++;
            mark = si;
        } else if (pi < pn && unit_eq(p[pi], (unsigned char)s[si], false)) {
            pi++, si++;
        } else if (star != NONE) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    return true;
}

bool pail__units_eq(const uint16_t *p, size_t pn, const char *s, size_t sn, bool fold)
{
    if (pn != sn)
        return false;
    for (size_t i = 0; i < pn; i++)
        if (p[i] != (fold ? lower((unsigned char)s[i]) : (unsigned char)s[i]))
            return false;
    return true;
}

static size_t units_colon(const uint16_t *p, size_t from, size_t pn)
{
    for (size_t i = from; i < pn; i++)
        if (p[i] == ':')
            return i;
    return NONE;
}

bool pail__arn_glob(const uint16_t *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0;
    for (int field = 0; field < 5; field++) {
        size_t pc = units_colon(p, pi, pn);
        if (pc == NONE)
            break;
        const char *sc = memchr(s + si, ':', sn - si);
        if (!sc)
            return false;
        size_t scn = (size_t)(sc - s);
        if (!pail__glob(p + pi, pc - pi, s + si, scn - si, false))
            return false;
        pi = pc + 1;
        si = scn + 1;
    }
    return pail__glob(p + pi, pn - pi, s + si, sn - si, false);
}
