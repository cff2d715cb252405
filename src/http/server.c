/* http/server.c — libmicrohttpd glue, written once. Connections come from
 * the doorman (http/doorman.h) with a whole, checked head unread; then:
 *   on_connection() opened: a watchdog record (http/watchdog.h); closed:
 *                the record goes, the doorman counts one connection less
 *   uri_log()    request starts: arena, id, raw request-target; the head
 *                must end within --header-timeout
 *   on_request() 1st call: headers → s3/pipeline.c's begin (route,
 *                authenticate, load the bucket, authorize, begin); from now
 *                on MHD's inactivity timeout (--read-timeout) alone
 *                body calls: feed the op's body pipeline
 *                last call: the pipeline's run → respond
 *   on_done()    access-log line, arena freed (closes fds, aborts writers) —
 *                or, while MHD still holds a body in arena memory, when
 *                MHD frees that response; the next request line must
 *                arrive within --idle-timeout
 * Nothing here knows S3: the pipeline does. After a failure mid-body the
 * rest of the body is drained and the error sent at the end, because MHD
 * cannot queue a response while a body is arriving. */
#include "http/server.h"

#include "core/limits.h"
#include "core/log.h"
#include "http/body.h"
#include "http/doorman.h"
#include "http/edge.h"
#include "http/head_guard.h"
#include "http/request.h"
#include "http/tls.h"
#include "http/watchdog.h"
#include "s3/pipeline.h"
#include "util/encode.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static atomic_int in_flight;
static atomic_uint req_counter;

int pail_server_in_flight(void)
{
    return atomic_load(&in_flight);
}

/* The running server's doorman, for pail_server_connections (one server per
 * process; set while it runs). */
static struct pail_doorman *_Atomic running_doorman;

unsigned pail_server_connections(void)
{
    return pail_doorman_open(atomic_load(&running_doorman));
}

/* ---- deadlines --------------------------------------------------------- */

/* The connection's watchdog record (NULL when it could not be made). */
static struct pail_conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static int64_t after_s(unsigned seconds)
{
    return pail_watchdog_now_ms() + (int64_t)seconds * 1000;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct pail_server *srv = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *di = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
        if (ci)
            pail_head_guard_open(ci->connect_fd, c, di && di->daemon == srv->tls_daemon);
        *socket_context = ci ? pail_watchdog_add(srv->watchdog, ci->connect_fd,
                                                 after_s(srv->limits.header_timeout_s))
                             : NULL;
        return;
    }
    if (ci)
        pail_head_guard_close(ci->connect_fd, c);
    pail_watchdog_remove(srv->watchdog, *socket_context);
    *socket_context = NULL;
    pail_doorman_closed(srv->doorman);
}

/* MHD has one inactivity timeout per daemon, --idle-timeout; a request's
 * body and response run under --read-timeout instead when that differs
 * (set per connection, which takes a daemon-wide mutex: by default the two
 * are equal and nothing is called). */
static void mhd_timeout(const struct pail_server *srv, struct MHD_Connection *c, unsigned s)
{
    if (srv->limits.read_timeout_s != srv->limits.idle_timeout_s)
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, s);
}

/* ---- request start ---------------------------------------------------- */

/* "<start time, 8 hex><counter, 8 hex>": unique per process and sortable. */
static void request_id(char out[17], uint32_t t, uint32_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; i++) {
        out[7 - i] = hex[(t >> (4 * i)) & 15];
        out[15 - i] = hex[(n >> (4 * i)) & 15];
    }
    out[16] = 0;
}

static struct pail_req *new_request(struct pail_server *srv, const char *uri)
{
    struct pail_arena *a = pail_arena_new();
    if (!a)
        return NULL;
    struct pail_req *r = pail_arena_alloc(a, sizeof(*r));
    r->arena = a;
    r->svc = &srv->svc;
    r->resp.fd = -1;
    atomic_init(&r->holds, 1);
    r->raw_target = pail_arena_strdup(a, uri ? uri : "/");
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    r->now = time(NULL);
    request_id(r->id, (uint32_t)r->now, atomic_fetch_add(&req_counter, 1));
    pail_buf_init(&r->resp.buf, SIZE_MAX / 2);
    pail_buf_in_arena(&r->resp.buf, a);
    atomic_fetch_add(&in_flight, 1);
    return r;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    const struct pail_server *srv = cls;
    pail_conn_deadline(conn_of(c), after_s(srv->limits.header_timeout_s));
    return new_request(cls, uri);
}

