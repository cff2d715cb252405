/* iam/iam_api.c — the IAM/STS entry point: the action table, the caller's
 * credential, parameter readers with AWS's validation wording, paging,
 * authorization of each action, and the response and error documents. The
 * actions themselves are in iam_users.c, iam_groups.c, iam_roles.c,
 * iam_policies.c, iam_account.c, iam_simulate.c and sts.c. */
#include "iam/iam_int.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "util/encode.h"
#include "util/time.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ===== the action tables ===== */

struct iam_op {
    const char *name;
    iam_fn fn;
};

#define IAM_ROW(name) {#name, iam_##name},
static const struct iam_op iam_ops[] = {IAM_ACTIONS(IAM_ROW)};
static const struct iam_op sts_ops[] = {STS_ACTIONS(IAM_ROW)};
#undef IAM_ROW

static const struct iam_op *find_op(bool sts, const char *name)
{
    const struct iam_op *v = sts ? sts_ops : iam_ops;
    size_t n = sts ? sizeof sts_ops / sizeof sts_ops[0] : sizeof iam_ops / sizeof iam_ops[0];
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* ===== parameters ===== */

const char *iam_param(const struct iam_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->call->nparams; i++)
        if (c->call->params[i].name && strcmp(c->call->params[i].name, name) == 0)
            return c->call->params[i].value ? c->call->params[i].value : "";
    return NULL;
}

void iam_verr(struct iam_ctx *c, const char *member, const char *value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char what[512];
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char *m = value ? pail_arena_printf(c->a, "Value '%s' at '%s' failed to satisfy constraint: %s",
                                        value, member, what)
                    : pail_arena_printf(c->a, "Value null at '%s' failed to satisfy constraint: %s",
                                        member, what);
    if (c->nverr == c->cap_verr) {
        size_t nc = c->cap_verr ? c->cap_verr * 2 : 4;
        char **nv = pail_arena_alloc(c->a, nc * sizeof *nv);
        if (c->nverr)
            memcpy(nv, c->verr, c->nverr * sizeof *nv);
        c->verr = nv;
        c->cap_verr = nc;
    }
    c->verr[c->nverr++] = m;
}

bool iam_invalid(struct iam_ctx *c)
{
    if (!c->nverr)
        return false;
    struct pail_buf b;
    pail_buf_init(&b, 1 << 20);
    pail_buf_printf(&b, "%zu validation error%s detected: ", c->nverr, c->nverr == 1 ? "" : "s");
    for (size_t i = 0; i < c->nverr; i++)
        pail_buf_printf(&b, "%s%s", i ? "; " : "", c->verr[i]);
    iam_fail(c, PAIL_E_ValidationError, "%s", b.data ? b.data : "");
    pail_buf_free(&b);
    return true;
}

/* lowerCamel member name of a parameter: UserName -> userName. */
static const char *member(struct iam_ctx *c, const char *name)
{
    char *m = pail_arena_strdup(c->a, name);
    m[0] = (char)tolower((unsigned char)m[0]);
    return m;
}

/* Decodes one UTF-8 code point at *p (advancing it); invalid bytes count as
 * themselves (and fail the byte-range patterns above 0xFF anyway). */
static unsigned next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            len = 1;
    if (len == 1) {
        *p = s + 1;
        return c;
    }
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (s[i] & 0x3F);
    *p = s + len;
    return cp;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        next_cp(&p);
        n++;
    }
    return n;
}

static bool w(unsigned c)
{
    return c < 0x80 && (isalnum((int)c) || c == '_');
}

static bool in(unsigned c, const char *set)
{
    return c && c < 0x80 && strchr(set, (int)c) != NULL;
}

/* Every code point of s satisfies ok(). */
static bool all(const char *s, bool (*ok)(unsigned))
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p)
        if (!ok(next_cp(&p)))
            return false;
    return true;
}

