/* s3/post_object.c — POST Object: an upload from a browser form
 * (multipart/form-data; boto3's generate_presigned_post, the JS SDK's
 * createPresignedPost, SigV2 forms). The form streams like a PUT body: its
 * fields are collected (bounded, http/form_multipart.c), and when the file
 * part begins everything is known, so the form is authenticated
 * (auth/post_auth.c), its policy checked (auth/post_policy.c), the write
 * authorized like a PutObject and a data writer opened; the file's bytes then
 * go to the writer with their MD5. At the end the length range and any
 * declared checksum are checked, and the object is committed like PutObject's.
 * The answer follows success_action_redirect / success_action_status. */
#include "auth/post_policy.h"
#include "core/buf.h"
#include "http/body.h"
#include "http/form_multipart.h"
#include "http/request.h"
#include "s3/acl_request.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "s3/owner.h"
#include "s3/services.h"
#include "s3/tags.h"
#include "store/data.h"
#include "util/checksum.h"
#include "util/encode.h"
#include "util/xml_out.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct post {
    struct pail_req *r;
    struct pail_form *form;
    struct pail_post_field *fields;
    size_t n, cap;
    struct pail_post_policy *policy;   /* NULL: an anonymous form */
    const char *key, *content_type, *owner, *acl;
    struct pail_data_writer *w;        /* open from file_begin until committed */
    const char *data_id;
    struct pail_cksum md5, ck;         /* ck: a declared x-amz-checksum-* */
    enum pail_cksum_algo ck_algo;
    const char *ck_want;
    bool hashing;
    uint64_t length, max_length;
};

static void post_cleanup(void *arg)
{
    struct post *p = arg;
    pail_data_abort(p->w); /* no-op once committed (w is NULL) */
    p->w = NULL;
    if (p->hashing) {
        pail_cksum_free(&p->md5);
        pail_cksum_free(&p->ck);
    }
}

static const char *field(const struct post *p, const char *name)
{
    const struct pail_post_field *f = pail_post_field_get(p->fields, p->n, name);
    return f ? f->value : NULL;
}

static enum pail_err on_field(void *ctx, const char *name, const char *value, size_t len)
{
    struct post *p = ctx;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 16;
        struct pail_post_field *v = pail_arena_alloc(p->r->arena, nc * sizeof *v);
        if (p->n)
            memcpy(v, p->fields, p->n * sizeof *v);
        p->fields = v;
        p->cap = nc;
    }
    p->fields[p->n++] = (struct pail_post_field){pail_arena_strdup(p->r->arena, name),
                                                 pail_arena_strndup(p->r->arena, value, len),
                                                 len};
    return PAIL_OK;
}

/* The declared x-amz-checksum-<algo> field, if any, is verified at the end. */
static void declared_checksum(struct post *p)
{
    for (size_t i = 0; i < p->n; i++) {
        enum pail_cksum_algo a = pail_cksum_algo_from_header(p->fields[i].name);
        if (a != PAIL_CKSUM_NONE && a != PAIL_CKSUM_MD5) {
            p->ck_algo = a;
            p->ck_want = p->fields[i].value;
        }
    }
}

/* The object's owner (Object Ownership) and ACL (the acl field). */
static enum pail_err owner_and_acl(struct post *p)
{
    struct pail_req *r = p->r;
    const struct s3_bucket *b = r->bkt;
    const char *canned = field(p, "acl");
    const char *bucket_owner = s3_owner_account(r, b->owner);
    bool to_bucket_owner =
        b->has_ownership && (b->ownership == S3_OWN_ENFORCED ||
                             (b->ownership == S3_OWN_PREFERRED && canned &&
                              strcmp(canned, "bucket-owner-full-control") == 0));
    p->owner = to_bucket_owner ? bucket_owner
                               : r->auth.principal.account ? r->auth.principal.account : "";
    if (!r->auth.principal.account && !to_bucket_owner)
        p->owner = bucket_owner; /* an anonymous writer owns nothing: the bucket's owner does */
    return s3_canned_acl(r, canned, p->owner, bucket_owner, &p->acl);
}

/* The tagging field: a <Tagging> document (AWS), the object's tags and the
 * s3:RequestObjectTag condition keys. */
static enum pail_err form_tags(struct post *p)
{
    const struct pail_post_field *f = pail_post_field_get(p->fields, p->n, "tagging");
    if (!f)
        return PAIL_OK;
    struct s3_tags *t = pail_arena_alloc(p->r->arena, sizeof *t);
    if (s3_tags_from_xml(p->r, f->value, f->len, S3_TAGS_OBJECT, t) != PAIL_OK)
        return p->r->err;
    p->r->tags = t->n ? t : NULL;
    return PAIL_OK;
}

/* Everything before the first byte of the file: who, whether the policy
 * allows this form, whether they may write it. */
