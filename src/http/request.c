/* http/request.c — accessors and response builders for struct pail_req.
 * Pure bookkeeping over the arena; no MHD, no I/O. */
#include "http/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *pail_req_header(const struct pail_req *r, const char *lname)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, lname) == 0)
            return r->headers[i].value;
    return NULL;
}

const char *pail_req_scheme(const struct pail_req *r)
{
    return r->tls_protocol ? "https" : "http";
}

const char *pail_req_query(const struct pail_req *r, const char *name)
{
    for (size_t i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].name, name) == 0)
            return r->query[i].value ? r->query[i].value : "";
    return NULL;
}

bool pail_req_has_query(const struct pail_req *r, const char *name)
{
    return pail_req_query(r, name) != NULL;
}

enum pail_err pail_req_fail(struct pail_req *r, enum pail_err e, const char *fmt, ...)
{
    if (r->err != PAIL_OK || e == PAIL_OK)
        return r->err != PAIL_OK ? r->err : e;
    r->err = e;
    if (fmt) {
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        r->err_msg = pail_arena_strdup(r->arena, msg);
    }
    return e;
}

void pail_resp_header(struct pail_req *r, const char *name, const char *value)
{
    struct pail_resp_hdr *h = pail_arena_alloc(r->arena, sizeof(*h));
    h->name = pail_arena_strdup(r->arena, name);
    h->value = pail_arena_strdup(r->arena, value);
    if (!r->resp.tail)
        r->resp.tail = &r->resp.headers;
    *r->resp.tail = h;
    r->resp.tail = &h->next;
}

void pail_resp_headerf(struct pail_req *r, const char *name, const char *fmt, ...)
{
    char v[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    pail_resp_header(r, name, v);
}

struct pail_buf *pail_resp_xml(struct pail_req *r)
{
    if (!r->resp.status)
        r->resp.status = 200;
    r->resp.kind = PAIL_RESP_BUF;
    pail_resp_header(r, "Content-Type", "application/xml");
    return &r->resp.buf;
}

static void close_fd(void *arg)
{
    struct pail_resp *resp = arg;
    if (resp->fd >= 0)
        close(resp->fd);
    resp->fd = -1;
}

void pail_resp_mem(struct pail_req *r, const void *p, size_t len)
{
    if (!r->resp.status)
        r->resp.status = 200;
    r->resp.kind = PAIL_RESP_MEM;
    r->resp.mem = p;
    r->resp.len = len;
}

void pail_resp_fd(struct pail_req *r, int fd, uint64_t off, uint64_t len)
{
    if (!r->resp.status)
        r->resp.status = 200;
    r->resp.kind = PAIL_RESP_FD;
    r->resp.fd = fd;
    r->resp.off = off;
    r->resp.len = len;
    /* Until the server hands the fd to MHD (which then owns it), the arena
     * closes it, so every error path after this call is leak-free. */
    pail_arena_cleanup(r->arena, close_fd, &r->resp);
}