static bool c_name(unsigned c) { return w(c) || in(c, "+=,.@-"); }
static bool c_doc(unsigned c) { return c == 9 || c == 10 || c == 13 || (c >= 0x20 && c <= 0xFF); }
static bool c_marker(unsigned c) { return c >= 0x20 && c <= 0xFF; }
static bool c_desc(unsigned c)
{
    return c == 9 || c == 10 || c == 13 || (c >= 0x20 && c <= 0x7E) || (c >= 0xA1 && c <= 0xFF);
}
static bool c_tag(unsigned c) { return c >= 0x80 || isalnum((int)c) || in(c, " _.:/=+-@"); }
static bool c_ext(unsigned c) { return w(c) || in(c, "+=,.@:/-"); }
static bool c_path(unsigned c) { return c >= 0x21 && c <= 0x7E; }
static bool c_prefix(unsigned c) { return c >= 0x21 && c <= 0x7F; }
static bool c_pseg(unsigned c) { return c < 0x80 && (isalnum((int)c) || in(c, ".,+@=_-")); }

static bool pat_ok(const char *s, enum iam_pat pat)
{
    size_t n = strlen(s);
    switch (pat) {
    case PAT_NONE: return true;
    case PAT_NAME: return n && all(s, c_name);
    case PAT_SESSION: return all(s, c_name);
    case PAT_ID: return n && all(s, w);
    case PAT_DOC: return n && all(s, c_doc);
    case PAT_MARKER: return n && all(s, c_marker);
    case PAT_ROLE_DESC: return all(s, c_desc);
    case PAT_TAG_KEY: return n && all(s, c_tag);
    case PAT_TAG_VALUE: return all(s, c_tag);
    case PAT_EXTERNAL_ID: return all(s, c_ext);
    case PAT_PATH:
        return strcmp(s, "/") == 0 || (n >= 3 && s[0] == '/' && s[n - 1] == '/' && all(s, c_path));
    case PAT_PATH_PREFIX: return n && s[0] == '/' && all(s + 1, c_prefix);
    case PAT_POLICY_PATH: {
        if (!n || s[0] != '/' || s[n - 1] != '/')
            return false;
        for (size_t i = 1; i < n; i++) {
            unsigned ch = (unsigned char)s[i];
            if (ch == '/' ? s[i - 1] == '/' : !c_pseg(ch))
                return false;
        }
        return true;
    }
    case PAT_VERSION: {
        if (s[0] != 'v' || s[1] < '1' || s[1] > '9')
            return false;
        const char *p = s + 2;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '.')
            for (p++; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '-')
                    return false;
        return *p == '\0';
    }
    }
    return false;
}

static const char *pat_text(enum iam_pat pat)
{
    static const char *t[] = {
        [PAT_NONE] = "",
        [PAT_NAME] = "[\\w+=,.@-]+",
        [PAT_PATH] = "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        [PAT_PATH_PREFIX] = "\\u002F[\\u0021-\\u007F]*",
        [PAT_POLICY_PATH] = "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/",
        [PAT_DOC] = "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        [PAT_MARKER] = "[\\u0020-\\u00FF]+",
        [PAT_ID] = "[\\w]+",
        [PAT_ROLE_DESC] = "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
        [PAT_SESSION] = "[\\w+=,.@-]*",
        [PAT_VERSION] = "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
        [PAT_TAG_KEY] = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        [PAT_TAG_VALUE] = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
        [PAT_EXTERNAL_ID] = "[\\w+=,.@:\\/-]*",
    };
    return t[pat];
}

static const char *check_str(struct iam_ctx *c, const char *mem, const char *v, size_t min,
                             size_t max, enum iam_pat pat)
{
    size_t n = chars(v);
    if (n < min) {
        iam_verr(c, mem, v, "Member must have length greater than or equal to %zu", min);
        return NULL;
    }
    if (max && n > max) {
        iam_verr(c, mem, v, "Member must have length less than or equal to %zu", max);
        return NULL;
    }
    if (!pat_ok(v, pat)) {
        iam_verr(c, mem, v, "Member must satisfy regular expression pattern: %s", pat_text(pat));
        return NULL;
    }
    return v;
}

const char *iam_str(struct iam_ctx *c, const char *name, bool required, size_t min, size_t max,
                    enum iam_pat pat)
{
    const char *v = iam_param(c, name);
    if (!v) {
        if (required)
            iam_verr(c, member(c, name), NULL, "Member must not be null");
        return NULL;
    }
    return check_str(c, member(c, name), v, min, max, pat);
}