static enum pail_err on_file_begin(void *ctx, const char *filename, const char *ctype)
{
    struct post *p = ctx;
    struct pail_req *r = p->r;
    const char *policy_b64 = NULL, *why = NULL;
    if (pail_auth_verify_form(r, p->fields, p->n, &policy_b64) != PAIL_OK)
        return r->err;
    struct pail_post_field *key = (struct pail_post_field *)pail_post_field_get(p->fields, p->n,
                                                                                "key");
    key->value = pail_post_key_subst(r->arena, key->value, filename);
    key->len = strlen(key->value);
    p->key = key->value;
    if (!*p->key || strlen(p->key) > 1024)
        return pail_req_fail(r, *p->key ? PAIL_E_KeyTooLongError : PAIL_E_InvalidArgument,
                             *p->key ? NULL : "User key must have a length greater than 0.");
    r->key = p->key;
    enum pail_err e;
    if (policy_b64) {
        if ((e = pail_post_policy_parse(r->arena, policy_b64, &p->policy, &why)) != PAIL_OK ||
            (e = pail_post_policy_check(p->policy, p->fields, p->n, r->bucket,
                                        (int64_t)r->now * 1000, &why)) != PAIL_OK)
            return pail_req_fail(r, e, why ? "%s" : NULL, why);
        uint64_t min;
        pail_post_policy_length_range(p->policy, &min, &p->max_length);
    } else {
        p->max_length = UINT64_MAX;
    }
    if (form_tags(p) != PAIL_OK ||
        s3_authorize_action(r, "s3:PutObject", r->bkt, p->key, NULL, true) != PAIL_OK ||
        (field(p, "acl") && s3_acl_needs_permission(r) &&
         s3_authorize_action(r, "s3:PutObjectAcl", r->bkt, p->key, NULL, true) != PAIL_OK) ||
        (r->tags && s3_acl_needs_permission(r) &&
         s3_authorize_action(r, "s3:PutObjectTagging", r->bkt, p->key, NULL, true) != PAIL_OK) ||
        owner_and_acl(p) != PAIL_OK)
        return r->err;
    const char *ct = field(p, "content-type");
    p->content_type = ct && *ct ? ct : ctype && *ctype ? pail_arena_strdup(r->arena, ctype)
                                                       : "binary/octet-stream";
    declared_checksum(p);
    if ((e = pail_data_writer_open(r->svc->data, &p->w)) != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    p->data_id = pail_arena_strdup(r->arena, pail_data_writer_id(p->w));
    pail_cksum_init(&p->md5, PAIL_CKSUM_MD5);
    pail_cksum_init(&p->ck, p->ck_algo == PAIL_CKSUM_NONE ? PAIL_CKSUM_CRC32 : p->ck_algo);
    p->hashing = true;
    return PAIL_OK;
}

static enum pail_err on_file_data(void *ctx, const void *data, size_t n)
{
    struct post *p = ctx;
    p->length += n;
    if (p->length > p->max_length) {
        const char *why = NULL;
        enum pail_err e = pail_post_policy_check_length(p->policy, p->length, &why);
        return pail_req_fail(p->r, e, why ? "%s" : NULL, why);
    }
    pail_cksum_update(&p->md5, data, n);
    pail_cksum_update(&p->ck, data, n);
    enum pail_err e = pail_data_write(p->w, data, n);
    return e == PAIL_OK ? PAIL_OK : pail_req_fail(p->r, e, NULL);
}

static enum pail_err on_file_end(void *ctx)
{
    (void)ctx;
    return PAIL_OK;
}

static enum pail_err body_sink(void *ctx, const void *data, size_t n)
{
    struct post *p = ctx;
    return pail_form_feed(p->form, data, n);
}

enum pail_err s3_post_object_begin(struct pail_req *r)
{
    struct post *p = pail_arena_alloc(r->arena, sizeof *p);
    p->r = r;
    r->op_state = p;
    pail_arena_cleanup(r->arena, post_cleanup, p);
    const char *ct = pail_req_header(r, "content-type");
    const char *why = NULL;
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
        return pail_req_fail(r, PAIL_E_PreconditionFailed,
                             "Bucket POST must be of the enclosure-type multipart/form-data");
    struct pail_form_cb cb = {on_field, on_file_begin, on_file_data, on_file_end, p};
    enum pail_err e = pail_form_begin(r->arena, ct ? ct : "", &cb, &p->form, &why);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, why ? "%s" : NULL, why);
    if (!r->has_length && !pail_req_header(r, "transfer-encoding"))
        return pail_req_fail(r, PAIL_E_MissingContentLength, NULL);
    return pail_body_begin(r, body_sink, p, 0, PAIL_CKSUM_NONE, 0);
}

