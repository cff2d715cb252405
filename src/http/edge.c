/* http/edge.c — see edge.h. Runs on the collected header fields (lower-case
 * names, values as MHD split them), before any S3 work. */
#include "http/edge.h"

#include "core/limits.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2: a field name is a token. A blank before the colon
 * ("Name : v") arrives as part of the name and is refused here, as
 * RFC 9112 §5.1 requires. */
static bool is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (!*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p && strchr(extra, *p))))
            return false;
    return true;
}

/* RFC 9110 §5.5: field values are visible characters, blanks and obs-text;
 * CR, LF, NUL and the other controls are refused (a bare CR is what some
 * parsers take for a line end). */
static bool is_field_value(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static enum pail_err refuse(struct pail_req *r, enum pail_err e, const char *msg)
{
    r->resp.close = true;
    return pail_req_fail(r, e, "%s", msg);
}

enum pail_err pail_http_edge_check(struct pail_req *r)
{
    size_t lengths = 0, codings = 0;
    const char *te = NULL;
    /* The doorman counts the fields of a plain-HTTP head; a TLS head it
     * cannot see is counted here, once parsed. */
    if (r->nheaders > pail_limits.header_fields)
        return refuse(r, PAIL_E_RequestHeaderSectionTooLarge,
                      "Your request has more header fields than the server allows.");
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct pail_hdr *h = &r->headers[i];
        if (!is_token(h->name))
            return refuse(r, PAIL_E_BadRequest, "A header field name is not a valid token.");
        if (!is_field_value(h->value))
            return refuse(r, PAIL_E_BadRequest,
                          "A header field value holds a control character.");
        if (!strcmp(h->name, "content-length")) {
            lengths++;
            if (!all_digits(h->value))
                return refuse(r, PAIL_E_BadRequest, "Content-Length is not a number.");
        } else if (!strcmp(h->name, "transfer-encoding")) {
            codings++;
            te = h->value;
        }
    }
    /* RFC 9112 §6.3: each of these lets two parsers find different ends of
     * the body. */
    if (lengths > 1)
        return refuse(r, PAIL_E_BadRequest, "Content-Length is given more than once.");
    if (codings && lengths)
        return refuse(r, PAIL_E_BadRequest,
                      "Content-Length and Transfer-Encoding cannot both be given.");
    if (codings > 1 || (te && strcasecmp(te, "chunked") != 0)) {
        return refuse(r, PAIL_E_NotImplemented,
                      "A header you provided implies functionality that is not implemented");
    }
    return PAIL_OK;
}
