/* s3/access_record.c — see access_record.h. A record is built after the
 * response has gone out (pail_pipeline_done), from what the request kept:
 * nothing here delays a client. */
#include "s3/access_record.h"

#include "core/arena.h"
#include "core/buf.h"
#include "http/body.h"
#include "http/request.h"
#include "s3/bucket_cache.h"
#include "s3/log_delivery.h"
#include "s3/op.h"
#include "s3/owner.h"
#include "s3/services.h"
#include "store/meta.h"
#include "util/encode.h"

#include <stdio.h>
#include <string.h>

/* ---- formatting ------------------------------------------------------------ */

/* Bytes a field cannot carry as they are: controls and DEL always, '"'
 * (it would end a quoted field), and in unquoted fields the blank. */
static bool must_escape(unsigned char c, bool quoted)
{
    return c < 0x20 || c == 0x7f || c == '"' || (!quoted && c == ' ');
}

static void put_field(struct pail_buf *b, const char *s, bool quoted)
{
    if (quoted)
        pail_buf_puts(b, "\"");
    if (!s || !*s) {
        pail_buf_puts(b, "-");
    } else {
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            if (must_escape(*p, quoted))
                pail_buf_printf(b, "%%%02X", *p);
            else
                pail_buf_append(b, p, 1);
        }
    }
    pail_buf_puts(b, quoted ? "\" " : " ");
}

static void put_u64(struct pail_buf *b, bool given, uint64_t v)
{
    if (given)
        pail_buf_printf(b, "%llu ", (unsigned long long)v);
    else
        pail_buf_puts(b, "- ");
}

