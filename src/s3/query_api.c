/* s3/query_api.c — see query_api.h. */
#include "s3/query_api.h"

#include "http/request.h"
#include "s3/handlers.h"
#include "util/xml_out.h"

#include <string.h>

#define IAM_NS "https://iam.amazonaws.com/doc/2010-05-08/"
#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

void s3_query_render_error(struct pail_req *r)
{
    struct pail_resp *rs = &r->resp;
    rs->headers = NULL;
    rs->tail = &rs->headers;
    rs->buf.len = 0;
    rs->buf.overflow = false;
    struct pail_buf *b = pail_resp_xml(r);
    rs->status = pail_err_status(r->err);
    struct pail_xml x;
    pail_xml_begin(&x, b);
    pail_xml_open_ns(&x, "ErrorResponse", strcmp(r->auth.service, "sts") == 0 ? STS_NS : IAM_NS);
    pail_xml_open(&x, "Error");
    pail_xml_elem(&x, "Type", rs->status >= 500 ? "Receiver" : "Sender");
    pail_xml_elem(&x, "Code", pail_err_code(r->err));
    pail_xml_elem(&x, "Message", r->err_msg ? r->err_msg : pail_err_message(r->err));
    pail_xml_close(&x);
    pail_xml_elem(&x, "RequestId", r->id);
    pail_xml_close(&x);
}

enum pail_err s3_query_api(struct pail_req *r)
{
    return pail_req_fail(r, PAIL_E_InvalidAction, "IAM and STS are not served yet");
}
