/* s3/pail_paths.c — pail's own paths, for monitoring:
 *   /_pail/health/live    200 while the process answers at all
 *   /_pail/health/ready   200 when the metadata store takes a write and the
 *                         data directory's filesystem has room beyond its
 *                         reserve (util/fs_space.h); 503 ServiceUnavailable
 *                         saying which failed, so a load balancer stops
 *                         sending writes to a node that cannot keep them
 *   /_pail/metrics        Prometheus text (s3/metrics.h), to loopback clients
 *                         only on the S3 ports: it names every bucket and its
 *                         size, which S3 shows no stranger; to anyone who
 *                         reaches --admin-listen, an address the operator
 *                         chose for monitoring
 * Health answers anyone: it tells nothing but up or not. */
#include "http/request.h"
#include "s3/handlers.h"
#include "s3/metrics.h"
#include "s3/services.h"
#include "store/meta.h"
#include "util/fs_space.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static enum pail_err text(struct pail_req *r, const char *body)
{
    r->resp.kind = PAIL_RESP_BUF;
    pail_resp_header(r, "Content-Type", "text/plain; charset=utf-8");
    pail_resp_header(r, "Cache-Control", "no-store");
    pail_buf_puts(&r->resp.buf, body);
    return PAIL_OK;
}

/* 127.0.0.0/8 and ::1: the machine itself (r->client_ip shows IPv4-mapped
 * addresses as IPv4). */
static bool loopback(const char *ip)
{
    struct in_addr a4;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return strcmp(ip, "::1") == 0;
}

static enum pail_err ready(struct pail_req *r)
{
    /* A transaction that writes nothing still takes the writer lock and
     * commits: it fails as a real write would (read-only or broken
     * database, a writer stuck). */
    if (pail_meta_iam_write(r->svc->meta, NULL, 0) != PAIL_OK)
        return pail_req_fail(r, PAIL_E_ServiceUnavailable,
                             "not ready: the metadata store does not take writes");
    int fd = r->svc->data_dir ? open(r->svc->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    bool room = fd < 0 || pail_fs_room(fd, 0);
    if (fd >= 0)
        close(fd);
    if (!room)
        return pail_req_fail(r, PAIL_E_ServiceUnavailable,
                             "not ready: the data directory's filesystem is full");
    return text(r, "ready\n");
}

enum pail_err s3_pail_paths(struct pail_req *r)
{
    const char *path = r->key ? r->key : "";
    if (!strcmp(path, "health/live"))
        return text(r, "live\n");
    if (!strcmp(path, "health/ready"))
        return ready(r);
    if (!strcmp(path, "metrics")) {
        if (!r->admin_port && !loopback(r->client_ip))
            return pail_req_fail(r, PAIL_E_AccessDenied,
                                 "Metrics are served to clients on this machine only");
        r->resp.kind = PAIL_RESP_BUF;
        pail_resp_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        pail_resp_header(r, "Cache-Control", "no-store");
        s3_metrics_render(r, &r->resp.buf);
        return PAIL_OK;
    }
    return pail_req_fail(r, PAIL_E_NoSuchKey, "pail serves /_pail/metrics, "
                                              "/_pail/health/live and /_pail/health/ready");
}