static void *uri_log_website(void *cls, const char *uri, struct MHD_Connection *c)
{
    const struct pail_server *srv = cls;
    pail_conn_deadline(conn_of(c), after_s(srv->limits.header_timeout_s));
    struct pail_req *r = new_request(cls, uri);
    if (r)
        r->website_port = true;
    return r;
}

static void *uri_log_admin(void *cls, const char *uri, struct MHD_Connection *c)
{
    const struct pail_server *srv = cls;
    pail_conn_deadline(conn_of(c), after_s(srv->limits.header_timeout_s));
    struct pail_req *r = new_request(cls, uri);
    if (r)
        r->admin_port = true;
    return r;
}

struct hdr_collect {
    struct pail_req *r;
    size_t n;
};

static enum MHD_Result count_hdr(void *cls, enum MHD_ValueKind k, const char *name,
                                 const char *value)
{
    (void)k, (void)name, (void)value;
    ((struct hdr_collect *)cls)->n++;
    return MHD_YES;
}

static enum MHD_Result copy_hdr(void *cls, enum MHD_ValueKind k, const char *name,
                                const char *value)
{
    (void)k;
    struct hdr_collect *hc = cls;
    struct pail_hdr *h = &hc->r->headers[hc->r->nheaders++];
    char *lname = pail_arena_strdup(hc->r->arena, name);
    pail_ascii_lower(lname);
    h->name = lname;
    h->value = pail_arena_strdup(hc->r->arena, value ? value : "");
    return MHD_YES;
}

static void collect_headers(struct pail_req *r, struct MHD_Connection *c)
{
    struct hdr_collect hc = {r, 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_hdr, &hc);
    r->headers = pail_arena_alloc(r->arena, (hc.n + 1) * sizeof(*r->headers));
    MHD_get_connection_values(c, MHD_HEADER_KIND, copy_hdr, &hc);
    const char *cl = pail_req_header(r, "content-length");
    if (cl) {
        char *end;
        r->length = strtoull(cl, &end, 10);
        r->has_length = *cl && !*end;
    }
}

/* A request-target in absolute form, "http://HOST:PORT/path?query", is what
 * a client configured with an HTTP proxy sends (s3cmd's proxy_host, HTTP_PROXY
 * pointing at pail itself, or a proxy that passes the line through). RFC 9112
 * section 3.2.2: a server MUST accept it, and uses its authority instead of
 * the Host header. Both become what the origin form would have carried — the
 * path and query verbatim, the authority as Host — so virtual hosting and the
 * SigV4/SigV2 checks (which sign Host and path) see the request as signed.
 * Called after collect_headers: the headers array has a spare slot. */
static void absolute_form(struct pail_req *r)
{
    const char *t = r->raw_target;
    size_t sn = strncasecmp(t, "http://", 7) == 0 ? 7 : strncasecmp(t, "https://", 8) == 0 ? 8 : 0;
    size_t an = sn ? strcspn(t + sn, "/?#") : 0;
    if (!an)
        return; /* origin form, or no authority: InvalidURI later */
    const char *authority = pail_arena_strndup(r->arena, t + sn, an);
    const char *rest = t + sn + an;
    r->raw_target = *rest == '/' ? rest : pail_arena_printf(r->arena, "/%s", rest);
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, "host") == 0) {
            r->headers[i].value = authority;
            return;
        }
    r->headers[r->nheaders++] = (struct pail_hdr){.name = "host", .value = authority};
}

/* The peer's address, for aws:SourceIp (IPv4-mapped IPv6 as IPv4). */
static void client_ip(struct pail_req *r, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client_ip,
                  sizeof r->client_ip);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6))
            inet_ntop(AF_INET, &a6->s6_addr[12], r->client_ip, sizeof r->client_ip);
        else
            inet_ntop(AF_INET6, a6, r->client_ip, sizeof r->client_ip);
    }
}

/* On --tls-listen: the session's protocol and cipher (aws:SecureTransport). */
static void tls_info(struct pail_req *r, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci && ci->tls_session)
        pail_tls_describe(ci->tls_session, &r->tls_protocol, &r->tls_cipher);
}