/* The headers S3 keeps with the object, from the form's fields. */
static const char *stored_headers(struct post *p)
{
    static const char *const names[] = {"cache-control", "content-disposition",
                                        "content-encoding", "expires", NULL};
    json_t *obj = json_object();
    for (size_t i = 0; i < p->n; i++) {
        const char *name = p->fields[i].name;
        bool keep = strncmp(name, "x-amz-meta-", 11) == 0;
        for (int j = 0; names[j] && !keep; j++)
            keep = strcmp(name, names[j]) == 0;
        if (keep)
            json_object_set_new(obj, name, json_string(p->fields[i].value));
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    const char *out = pail_arena_strdup(p->r->arena, s ? s : "{}");
    free(s);
    return out;
}

/* Makes the file durable and the object visible. */
static enum pail_err commit(struct post *p, char etag[33], const char **checksum)
{
    struct pail_req *r = p->r;
    unsigned char md5[32];
    pail_cksum_final(&p->md5, md5);
    char b64[PAIL_CKSUM_MAX_B64];
    pail_cksum_final_b64(&p->ck, b64);
    p->hashing = false;
    pail_hex(md5, 16, etag);
    *checksum = NULL;
    if (p->ck_algo != PAIL_CKSUM_NONE) {
        if (strcmp(b64, p->ck_want) != 0)
            return pail_req_fail(r, PAIL_E_BadDigest, NULL);
        *checksum = pail_arena_strdup(r->arena, b64);
    }
    struct pail_data_writer *w = p->w;
    p->w = NULL;
    enum pail_err e = pail_data_commit(w);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    struct pail_object_rec o = {
        .bucket = r->bucket, .key = p->key, .size = p->length, .etag = etag,
        .mtime_ms = s3_now_ms(r), .data_id = p->data_id, .content_type = p->content_type,
        .headers = stored_headers(p),
        .checksum_algo = *checksum ? pail_cksum_algo_name(p->ck_algo) : NULL,
        .checksum = *checksum, .checksum_type = *checksum ? "FULL_OBJECT" : NULL,
        .owner = p->owner, .acl = p->acl, .tags = s3_tags_to_json(r->arena, r->tags),
    };
    struct pail_garbage g = {0};
    e = pail_meta_object_put(r->svc->meta, &o, r->arena, &g);
    if (e != PAIL_OK) {
        pail_data_remove(r->svc->data, p->data_id);
        return pail_req_fail(r, e, NULL);
    }
    s3_drop_garbage(r, &g);
    return PAIL_OK;
}

/* 303 to success_action_redirect with bucket, key and etag appended. */
static void redirect(struct pail_req *r, const char *to, const char *etag)
{
    struct pail_buf b;
    pail_buf_init(&b, 16384);
    pail_buf_puts(&b, to);
    pail_buf_puts(&b, strchr(to, '?') ? "&bucket=" : "?bucket=");
    pail_uri_encode(&b, r->bucket, strlen(r->bucket), true);
    pail_buf_puts(&b, "&key=");
    pail_uri_encode(&b, r->key, strlen(r->key), true);
    pail_buf_puts(&b, "&etag=");
    const char *q = s3_quoted(r, etag);
    pail_uri_encode(&b, q, strlen(q), true);
    pail_resp_header(r, "Location", b.data ? b.data : to);
    pail_buf_free(&b);
    r->resp.status = 303;
}

enum pail_err s3_post_object(struct pail_req *r)
{
    struct post *p = r->op_state;
    const char *why = NULL;
    enum pail_err e = pail_form_finish(p->form);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, pail_form_error_detail(p->form) ? "%s" : NULL,
                             pail_form_error_detail(p->form));
    if (p->policy && (e = pail_post_policy_check_length(p->policy, p->length, &why)) != PAIL_OK)
        return pail_req_fail(r, e, why ? "%s" : NULL, why);
    char etag[33];
    const char *checksum;
    if (commit(p, etag, &checksum) != PAIL_OK)
        return r->err;
    pail_resp_header(r, "ETag", s3_quoted(r, etag));
    const char *location = pail_arena_printf(r->arena, "/%s/%s", r->bucket, r->key);
    pail_resp_header(r, "Location", location);
    const char *to = field(p, "success_action_redirect");
    if (!to)
        to = field(p, "redirect");
    if (to && *to) {
        r->resp.headers = NULL;
        r->resp.tail = &r->resp.headers;
        pail_resp_header(r, "ETag", s3_quoted(r, etag));
        redirect(r, to, etag);
        return PAIL_OK;
    }
    const char *status = field(p, "success_action_status");
    if (status && strcmp(status, "201") == 0) {
        struct pail_xml x;
        pail_xml_begin(&x, pail_resp_xml(r));
        pail_xml_open(&x, "PostResponse");
        pail_xml_elem(&x, "Location", location);
        pail_xml_elem(&x, "Bucket", r->bucket);
        pail_xml_elem(&x, "Key", r->key);
        pail_xml_elem(&x, "ETag", s3_quoted(r, etag));
        pail_xml_close(&x);
        r->resp.status = 201;
        return PAIL_OK;
    }
    r->resp.status = status && strcmp(status, "200") == 0 ? 200 : 204;
    return PAIL_OK;
}
