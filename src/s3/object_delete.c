/* s3/object_delete.c — DeleteObject and DeleteObjects. The metadata row goes
 * first (one transaction), the blob after: a crash in between leaves an
 * orphan for the start-up sweep, never a row without data. */
#include "http/body.h"
#include "http/request.h"
#include "s3/services.h"
#include "s3/authz.h"
#include "s3/common.h"
#include "s3/handlers.h"
#include "util/xml_in.h"
#include "util/xml_out.h"

#include <string.h>

enum pail_err s3_delete_object(struct pail_req *r)
{
    struct pail_garbage g = {0};
    enum pail_err e = pail_meta_object_delete(r->svc->meta, r->bucket, r->key, r->arena, &g);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    s3_drop_garbage(r, &g);
    r->resp.status = 204;
    return PAIL_OK;
}

static void write_result(struct pail_xml *x, const char *key, enum pail_err e, bool quiet)
{
    if (e == PAIL_OK && quiet)
        return;
    pail_xml_open(x, e == PAIL_OK ? "Deleted" : "Error");
    pail_xml_elem(x, "Key", key);
    if (e != PAIL_OK) {
        pail_xml_elem(x, "Code", pail_err_code(e));
        pail_xml_elem(x, "Message", pail_err_message(e));
    }
    pail_xml_close(x);
}

enum pail_err s3_delete_objects(struct pail_req *r)
{
    size_t len;
    const char *body = pail_body_data(r, &len);
    struct pail_delete_req d;
    enum pail_err e = pail_xml_parse_delete(body, len, r->arena, &d);
    if (e != PAIL_OK)
        return pail_req_fail(r, e, NULL);
    /* One metadata transaction for the whole batch; over-long keys and keys
     * the caller may not delete (decided one by one, as AWS does) are
     * answered individually and never reach it. */
    const char **keys = pail_arena_alloc(r->arena, (d.n + 1) * sizeof(*keys));
    enum pail_err *verdict = pail_arena_alloc(r->arena, (d.n + 1) * sizeof(*verdict));
    size_t nkeys = 0;
    for (size_t i = 0; i < d.n; i++) {
        const char *key = d.objects[i].key;
        verdict[i] = strlen(key) > 1024 ? PAIL_E_KeyTooLongError
                     : s3_authorize_action(r, "s3:DeleteObject", r->bkt, key, NULL, false);
        if (verdict[i] == PAIL_OK)
            keys[nkeys++] = key;
    }
    struct pail_garbage g = {0};
    enum pail_err batch = pail_meta_object_delete_many(r->svc->meta, r->bucket, keys, nkeys,
                                                       r->arena, &g);
    if (batch == PAIL_OK)
        s3_drop_garbage(r, &g);
    const char **all = pail_arena_alloc(r->arena, (d.n + 1) * sizeof(*all));
    struct pail_xml x;
    s3_xml_start(r, &x, "DeleteResult");
    for (size_t i = 0; i < d.n; i++) {
        if (verdict[i] == PAIL_OK)
            verdict[i] = batch;
        all[i] = d.objects[i].key;
        write_result(&x, d.objects[i].key, verdict[i], d.quiet);
    }
    r->batch_keys = all; /* a BATCH.DELETE.OBJECT record each (s3/access_record.c) */
    r->batch_errs = verdict;
    r->nbatch = d.n;
    pail_xml_close(&x);
    return PAIL_OK;
}
