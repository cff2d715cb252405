/* iam/policy_int.h — what the files of the policy module share, and nothing
 * outside iam/policy_*.c may include: the compiled representation, the
 * pattern matcher, the scalar parsers, and the compile/eval contexts.
 *
 * Files: policy_parse.c (document, statements, actions, resources, messages,
 * memory), policy_principal.c (Principal/NotPrincipal), policy_cond.c
 * (Condition operators), policy_scalar.c (numbers, dates, IPs, booleans),
 * policy_match.c (wildcards, ARNs, policy variables), policy_eval.c
 * (evaluation, context lookup, public-policy analysis). */
#ifndef PAIL_IAM_POLICY_INT_H
#define PAIL_IAM_POLICY_INT_H

#include "iam/policy.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Memory owned by a compiled policy ---------------------------------- */

/* A bump allocator over malloc'd chunks, released all at once by
 * pail__pool_release (from pail_policy_free, or on a failed compile). */
struct pail__chunk;
struct pail__pool {
    struct pail__chunk *head;
};
/* n zeroed bytes, aligned for any type; NULL when out of memory. */
void *pail__pool_alloc(struct pail__pool *p, size_t n);
/* n bytes of s plus a NUL; NULL when out of memory. */
char *pail__pool_strndup(struct pail__pool *p, const char *s, size_t n);
void pail__pool_release(struct pail__pool *p);

/* ---- Patterns ----------------------------------------------------------- */

/* A policy string is compiled into units: 0..255 a literal byte, or one of
 * these two wildcards. A '*' that a variable or the ${*} escape produced is
 * the literal byte, so a value can never smuggle a wildcard in. */
#define PAIL__U_STAR 256
#define PAIL__U_QMARK 257
/* Longest string a pattern with variables may expand to (units). */
#define PAIL__PAT_MAX 4096

/* One piece of a pattern: units, or a variable ${key} / ${key, 'default'}. */
struct pail__ptok {
    const uint16_t *u; /* the units; for a variable, its default's */
    size_t n;
    const char *var;   /* variable key as written; NULL for units */
    bool has_def;
};

struct pail__pat {
    const char *text;  /* as written, NUL-terminated */
    const struct pail__ptok *tok;
    size_t ntok;       /* 1 when !vars (a single units token) */
    bool vars;         /* some token is a variable */
    bool any;          /* the whole pattern is the wildcard "*" */
};

enum {
    PAIL__PAT_WILD = 1, /* '*' and '?' are wildcards (else literal bytes) */
    PAIL__PAT_VARS = 2, /* ${...} are policy variables (Version 2012-10-17) */
    PAIL__PAT_FOLD = 4, /* lower-case the literals: compared case-insensitively */
};
/* Compiles len bytes of s (copied into pool). false only when out of memory. */
bool pail__pat_compile(struct pail__pool *pool, const char *s, size_t len, unsigned flags,
                       struct pail__pat *out);

/* Full match of units p against subject s; '*' crosses everything. fold:
 * compare s lower-cased (p must already be lower-case). */
bool pail__glob(const uint16_t *p, size_t pn, const char *s, size_t sn, bool fold);
/* True when some string starting with s matches p (a Resource that can name
 * something under a bucket). */
bool pail__glob_prefix(const uint16_t *p, size_t pn, const char *s, size_t sn);
/* Exact comparison of wildcard-free units against s (fold as above). */
bool pail__units_eq(const uint16_t *p, size_t pn, const char *s, size_t sn, bool fold);
/* ARN match: the five ':'-separated leading fields of p and s are globbed
 * one by one (a wildcard never crosses ':' there), the rest (the resource
 * part, which may hold ':') as one. p of fewer fields globs its last field
 * against the rest of s. */
bool pail__arn_glob(const uint16_t *p, size_t pn, const char *s, size_t sn);

/* ---- Evaluation context ------------------------------------------------- */

/* Keys derived from the principal when ctx does not carry them. */
enum { PK_USERNAME, PK_USERID, PK_ARN, PK_ACCOUNT, PK_TYPE, PK_COUNT };