static void put_time(struct pail_buf *b, time_t t)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&t, &tm);
    pail_buf_printf(b, "[%02d/%s/%04d:%02d:%02d:%02d +0000] ", tm.tm_mday, months[tm.tm_mon],
                    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The request-URI: "METHOD target VERSION", quoted as one field. */
static void put_request_line(struct pail_buf *b, const struct s3_access_fields *f)
{
    if (!f->method) {
        put_field(b, NULL, true);
        return;
    }
    char line[8192];
    snprintf(line, sizeof line, "%s %s %s", f->method, f->target ? f->target : "-",
             f->version ? f->version : "-");
    put_field(b, line, true);
}

void s3_access_format(const struct s3_access_fields *f, struct pail_buf *b)
{
    put_field(b, f->bucket_owner, false);
    put_field(b, f->bucket, false);
    put_time(b, f->time);
    put_field(b, f->remote_ip, false);
    put_field(b, f->requester, false);
    put_field(b, f->request_id, false);
    put_field(b, f->operation, false);
    if (f->key && *f->key) { /* URL-encoded, '/' kept (AWS) */
        struct pail_buf k;
        pail_buf_init(&k, 1u << 16);
        pail_uri_encode(&k, f->key, strlen(f->key), false);
        put_field(b, k.data, false);
        pail_buf_free(&k);
    } else {
        put_field(b, NULL, false);
    }
    put_request_line(b, f);
    put_u64(b, f->status > 0, (uint64_t)f->status);
    put_field(b, f->error_code, false);
    put_u64(b, f->bytes_sent != 0, f->bytes_sent); /* AWS: "-" if zero */
    put_u64(b, f->has_object_size, f->object_size);
    put_u64(b, true, f->total_ms);
    put_u64(b, true, f->turnaround_ms);
    put_field(b, f->referer, true);
    put_field(b, f->user_agent, true);
    put_field(b, f->version_id, false);
    put_field(b, f->host_id, false);
    put_field(b, f->signature_version, false);
    put_field(b, f->cipher_suite, false);
    put_field(b, f->auth_type, false);
    put_field(b, f->host, false);
    put_field(b, f->tls_version, false);
    put_field(b, f->access_point_arn, false);
    pail_buf_puts(b, f->acl_required ? "Yes\n" : "-\n");
}

/* ---- operation names --------------------------------------------------------- */

/* The resource words AWS logs where they are not the subresource's keyword
 * in capitals: first match wins; target and method NULL match any. */
static const struct {
    enum pail_subres subres;
    int target; /* enum pail_target, or -1 */
    const char *method;
    const char *word;
} resource_words[] = {
    {PAIL_SR_UPLOAD_ID, PAIL_T_OBJECT, "PUT", "PART"},
    {PAIL_SR_UPLOAD_ID, PAIL_T_OBJECT, NULL, "UPLOAD"},
    {PAIL_SR_DELETE, PAIL_T_BUCKET, NULL, "MULTI_OBJECT_DELETE"},
    {PAIL_SR_LIST_V2, PAIL_T_BUCKET, NULL, "BUCKET"},
    {PAIL_SR_TAGGING, PAIL_T_OBJECT, NULL, "OBJECT_TAGGING"},
    {PAIL_SR_ATTRIBUTES, PAIL_T_OBJECT, NULL, "OBJECT_ATTRIBUTES"},
    {PAIL_SR_VERSIONS, -1, NULL, "BUCKETVERSIONS"},
    {PAIL_SR_POLICY, -1, NULL, "BUCKETPOLICY"},
    {PAIL_SR_POLICY_STATUS, -1, NULL, "BUCKETPOLICYSTATUS"},
    {PAIL_SR_LOGGING, -1, NULL, "LOGGING_STATUS"},
};

static const char *target_word(enum pail_target t, bool has_key)
{
    switch (t) {
    case PAIL_T_SERVICE: return "SERVICE";
    case PAIL_T_BUCKET: return "BUCKET";
    default: return has_key ? "OBJECT" : "BUCKET";
    }
}

/* The keyword in capitals, words split by '_' ("object-lock" -> OBJECT_LOCK,
 * "publicAccessBlock" -> PUBLIC_ACCESS_BLOCK). */
static const char *keyword_word(struct pail_req *r, const char *kw)
{
    char *w = pail_arena_alloc(r->arena, 2 * strlen(kw) + 1), *o = w;
    for (const char *p = kw; *p; p++) {
        if (*p >= 'A' && *p <= 'Z' && p != kw)
            *o++ = '_';
        *o++ = *p == '-' ? '_' : (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
    }
    *o = 0;
    return w;
}

const char *s3_access_operation(struct pail_req *r, const struct pail_op *op, const char *method,
                                bool website, bool has_key)
{
    const char *verb = op && (op->flags & PAIL_OPF_COPY_SOURCE) ? "COPY" : method ? method : "-";
    const char *word = NULL;
    if (method && strcmp(method, "OPTIONS") == 0)
        word = "PREFLIGHT";
    else if (!op)
        word = target_word(has_key ? PAIL_T_OBJECT : PAIL_T_BUCKET, has_key);
    else if (op->target == PAIL_T_WEBSITE || op->resource == PAIL_RES_FORM)
        word = "OBJECT";
    else if (op->subres == PAIL_SR_NONE)
        word = target_word(op->target, has_key);
    for (size_t i = 0; !word && i < sizeof resource_words / sizeof resource_words[0]; i++)
        if (resource_words[i].subres == op->subres &&
            (resource_words[i].target < 0 || resource_words[i].target == (int)op->target) &&
            (!resource_words[i].method || strcmp(resource_words[i].method, op->method) == 0))
            word = resource_words[i].word;
    if (!word)
        word = keyword_word(r, pail_subres_keyword(op->subres));
    return pail_arena_printf(r->arena, "%s.%s.%s", website ? "WEBSITE" : "REST", verb, word);
}

/* ---- a request's records ------------------------------------------------------ */

static const char *signature_version(const struct pail_req *r)
{
    switch (r->auth.kind) {
    case PAIL_AUTH_V4_HEADER:
    case PAIL_AUTH_V4_QUERY: return "SigV4";
    case PAIL_AUTH_V2_HEADER:
    case PAIL_AUTH_V2_QUERY: return "SigV2";
    case PAIL_AUTH_POST_FORM: return r->auth.scope[0] ? "SigV4" : "SigV2";
    default: return NULL;
    }
}

static const char *auth_type(const struct pail_req *r)
{
    switch (r->auth.kind) {
    case PAIL_AUTH_V4_HEADER:
    case PAIL_AUTH_V2_HEADER: return "AuthHeader";
    case PAIL_AUTH_V4_QUERY:
    case PAIL_AUTH_V2_QUERY: return "QueryString";
    default: return NULL;
    }
}

/* The object's size: the one read, or the one written. */
static bool object_size(const struct pail_req *r, uint64_t *out)
{
    if (r->obj) {
        *out = r->obj->size;
        return true;
    }
    if (r->op && (r->op->flags & PAIL_OPF_BODY_STREAM) && r->body && r->err == PAIL_OK) {
        *out = pail_body_length(r);
        return true;
    }
    return false;
}

static void fields_of(struct pail_req *r, const struct s3_bucket *b, uint64_t micros,
                      struct s3_access_fields *f)
{
    char target[8192];
    size_t n = pail_redact_target(r->raw_target ? r->raw_target : "-", target, sizeof target - 1);
    target[n] = 0;
    bool anonymous = r->auth.principal.type == PAIL_PT_ANONYMOUS;
    *f = (struct s3_access_fields){
        .bucket_owner = s3_owner_canonical(r, s3_owner_account(r, b->owner)),
        .bucket = b->rec.name, .time = r->now,
        .remote_ip = r->client_ip, .requester = anonymous ? NULL : r->auth.principal.arn,
        .request_id = r->id,
        .operation = s3_access_operation(r, r->op, r->method, r->website, r->key != NULL),
        .key = r->key, .method = r->method, .target = pail_arena_strdup(r->arena, target),
        .version = r->version, .status = r->resp.status,
        .error_code = r->err != PAIL_OK ? pail_err_code(r->err) : NULL,
        .bytes_sent = r->method && strcmp(r->method, "HEAD") == 0 ? 0 : r->bytes_out,
        .total_ms = (micros + 500) / 1000, .turnaround_ms = (r->turnaround_us + 500) / 1000,
        .referer = pail_req_header(r, "referer"), .user_agent = pail_req_header(r, "user-agent"),
        .host_id = r->id, .signature_version = signature_version(r), .auth_type = auth_type(r),
        .host = pail_req_header(r, "host"), .acl_required = r->acl_required,
        .cipher_suite = r->tls_cipher, .tls_version = r->tls_protocol,
    };
    f->has_object_size = object_size(r, &f->object_size);
}

/* A BATCH.DELETE.OBJECT record for every key DeleteObjects named. */
static void batch_records(const struct pail_req *r, const struct s3_access_fields *main,
                          struct pail_buf *b)
{
    for (size_t i = 0; i < r->nbatch; i++) {
        struct s3_access_fields f = *main;
        enum pail_err e = r->batch_errs[i];
        f.operation = "BATCH.DELETE.OBJECT";
        f.key = r->batch_keys[i];
        f.status = e == PAIL_OK ? 204 : pail_err_status(e);
        f.error_code = e == PAIL_OK ? NULL : pail_err_code(e);
        f.bytes_sent = 0;
        f.has_object_size = false;
        s3_access_format(&f, b);
    }
}

void s3_access_log(struct pail_req *r, uint64_t micros)
{
    if (!r->bucket || !r->svc->logs)
        return;
    /* The request may have ended before its bucket was loaded (a bad
     * signature): AWS logs those too. */
    const struct s3_bucket *b = r->bkt;
    if (!b && s3_bucket_get(r->svc->buckets, r->bucket, r->arena, &b) != PAIL_OK)
        return;
    if (!b->logging)
        return;
    struct s3_access_fields f;
    fields_of(r, b, micros, &f);
    struct pail_buf out;
    pail_buf_init(&out, 64u << 20);
    s3_access_format(&f, &out);
    batch_records(r, &f, &out);
    if (!out.overflow)
        s3_log_spool(r->svc->logs, b->rec.name, s3_owner_account(r, b->owner), r->svc->region,
                     b->logging, out.data, out.len);
    pail_buf_free(&out);
}