/* What the head guard saw of this request's bytes (http/head_guard.h): the
 * doorman's rules, on a head MHD read itself. */
static enum pail_err head_guard(struct pail_req *r, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    enum pail_guard g = ci ? pail_head_guard_verdict(ci->connect_fd, c) : PAIL_GUARD_OK;
    if (g == PAIL_GUARD_LAST)
        r->resp.close = true; /* what follows its body is not followed */
    if (g != PAIL_GUARD_BAD)
        return PAIL_OK;
    r->resp.close = true;
    return pail_req_fail(r, PAIL_E_BadRequest,
                         "The request head breaks HTTP/1.1 (RFC 9112): obsolete line folding, "
                         "a NUL or control character, a bare CR, or a malformed request line.");
}

/* Everything that happens before the first body byte. */
static enum pail_err start(struct pail_req *r, struct MHD_Connection *c, const char *method,
                           const char *version)
{
    r->method = pail_arena_strdup(r->arena, method);
    r->version = pail_arena_strdup(r->arena, version ? version : "HTTP/1.1");
    collect_headers(r, c);
    absolute_form(r);
    client_ip(r, c);
    tls_info(r, c);
    if (head_guard(r, c) != PAIL_OK || pail_http_edge_check(r) != PAIL_OK)
        return r->err;
    return pail_pipeline_begin(r);
}

/* ---- responding ------------------------------------------------------- */

/* Drops one hold on r (see struct pail_req.holds); the last frees it all. */
static void release(void *cls)
{
    struct pail_req *r = cls;
    if (atomic_fetch_sub(&r->holds, 1) == 1)
        pail_arena_free(r->arena);
}

/* The body of a PAIL_RESP_SIZE response: MHD sends only the headers of a
 * 304 (and of a HEAD), so this is never asked for; were it, the connection
 * is closed rather than sending bytes the client does not expect. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls, (void)pos, (void)buf, (void)max;
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* A file body over TLS, where sendfile cannot help: MHD's own fd reader
 * moves 4 KiB per pread, per TLS record and per send (four system calls
 * each), which held a 64 MiB GET to a fifth of plain HTTP's rate; this one
 * reads TLS_BLOCK at a time, which GnuTLS sends as full 16 KiB records. */
#define TLS_BLOCK (64 * 1024)

struct file_body {
    int fd;
    uint64_t off;
};

static ssize_t read_file_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct file_body *f = cls;
    ssize_t n = pread(f->fd, buf, max, (off_t)(f->off + pos));
    return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR; /* short file: cut, not padded */
}

static void free_file_body(void *cls)
{
    struct file_body *f = cls;
    close(f->fd);
    free(f);
}

/* The response for a file body: sendfile on plain HTTP, large reads on TLS.
 * On success the response owns rs->fd (set to -1). */
static struct MHD_Response *file_response(struct pail_req *r)
{
    struct pail_resp *rs = &r->resp;
    struct MHD_Response *mr;
    if (!r->tls_protocol) {
        mr = MHD_create_response_from_fd_at_offset64(rs->len, rs->fd, rs->off);
    } else {
        struct file_body *f = malloc(sizeof *f);
        if (!f)
            return NULL;
        *f = (struct file_body){.fd = rs->fd, .off = rs->off};
        mr = MHD_create_response_from_callback(rs->len, TLS_BLOCK, read_file_body, f,
                                               free_file_body);
        if (!mr)
            free(f);
    }
    if (mr)
        rs->fd = -1;
    return mr;
}

