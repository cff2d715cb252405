/* s3/bucket_cors.c — PutBucketCors, GetBucketCors, DeleteBucketCors and the
 * preflight OPTIONS request. The configuration is validated whole
 * (s3/cors.c) and stored as the "cors" bucket setting in the normalised
 * form GetBucketCors answers; the bucket cache parses it once per fill, so
 * a preflight or an actual request costs no parsing. Content-MD5 is not
 * required: like the other XML settings here, a Content-MD5 or checksum
 * that is sent is verified by the body pipeline, and clients (botocore)
 * send a CRC32 instead. */
#include "core/buf.h"
#include "http/body.h"
#include "http/request.h"
#include "s3/bucket_cache.h"
#include "s3/common.h"
#include "s3/cors.h"
#include "s3/handlers.h"
#include "util/xml_out.h"

#define STORED_MAX (1u << 20) /* a 64 KB document, even if every byte is escaped */

/* The document c is stored as, in r's arena; NULL if it cannot be written. */
static const char *stored_form(struct pail_req *r, const struct s3_cors *c)
{
    struct pail_buf *b = pail_arena_alloc(r->arena, sizeof(*b)); /* the arena frees it */
    pail_buf_init(b, STORED_MAX);
    pail_buf_in_arena(b, r->arena);
    struct pail_xml x;
    pail_xml_begin(&x, b);
    pail_xml_open_ns(&x, "CORSConfiguration", S3_XMLNS);
    s3_cors_write(c, &x);
    return pail_xml_end(&x) == PAIL_OK ? b->data : NULL;
}

enum pail_err s3_put_bucket_cors(struct pail_req *r)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    const struct s3_cors *c;
    const char *why;
    enum pail_err e = s3_cors_parse(body, len, r->arena, &c, &why);
    if (e != PAIL_OK)
        return why ? pail_req_fail(r, e, "%s", why) : pail_req_fail(r, e, NULL);
    const char *doc = stored_form(r, c);
    if (!doc)
        return pail_req_fail(r, PAIL_E_InternalError, NULL);
    return s3_bucket_setting(r, "cors", doc);
}

enum pail_err s3_get_bucket_cors(struct pail_req *r)
{
    const struct s3_cors *c = r->bkt->cors;
    if (!c)
        return pail_req_fail(r, PAIL_E_NoSuchCORSConfiguration, NULL);
    struct pail_xml x;
    s3_xml_start(r, &x, "CORSConfiguration");
    s3_cors_write(c, &x);
    pail_xml_close(&x);
    return PAIL_OK;
}

/* AWS answers 204 whether or not there was a configuration. */
enum pail_err s3_delete_bucket_cors(struct pail_req *r)
{
    if (s3_bucket_conf(r->bkt, "cors") && s3_bucket_setting(r, "cors", NULL) != PAIL_OK)
        return r->err;
    r->resp.status = 204;
    return PAIL_OK;
}

/* The row is flagged NO_AUTH and NO_BUCKET: r->bkt is NULL when the bucket
 * does not exist (or none was named), which S3 answers after the Origin
 * check. */
enum pail_err s3_cors_options(struct pail_req *r)
{
    return s3_cors_preflight(r, r->bkt ? r->bkt->cors : NULL, r->bkt != NULL);
}