struct pail__ectx {
    const struct pail_eval_req *req;
    const struct pail_principal *pr;   /* never NULL: anonymous stands in */
    const char *pvals[PK_COUNT];       /* NULL when the principal has none */
    struct pail_eval_trace *trace;     /* NULL: no recording */
};
/* Finds key (case-insensitive up to its first '/'); false when absent. */
bool pail__ctx_get(const struct pail__ectx *e, const char *key, const char *const **vals,
                   size_t *n);
/* Records key in trace->missing (once, within capacity). */
void pail__ctx_missing(struct pail__ectx *e, const char *key);
/* Key equality as the policy language defines it. */
bool pail__key_eq(const char *a, const char *b);

/* Resolves p into units: without variables, the compiled units themselves;
 * with them, an expansion into buf (PAIL__PAT_MAX units). fold lower-cases
 * substituted values. false: a variable did not resolve (no default) or the
 * expansion would not fit. */
bool pail__pat_resolve(const struct pail__pat *p, struct pail__ectx *e, bool fold, uint16_t *buf,
                       const uint16_t **u, size_t *n);

/* ---- Scalars ------------------------------------------------------------ */

struct pail__num {
    bool isint;
    int64_t i;
    double d;
};
/* "[-+]digits[.digits][e[-+]digits]"; false otherwise. */
bool pail__num_parse(const char *s, struct pail__num *out);
/* <0, 0, >0. */
int pail__num_cmp(const struct pail__num *a, const struct pail__num *b);
/* ISO 8601 ("2026-12-01", "2026-12-01T12:00Z", "...T12:00:00.250+01:00", a
 * missing zone meaning UTC) or epoch seconds ("1764547200", "1764547200.5")
 * into ms since the epoch. */
bool pail__date_parse(const char *s, int64_t *ms);

struct pail__cidr {
    uint8_t fam;  /* 4 or 6 */
    uint8_t bits; /* prefix length */
    uint8_t a[16];
};
/* An IPv4/IPv6 address, with "/bits" when allow_prefix (else bits is the
 * full length). An IPv4-mapped IPv6 address is returned as IPv4. */
bool pail__cidr_parse(const char *s, bool allow_prefix, struct pail__cidr *out);
bool pail__cidr_contains(const struct pail__cidr *net, const struct pail__cidr *ip);
/* "true"/"false", any case. */
bool pail__bool_parse(const char *s, bool *out);

/* ---- Compiled policy ---------------------------------------------------- */

enum pail__pkind {
    PR_ANY,       /* "*" */
    PR_ACCOUNT,   /* "123456789012" or "arn:...:iam::123456789012:root": value is the id */
    PR_CANONICAL, /* {"CanonicalUser": "<64 hex>"}, lower-cased */
    PR_ARN,       /* a user, assumed-role session or federated-user ARN */
    PR_ROLE,      /* a role ARN: also matches that role's sessions */
    PR_SERVICE,   /* {"Service": ...}: matches only a PAIL_PT_SERVICE principal
                     (pail's own log delivery), never a signed request */
    PR_FEDERATED, /* {"Federated": ...}: likewise */
};
struct pail__princ {
    uint8_t kind;
    const char *value;
};
struct pail__pset {
    const struct pail__princ *p;
    size_t n;
};

enum pail__cop {
    COP_STR_EQ, COP_STR_EQ_IC, COP_STR_LIKE,
    COP_NUM_EQ, COP_NUM_LT, COP_NUM_LE, COP_NUM_GT, COP_NUM_GE,
    COP_DATE_EQ, COP_DATE_LT, COP_DATE_LE, COP_DATE_GT, COP_DATE_GE,
    COP_BOOL, COP_BIN, COP_IP, COP_ARN, COP_NULL,
};
enum pail__cset { CSET_NONE, CSET_ANY, CSET_ALL };