static struct MHD_Response *make_response(struct pail_req *r)
{
    struct pail_resp *rs = &r->resp;
    struct MHD_Response *mr = NULL;
    if (rs->kind == PAIL_RESP_FD) {
        mr = rs->len ? file_response(r)
                     : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        r->bytes_out = rs->len;
    } else if (rs->kind == PAIL_RESP_MEM && rs->len) {
        /* Not copied: the response holds the arena until MHD frees it. */
        atomic_fetch_add(&r->holds, 1);
        mr = MHD_create_response_from_buffer_with_free_callback_cls(
            (size_t)rs->len, (void *)rs->mem, release, r);
        if (!mr)
            atomic_fetch_sub(&r->holds, 1); /* on_done's hold remains */
        r->bytes_out = rs->len;
    } else if (rs->kind == PAIL_RESP_SIZE && rs->len) {
        mr = MHD_create_response_from_callback(rs->len, 4096, no_body, NULL, NULL);
    } else if (rs->kind == PAIL_RESP_BUF && rs->buf.len) {
        mr = MHD_create_response_from_buffer(rs->buf.len, rs->buf.data, MHD_RESPMEM_MUST_FREE);
        if (mr)
            rs->buf.data = NULL, rs->buf.cap_alloc = 0; /* MHD frees it */
        r->bytes_out = rs->buf.len;
    } else {
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    return mr;
}

static uint64_t micros_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long us = (long long)(now.tv_sec - t->tv_sec) * 1000000 +
                   (now.tv_nsec - t->tv_nsec) / 1000;
    return us < 0 ? 0 : (uint64_t)us;
}

static enum MHD_Result respond(struct MHD_Connection *c, struct pail_req *r)
{
    if (!r->received.tv_sec && !r->received.tv_nsec) /* answered before the body */
        clock_gettime(CLOCK_MONOTONIC, &r->received);
    pail_pipeline_finish(r);
    r->turnaround_us = micros_since(&r->received);
    if (!r->resp.status)
        r->resp.status = 200;
    struct MHD_Response *mr = make_response(r);
    if (!mr)
        return MHD_NO;
    MHD_add_response_header(mr, "Server", "pail");
    MHD_add_response_header(mr, "x-amz-request-id", r->id);
    MHD_add_response_header(mr, "x-amz-id-2", r->id);
    /* MHD refuses empty values; S3 sends empty x-amz-meta-* values, and a
     * lone space is the same field value once the client trims it. */
    for (struct pail_resp_hdr *h = r->resp.headers; h; h = h->next)
        MHD_add_response_header(mr, h->name, *h->value ? h->value : " ");
    if (r->resp.close)
        MHD_add_response_header(mr, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->resp.status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)url;
    struct pail_req *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (!r->method) {
        const struct pail_server *srv = cls;
        pail_conn_deadline(conn_of(c), 0); /* the head is in */
        mhd_timeout(srv, c, srv->limits.read_timeout_s);
        if (start(r, c, method, version) != PAIL_OK)
            return respond(c, r); /* MHD closes: the body was never read */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (r->err == PAIL_OK && r->body)
            pail_body_feed(r, upload_data, *upload_data_size);
        else
            r->bytes_in += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->received); /* turn-around time starts here */
    pail_pipeline_run(r);
    return respond(c, r);
}

/* ---- request end ------------------------------------------------------ */

/* ---- access log ------------------------------------------------------- */

struct line {
    char b[1536];
    size_t n;
};

static void put_n(struct line *l, const char *s, size_t k)
{
    if (k > sizeof l->b - l->n)
        k = sizeof l->b - l->n;
    memcpy(l->b + l->n, s, k);
    l->n += k;
}

static void put_str(struct line *l, const char *s)
{
    put_n(l, s, strlen(s));
}

static void put_u64(struct line *l, unsigned long long v)
{
    char d[24];
    size_t i = sizeof d;
    d[--i] = 0;
    do
        d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    put_str(l, d + i);
}

/* The request-target with credential values blanked out (util/encode.h). */
static void put_target(struct line *l, const char *t)
{
    l->n += pail_redact_target(t, l->b + l->n, sizeof l->b - l->n);
}

static void put_json(struct line *l, const char *name, const char *s)
{
    if (!s)
        return;
    put_str(l, l->n ? ",\"" : "\"");
    put_str(l, name);
    put_str(l, "\":\"");
    size_t room = sizeof l->b - l->n;
    room = room > 2 ? room - 2 : 0; /* the closing quote, and a brace after */
    l->n += pail_log_json_str(l->b + l->n, room, s, strlen(s));
    put_str(l, "\"");
}

static void put_json_u64(struct line *l, const char *name, unsigned long long v)
{
    put_str(l, ",\"");
    put_str(l, name);
    put_str(l, "\":");
    put_u64(l, v);
}

