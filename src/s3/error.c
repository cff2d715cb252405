/* s3/error.c — see error.h. */
#include "s3/error.h"

#include "http/request.h"
#include "util/xml_out.h"

#include <unistd.h>

bool pail_s3_reset_response(struct pail_req *r)
{
    struct pail_resp *rs = &r->resp;
    if (rs->kind == PAIL_RESP_FD && rs->fd >= 0) {
        close(rs->fd);
        rs->fd = -1;
    }
    rs->status = pail_err_status(r->err);
    rs->buf.len = 0;
    rs->buf.overflow = false;
    if (rs->status == 304) { /* S3 sends 304 with no body */
        /* ... and a Content-Length, when there is one, must be the 200's
         * (RFC 9110 8.6): s3_get_object left the object's size in len. A
         * "Content-Length: 0" would tell caches the representation is empty. */
        rs->kind = PAIL_RESP_SIZE;
        return false;
    }
    /* Handler headers describe a success; only a 416 keeps its Content-Range. */
    if (rs->status != 416) {
        rs->headers = NULL;
        rs->tail = &rs->headers;
    }
    return true;
}

void pail_s3_render_error(struct pail_req *r)
{
    if (!pail_s3_reset_response(r))
        return;
    struct pail_resp *rs = &r->resp;
    struct pail_buf *b = pail_resp_xml(r);
    rs->status = pail_err_status(r->err);
    struct pail_xml x;
    pail_xml_begin(&x, b);
    pail_xml_open(&x, "Error");
    pail_xml_elem(&x, "Code", pail_err_code(r->err));
    pail_xml_elem(&x, "Message", r->err_msg ? r->err_msg : pail_err_message(r->err));
    if (r->key)
        pail_xml_elem(&x, "Key", r->key);
    if (r->bucket)
        pail_xml_elem(&x, "BucketName", r->bucket);
    pail_xml_elem(&x, "Resource", r->raw_path ? r->raw_path : "/");
    pail_xml_elem(&x, "RequestId", r->id);
    pail_xml_elem(&x, "HostId", r->id);
    pail_xml_close(&x);
}