bool iam_int(struct iam_ctx *c, const char *name, long min, long max, long dflt, long *out)
{
    const char *v = iam_param(c, name);
    *out = dflt;
    if (!v)
        return true;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno) {
        iam_verr(c, member(c, name), v, "Member must be a number");
        return false;
    }
    if (x < min) {
        iam_verr(c, member(c, name), v, "Member must have value greater than or equal to %ld", min);
        return false;
    }
    if (x > max) {
        iam_verr(c, member(c, name), v, "Member must have value less than or equal to %ld", max);
        return false;
    }
    *out = x;
    return true;
}

bool iam_bool(struct iam_ctx *c, const char *name, bool dflt)
{
    const char *v = iam_param(c, name);
    if (!v)
        return dflt;
    if (strcasecmp(v, "true") == 0)
        return true;
    if (strcasecmp(v, "false") != 0)
        iam_verr(c, member(c, name), v, "Member must be a boolean");
    return false;
}

const char *iam_enum(struct iam_ctx *c, const char *name, bool required,
                     const char *const *vals)
{
    const char *v = iam_param(c, name);
    if (!v) {
        if (required)
            iam_verr(c, member(c, name), NULL, "Member must not be null");
        return NULL;
    }
    for (size_t i = 0; vals[i]; i++)
        if (strcmp(v, vals[i]) == 0)
            return v;
    char set[256] = "";
    size_t used = 0;
    for (size_t i = 0; vals[i] && used < sizeof set; i++)
        used += (size_t)snprintf(set + used, sizeof set - used, "%s%s", i ? ", " : "", vals[i]);
    iam_verr(c, member(c, name), v, "Member must satisfy enum value set: [%s]", set);
    return NULL;
}

const char **iam_list(struct iam_ctx *c, const char *name, const char *field, size_t *n)
{
    size_t cnt = 0;
    char key[256];
    for (;; cnt++) {
        if (field)
            snprintf(key, sizeof key, "%s.member.%zu.%s", name, cnt + 1, field);
        else
            snprintf(key, sizeof key, "%s.member.%zu", name, cnt + 1);
        if (!iam_param(c, key))
            break;
    }
    const char **v = pail_arena_alloc(c->a, (cnt + 1) * sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        if (field)
            snprintf(key, sizeof key, "%s.member.%zu.%s", name, i + 1, field);
        else
            snprintf(key, sizeof key, "%s.member.%zu", name, i + 1);
        v[i] = iam_param(c, key);
    }
    *n = cnt;
    return v;
}

bool iam_tags(struct iam_ctx *c, struct tags *out)
{
    *out = (struct tags){0};
    size_t n, nv;
    const char **keys = iam_list(c, "Tags", "Key", &n);
    const char **vals = iam_list(c, "Tags", "Value", &nv);
    if (n > ID_TAGS_MAX) {
        iam_verr(c, "tags", "[...]", "Member must have length less than or equal to %d", ID_TAGS_MAX);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const char *mk = pail_arena_printf(c->a, "tags.%zu.member.key", i + 1);
        const char *mv = pail_arena_printf(c->a, "tags.%zu.member.value", i + 1);
        if (!check_str(c, mk, keys[i], 1, 128, PAT_TAG_KEY))
            ok = false;
        if (i >= nv || !vals[i]) {
            iam_verr(c, mv, NULL, "Member must not be null");
            ok = false;
        } else if (!check_str(c, mv, vals[i], 0, 256, PAT_TAG_VALUE))
            ok = false;
    }
    if (!ok || iam_invalid(c))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strncasecmp(keys[i], "aws:", 4) == 0) {
            iam_fail(c, PAIL_E_InvalidInput, "User is not authorized to perform tag operations with "
                                             "the prefix aws: on the specified resource.");
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcasecmp(keys[i], keys[j]) == 0) {
                iam_fail(c, PAIL_E_InvalidInput, "Duplicate tag keys found. Please note that Tag "
                                                 "keys are case insensitive.");
                return false;
            }
        }
    }
    out->n = n;
    out->v = n ? id_xcalloc(n, sizeof *out->v) : NULL;
    for (size_t i = 0; i < n; i++) {
        out->v[i].key = id_xstrdup(keys[i]);
        out->v[i].value = id_xstrdup(vals[i]);
    }
    return true;
}

/* ===== paging ===== */

bool iam_paging(struct iam_ctx *c, struct iam_page *pg)
{
    pg->marker = iam_str(c, "Marker", false, 1, 320, PAT_MARKER);
    return iam_int(c, "MaxItems", 1, 1000, 100, &pg->max);
}