/* The same facts as the text line, as JSON members (core/log.h wraps them
 * with the time and level), plus who asked and from where. The target
 * (credentials blanked) is escaped last: it is the only long field, so a
 * line cut at the buffer's end still parses. */
static void access_json(const struct pail_req *r, bool completed, unsigned long long tenths)
{
    struct line l = {.n = 0};
    put_json(&l, "request_id", r->id);
    put_json(&l, "remote_ip", r->client_ip[0] ? r->client_ip : NULL);
    put_json(&l, "method", r->method ? r->method : "-");
    put_json(&l, "operation", r->op_name ? r->op_name : "-");
    put_json(&l, "bucket", r->bucket);
    put_json_u64(&l, "status", (unsigned long long)(r->resp.status < 0 ? 0 : r->resp.status));
    put_json(&l, "error", r->err != PAIL_OK ? pail_err_code(r->err) : NULL);
    put_json(&l, "denied_by", r->deny_reason);
    put_json(&l, "principal", r->auth.principal.arn);
    put_json_u64(&l, "bytes_in", (unsigned long long)r->bytes_in);
    put_json_u64(&l, "bytes_out", (unsigned long long)r->bytes_out);
    put_str(&l, ",\"ms\":");
    put_u64(&l, tenths / 10);
    put_str(&l, ".");
    put_u64(&l, tenths % 10);
    put_str(&l, completed ? ",\"completed\":true" : ",\"completed\":false");
    struct line t = {.n = 0};
    if (r->virtual_host) {
        put_str(&t, "//");
        put_str(&t, r->bucket);
    }
    put_target(&t, r->raw_target);
    t.b[t.n < sizeof t.b ? t.n : sizeof t.b - 1] = 0;
    put_json(&l, "target", t.b);
    pail_log_access(l.b, l.n);
}

/* "<id> <method> <target> <op> <status> <in> <out> <ms>ms[ aborted]", one
 * line per request, built without printf (a visible share of a 4 KiB GET). */
static void access_log(const struct pail_req *r, bool completed, uint64_t us)
{
    unsigned long long tenths = (unsigned long long)(us + 50) / 100;
    if (pail_log_json()) {
        access_json(r, completed, tenths);
        return;
    }
    struct line l = {.n = 0};
    put_str(&l, r->id);
    put_str(&l, " ");
    put_str(&l, r->method ? r->method : "-");
    put_str(&l, " ");
    if (r->virtual_host) { /* the bucket was in the Host: logged as //bucket/... */
        put_str(&l, "//");
        put_str(&l, r->bucket);
    }
    put_target(&l, r->raw_target);
    put_str(&l, " ");
    put_str(&l, r->op_name ? r->op_name : "-");
    put_str(&l, " ");
    put_u64(&l, (unsigned long long)(r->resp.status < 0 ? 0 : r->resp.status));
    put_str(&l, " ");
    put_u64(&l, (unsigned long long)r->bytes_in);
    put_str(&l, " ");
    put_u64(&l, (unsigned long long)r->bytes_out);
    put_str(&l, " ");
    put_u64(&l, tenths / 10);
    put_str(&l, ".");
    put_u64(&l, tenths % 10);
    put_str(&l, completed ? "ms" : "ms aborted");
    if (r->deny_reason) { /* which permission system refused it */
        put_str(&l, " denied-by=");
        put_str(&l, r->deny_reason);
    }
    pail_log_access(l.b, l.n);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    const struct pail_server *srv = cls;
    pail_conn_deadline(conn_of(c), after_s(srv->limits.idle_timeout_s));
    mhd_timeout(srv, c, srv->limits.idle_timeout_s);
    struct pail_req *r = *con_cls;
    if (!r)
        return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long us = (long long)(end.tv_sec - r->start.tv_sec) * 1000000 +
                   (end.tv_nsec - r->start.tv_nsec) / 1000;
    access_log(r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK, us < 0 ? 0 : (uint64_t)us);
    pail_pipeline_done(r, us < 0 ? 0 : (uint64_t)us);
    *con_cls = NULL;
    atomic_fetch_sub(&in_flight, 1);
    release(r);
}

/* ---- lifecycle -------------------------------------------------------- */

typedef void *(*uri_log_fn)(void *cls, const char *uri, struct MHD_Connection *c);

