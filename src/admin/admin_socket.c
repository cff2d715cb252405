/* admin/admin_socket.c — see admin_socket.h. Commands are rare and short:
 * one thread serves them one at a time. */
#include "admin/admin_socket.h"

#include "admin/admin.h"
#include "core/buf.h"
#include "core/log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_REQUEST 8192
#define MAX_ARGS 32

struct pail_admin_socket {
    int fd;
    int stop[2]; /* a byte on stop[1] ends the thread */
    pthread_t thread;
    const struct pail_services *svc;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int socket_path(const char *dir, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    int n = snprintf(sa->sun_path, sizeof sa->sun_path, "%s/admin.sock", dir);
    return n > 0 && (size_t)n < sizeof sa->sun_path ? 0 : -1;
}

/* Reads one request (NUL-separated arguments ending in an empty one). */
static int read_request(int c, char *buf, size_t cap, const char **argv, int *argc)
{
    size_t len = 0;
    for (;;) {
        if (len >= 2 && buf[len - 1] == 0 && buf[len - 2] == 0)
            break;
        if (len == 1 && buf[0] == 0)
            break;
        ssize_t k = read(c, buf + len, cap - len);
        if (k <= 0 || (len += (size_t)k) == cap)
            return -1;
    }
    *argc = 0;
    for (size_t i = 0; i < len && buf[i] && *argc < MAX_ARGS; i += strlen(buf + i) + 1)
        argv[(*argc)++] = buf + i;
    return 0;
}

static void write_all(int c, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(c, p, n);
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

static void serve_one(struct pail_admin_socket *s, int c)
{
    char buf[MAX_REQUEST];
    const char *argv[MAX_ARGS];
    int argc = 0;
    struct pail_buf out;
    pail_buf_init(&out, 1u << 20);
    unsigned char rc = 2;
    if (read_request(c, buf, sizeof buf, argv, &argc) == 0)
        rc = (unsigned char)pail_admin_run(s->svc, true, argc, argv, &out);
    else
        pail_buf_puts(&out, "pail: malformed admin request\n");
    write_all(c, (const char *)&rc, 1);
    write_all(c, out.data ? out.data : "", out.len);
    pail_buf_free(&out);
}

static void *serve(void *arg)
{
    struct pail_admin_socket *s = arg;
    struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->stop[0], POLLIN, 0}};
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        serve_one(s, c);
        close(c);
    }
    return NULL;
}

struct pail_admin_socket *pail_admin_socket_start(const char *dir,
                                                  const struct pail_services *svc)
{
    struct sockaddr_un sa;
    if (socket_path(dir, &sa) != 0) {
        pail_warn("admin socket: path under %s too long; `pail admin` needs the server stopped",
                  dir);
        return NULL;
    }
    struct pail_admin_socket *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->svc = svc;
    memcpy(s->path, sa.sun_path, sizeof s->path);
    unlink(s->path); /* a stale one: we hold the directory's lock */
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(s->fd, 8) != 0 || pipe(s->stop) != 0 ||
        pthread_create(&s->thread, NULL, serve, s) != 0) {
        pail_warn("admin socket %s: %s", s->path, strerror(errno));
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return NULL;
    }
    return s;
}

void pail_admin_socket_stop(struct pail_admin_socket *s)
{
    if (!s)
        return;
    write_all(s->stop[1], "x", 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    close(s->stop[0]);
    close(s->stop[1]);
    unlink(s->path);
    free(s);
}

int pail_admin_socket_call(const char *dir, int argc, const char *const *argv,
                           struct pail_buf *out)
{
    struct sockaddr_un sa;
    if (socket_path(dir, &sa) != 0)
        return -1;
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0)
        return -1;
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(c);
        return -1;
    }
    for (int i = 0; i < argc; i++)
        write_all(c, argv[i], strlen(argv[i]) + 1);
    write_all(c, "", 1);
    unsigned char rc = 1;
    if (read(c, &rc, 1) != 1) {
        close(c);
        pail_buf_puts(out, "pail: the server closed the admin socket\n");
        return 1;
    }
    char buf[4096];
    ssize_t k;
    while ((k = read(c, buf, sizeof buf)) > 0)
        pail_buf_append(out, buf, (size_t)k);
    close(c);
    return rc;
}