static int item_cmp(const void *x, const void *y)
{
    const struct iam_item *a = x, *b = y;
    int r = strcasecmp(a->key, b->key);
    return r ? r : strcmp(a->key, b->key);
}

size_t iam_page_pick(struct iam_item *v, size_t n, const struct iam_page *pg, size_t *first,
                     bool *truncated, const char **next)
{
    qsort(v, n, sizeof *v, item_cmp);
    size_t i = 0;
    if (pg->marker) {
        struct iam_item m = {.key = pg->marker};
        while (i < n && item_cmp(&v[i], &m) < 0)
            i++;
    }
    size_t k = n - i < (size_t)pg->max ? n - i : (size_t)pg->max;
    *first = i;
    *truncated = i + k < n;
    *next = *truncated ? v[i + k].key : NULL;
    return k;
}

void iam_page_end(struct iam_ctx *c, bool truncated, const char *next)
{
    pail_xml_elem_bool(&c->x, "IsTruncated", truncated);
    if (truncated)
        pail_xml_elem(&c->x, "Marker", next);
}

/* ===== answering ===== */

static const char *ns(const struct iam_ctx *c)
{
    return c->sts ? PAIL_STS_NS : PAIL_IAM_NS;
}

static void begin(struct iam_ctx *c)
{
    if (c->begun)
        return;
    c->begun = true;
    pail_xml_begin(&c->x, c->out);
    pail_xml_open_ns(&c->x, pail_arena_printf(c->a, "%sResponse", c->action), ns(c));
}

void iam_result(struct iam_ctx *c)
{
    begin(c);
    if (!c->result) {
        c->result = true;
        pail_xml_open(&c->x, pail_arena_printf(c->a, "%sResult", c->action));
    }
}

enum pail_err iam_fail(struct iam_ctx *c, enum pail_err err, const char *fmt, ...)
{
    c->err = err;
    c->msg = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        char buf[4096];
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        c->msg = pail_arena_strdup(c->a, buf);
    }
    return err;
}

enum pail_err iam_store_fail(struct iam_ctx *c, enum pail_err e)
{
    return iam_fail(c, e == PAIL_E_InsufficientStorage ? e : PAIL_E_ServiceFailure, NULL);
}

int pail_iam_error_doc(const char *service, enum pail_err err, const char *message,
                       const char *request_id, struct pail_buf *out)
{
    int status = pail_err_status(err);
    struct pail_xml x;
    pail_xml_begin(&x, out);
    pail_xml_open_ns(&x, "ErrorResponse",
                     service && strcmp(service, "sts") == 0 ? PAIL_STS_NS : PAIL_IAM_NS);
    pail_xml_open(&x, "Error");
    pail_xml_elem(&x, "Type", status >= 500 ? "Receiver" : "Sender");
    pail_xml_elem(&x, "Code", pail_err_code(err));
    pail_xml_elem(&x, "Message", message ? message : pail_err_message(err));
    pail_xml_close(&x);
    pail_xml_elem(&x, "RequestId", request_id ? request_id : "");
    pail_xml_end(&x);
    return status;
}

/* Replaces whatever the action wrote with the error document. */
static int answer_error(struct iam_ctx *c)
{
    c->out->len = c->out_start;
    c->out->overflow = false;
    if (c->out->data)
        c->out->data[c->out_start] = '\0';
    return pail_iam_error_doc(c->sts ? "sts" : "iam", c->err, c->msg, c->call->request_id, c->out);
}

static int answer_ok(struct iam_ctx *c)
{
    begin(c);
    if (c->result)
        pail_xml_close(&c->x);
    pail_xml_open(&c->x, "ResponseMetadata");
    pail_xml_elem(&c->x, "RequestId", c->call->request_id ? c->call->request_id : "");
    pail_xml_close(&c->x);
    if (pail_xml_end(&c->x) != PAIL_OK) {
        iam_fail(c, PAIL_E_ServiceFailure, NULL);
        return answer_error(c);
    }
    return 200;
}

/* ===== authorization ===== */