/* A daemon without a listening socket: the doorman hands it connections.
 * tls: it speaks TLS first, with http/tls.h's certificate, asked for at each
 * handshake so that a reload needs no new daemon. */
static struct MHD_Daemon *start_daemon(struct pail_server *srv, uri_log_fn on_uri, bool tls)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET |
                     (tls ? MHD_USE_TLS : 0);
    /* Connection memory: request line and headers must fit (S3 allows 8 KiB
     * of headers; the doorman lets at most --max-header-bytes through, 16 KiB
     * by default, half of it). Not more: MHD zeroes the whole pool after every
     * request, which at 128 KiB was 10% of the CPU of a 4 KiB GET; uploads
     * then come in smaller pieces, which costs far less. MHD's own connection
     * limit stays above pail's: the doorman counts a connection free a moment
     * before MHD does. */
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, srv->limits.idle_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, srv->limits.max_connections + 64,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1, /* HTTP/1.1 without Host: 400 (RFC 9112 §3.2) */
        tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, pail_tls_cert_callback(),
        MHD_OPTION_END);
    if (!d)
        pail_error("cannot start the HTTP daemon");
    return d;
}

/* Stops and frees whatever pail_server_start made, in the order that keeps
 * every callback's target alive: no new connections, then MHD (its
 * CLOSED notifications reach the doorman and the watchdog), then those. */
static void teardown(struct pail_server *srv)
{
    if (srv->doorman)
        pail_doorman_stop(srv->doorman);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    if (srv->website_daemon)
        MHD_stop_daemon(srv->website_daemon);
    if (srv->admin_daemon)
        MHD_stop_daemon(srv->admin_daemon);
    if (srv->tls_daemon)
        MHD_stop_daemon(srv->tls_daemon);
    pail_doorman_free(srv->doorman);
    pail_watchdog_stop(srv->watchdog);
    srv->daemon = srv->website_daemon = srv->admin_daemon = srv->tls_daemon = NULL;
    srv->doorman = NULL;
    srv->watchdog = NULL;
}

static enum pail_err open_listener(struct pail_server *srv, const char *addr, void **daemon,
                                   uri_log_fn on_uri, bool tls)
{
    *daemon = start_daemon(srv, on_uri, tls);
    if (!*daemon)
        return PAIL_E_InternalError;
    return pail_doorman_listen(srv->doorman, addr, *daemon, tls);
}

enum pail_err pail_server_start(struct pail_server *srv)
{
    const struct pail_http_limits *l = &srv->limits;
    struct pail_doorman_config dc = {.max_connections = l->max_connections,
                                     .max_header_bytes = l->max_header_bytes,
                                     .max_header_fields = pail_limits.header_fields,
                                     .header_timeout_ms = l->header_timeout_s * 1000};
    if (pail_head_guard_init() != 0)
        pail_warn("cannot map the head guard's table: keep-alive and TLS heads go unchecked");
    srv->watchdog = pail_watchdog_start();
    srv->doorman = srv->watchdog ? pail_doorman_new(&dc) : NULL;
    if (srv->doorman && open_listener(srv, srv->listen, &srv->daemon, uri_log, false) == PAIL_OK &&
        (!srv->website_listen || open_listener(srv, srv->website_listen, &srv->website_daemon,
                                               uri_log_website, false) == PAIL_OK) &&
        (!srv->admin_listen || open_listener(srv, srv->admin_listen, &srv->admin_daemon,
                                             uri_log_admin, false) == PAIL_OK) &&
        (!srv->tls_listen ||
         open_listener(srv, srv->tls_listen, &srv->tls_daemon, uri_log, true) == PAIL_OK) &&
        pail_doorman_start(srv->doorman) == PAIL_OK) {
        atomic_store(&running_doorman, srv->doorman);
        return PAIL_OK;
    }
    teardown(srv);
    return PAIL_E_InternalError;
}

void pail_server_stop(struct pail_server *srv)
{
    if (!srv->daemon)
        return;
    pail_doorman_stop(srv->doorman); /* stop accepting; finish what is in flight */
    atomic_store(&running_doorman, NULL);
    for (int i = 0; i < 600 && atomic_load(&in_flight) > 0; i++)
        usleep(100 * 1000);
    teardown(srv);
}