/* One value of a condition, parsed according to its operator. */
struct pail__cval {
    struct pail__pat pat; /* String and Arn operators */
    union {
        struct pail__num num;
        int64_t ms;
        struct pail__cidr ip;
        bool b;
        struct {
            const unsigned char *p;
            size_t n;
        } bin;
    } u;
};

/* One operator applied to one key: {"StringEquals": {"s3:prefix": [...]}}. */
struct pail__cond {
    const char *op;  /* as written, for diagnostics */
    const char *key; /* as written; trace->missing points here */
    uint8_t cop;     /* enum pail__cop */
    uint8_t set;     /* enum pail__cset */
    bool neg;        /* StringNotEquals, NotIpAddress, ArnNotLike...: match none */
    bool if_exists;
    bool bad;        /* a value did not parse (IAM kinds): the operator is false */
    const struct pail__cval *v;
    size_t nv;
};

struct pail__stmt {
    const char *sid;
    bool deny;
    bool not_action, not_resource, not_principal;
    bool has_resource;  /* Resource or NotResource present (not in trust policies) */
    bool has_principal; /* Principal or NotPrincipal present (not in identity policies) */
    const struct pail__pat *actions;
    size_t nactions;
    const struct pail__pat *resources;
    size_t nresources;
    struct pail__pset principals;
    const struct pail__cond *conds;
    size_t nconds;
};

struct pail_policy {
    struct pail__pool pool;
    enum pail_policy_kind kind;
    const struct pail__stmt *stmts;
    size_t n;
};

/* ---- Compile context and faults ----------------------------------------- */

enum pail__fault {
    F_OOM, F_FIRST_BYTE, F_JSON, F_LEGACY, F_TYPE, F_VERSION, F_NO_STATEMENT, F_EMPTY_STATEMENT,
    F_UNKNOWN_FIELD, F_NO_EFFECT, F_EFFECT, F_SID_DUP, F_SID_CHARS,
    F_NO_ACTION, F_BOTH_ACTION, F_ACTION_VENDOR_MISSING, F_ACTION_VENDOR, F_ACTION, F_TRUST_ACTION,
    F_NO_RESOURCE, F_BOTH_RESOURCE, F_RESOURCE_FORMAT, F_RESOURCE_PARTITION, F_RESOURCE,
    F_PROHIBITED, F_PRINCIPAL_FORBIDDEN, F_NO_PRINCIPAL, F_BOTH_PRINCIPAL, F_PRINCIPAL,
    F_COND_TYPE, F_COND_KEY_VENDOR, F_COND_KEY, F_COND_EMPTY, F_COND_VALUE,
};

struct pail__cc {
    struct pail__pool *pool;
    enum pail_policy_kind kind;
    bool vars; /* Version 2012-10-17: policy variables honoured */
    const struct pail_policy_opts *opts;
    char *why;
    size_t why_cap;
};
/* Writes the message for f (detail: the offending name or value, may be NULL)
 * in the words of c->kind's service. Always returns false. */
bool pail__fail(struct pail__cc *c, enum pail__fault f, const char *detail);

/* Principal or NotPrincipal v into out. false: reported through pail__fail. */
bool pail__principal_compile(struct pail__cc *c, json_t *v, struct pail__pset *out);
/* How well an entry of s names pr (Principal semantics). */
enum pail_principal_match pail__principal_match(const struct pail__pset *s,
                                                const struct pail_principal *pr);
/* NotPrincipal semantics: true when s exempts pr, i.e. names its account and
 * (unless pr is the account's root) pr itself, or is "*". AWS checks the
 * account, then the role, then the session, and denies when any is unnamed. */
bool pail__principal_exempt(const struct pail__pset *s, const struct pail_principal *pr);
bool pail__principal_has_any(const struct pail__pset *s);

/* The Condition element v into out. false: reported through pail__fail. */
bool pail__cond_compile(struct pail__cc *c, json_t *v, const struct pail__cond **out, size_t *n);
/* AND of the conditions. With e->trace, all are evaluated (missing keys
 * recorded) even after one fails. */
bool pail__cond_eval(const struct pail__cond *c, size_t n, struct pail__ectx *e);

#endif