enum pail_err iam_authz(struct iam_ctx *c, const char *action, const char *resource)
{
    if (c->is_root)
        return PAIL_OK;
    struct pail_eval_req req = {
        .principal = c->call->caller ? c->call->caller : &c->me,
        .action = action,
        .resource = resource,
        .ctx = c->call->ctx,
        .nctx = c->call->nctx,
    };
    struct pail_identity_decision d;
    id_eval_cred(c->cred, &req, c->a, &d);
    if (pail_identity_allowed(&d))
        return PAIL_OK;
    const char *why, *tag;
    if (d.deny_source) {
        why = pail_arena_printf(c->a, "with an explicit deny in a%s %s",
                                d.deny_source[0] == 'i' ? "n" : "", d.deny_source);
        tag = strcmp(d.deny_source, "permissions boundary") == 0 ? "boundary:explicit"
              : strcmp(d.deny_source, "session policy") == 0     ? "session:explicit"
                                                                 : "identity:explicit";
    } else if (d.identity != PAIL_EFFECT_ALLOW) {
        why = pail_arena_printf(c->a, "because no identity-based policy allows the %s action", action);
        tag = "identity:implicit";
    } else if (d.has_boundary && d.boundary != PAIL_EFFECT_ALLOW) {
        why = pail_arena_printf(c->a, "because no permissions boundary allows the %s action", action);
        tag = "boundary:implicit";
    } else {
        why = pail_arena_printf(c->a, "because no session policy allows the %s action", action);
        tag = "session:implicit";
    }
    c->deny_reason = tag;
    return iam_fail(c, PAIL_E_AccessDenied, "User: %s is not authorized to perform: %s on resource: %s %s",
                    c->me.arn, action, resource, why);
}

enum pail_err iam_authz_self(struct iam_ctx *c, const char *resource)
{
    return iam_authz(c, pail_arena_printf(c->a, "%s:%s", c->sts ? "sts" : "iam", c->action), resource);
}

/* ===== the entry point ===== */

/* The caller's credential; false (answered) when IAM/STS must refuse it. */
static bool resolve_caller(struct iam_ctx *c)
{
    const void *cred = c->call->access_key ? idmap_get(&c->id->creds, c->call->access_key) : NULL;
    if (!cred) {
        c->deny_reason = "token";
        iam_fail(c, PAIL_E_InvalidClientTokenId, NULL);
        return false;
    }
    c->cred = cred;
    c->acct = id_acct_by_key(c->id, c->call->access_key);
    id_principal_of(cred, c->a, &c->me);
    const struct session *s = *(const enum cred_kind *)cred == CRED_SESSION ? cred : NULL;
    c->is_root = c->me.type == PAIL_PT_ROOT;
    /* GetSessionToken credentials cannot call IAM at all; AWS answers as if
     * the token were unknown. */
    if (s && s->sk != SESS_ROLE && !c->sts) {
        c->deny_reason = "token";
        iam_fail(c, PAIL_E_InvalidClientTokenId, NULL);
        return false;
    }
    return true;
}

enum pail_err pail_iam_handle(struct pail_identity *id, const struct pail_iam_call *call,
                              struct pail_arena *a, struct pail_buf *out, int *status,
                              const char **deny_reason)
{
    struct iam_ctx c = {
        .id = id,
        .call = call,
        .a = a,
        .out = out,
        .out_start = out->len,
        .sts = call->service && strcmp(call->service, "sts") == 0,
        .now = call->now_ms ? call->now_ms : pail_time_now_ms(),
    };
    const char *action = iam_param(&c, "Action");
    const struct iam_op *op = action && *action ? find_op(c.sts, action) : NULL;
    c.action = op ? op->name : "Unknown";
    if (!action || !*action)
        iam_fail(&c, PAIL_E_MissingAction, NULL);
    else if (!op) {
        const char *ver = iam_param(&c, "Version");
        iam_fail(&c, PAIL_E_InvalidAction, "Could not find operation %s for version %s", action,
                 ver ? ver : c.sts ? "2011-06-15" : "2010-05-08");
    } else {
        pthread_mutex_lock(&id->wmu);
        if (resolve_caller(&c))
            c.err = op->fn(&c);
        pthread_mutex_unlock(&id->wmu);
    }
    if (!c.err && c.nverr)
        iam_invalid(&c); /* an action that forgot to check its errors */
    *status = c.err ? answer_error(&c) : answer_ok(&c);
    if (deny_reason)
        *deny_reason = c.err ? c.deny_reason : NULL;
    return c.err;
}
