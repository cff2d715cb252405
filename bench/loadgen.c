/* bench/loadgen.c — a small closed-loop HTTP/1.1 load generator for the cells
 * wrk does not fit: large bodies (1 MiB, 64 MiB: wrk reads responses 8 KiB at
 * a time and would hold a whole 64 MiB request as one Lua string per PUT),
 * requests that each carry their own body (DeleteObjects), "send each request
 * exactly once" (populating a bucket, multipart parts) and per-request ETags.
 *
 *   loadgen [-c CONNS] [-d SECONDS] [-b BODY] [-1] [-E FILE] [-T CAFILE] HOST PORT REQFILE
 *
 * REQFILE holds pre-signed requests as records "<length>\n<bytes>": the
 * bytes are a complete request head ("...\r\n\r\n") followed, unless -b is
 * given, by its body. With -b N every request is followed by N synthesized
 * bytes (the head must carry Content-Length: N). Requests are taken in order
 * by all connections and cycled; with -1 each is sent once. The run stops
 * starting requests after -d seconds (in-flight ones finish). -E FILE writes
 * "index status etag" per request. One JSON line goes to stdout:
 *   {"requests":..,"seconds":..,"ops":..,"bytes_in":..,"bytes_out":..,
 *    "p50_ms":..,"p99_ms":..,"max_ms":..,"non2xx":..,"socket_errors":..}
 * Each connection is one thread doing blocking I/O with 1 MiB buffers.
 * -T CAFILE speaks TLS (OpenSSL), the server's chain verified against
 * CAFILE (its name is not checked: HOST is an address); the handshake is
 * once per connection, as for any keep-alive client. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ (1 << 20)

struct req {
    const char *p;  /* head (+ body when no -b) */
    size_t len;
    int head_only;  /* HEAD: the response has no body */
};

static struct req *reqs;
static size_t nreqs;
static size_t body_len; /* -b */
static int synth_body, once;
static char *pattern;   /* BUFSZ bytes of synthesized body */
static struct sockaddr_in addr;
static double deadline, t_start;
static atomic_size_t next_req;
static atomic_ullong bytes_in, bytes_out, non2xx, sock_errs;
static FILE *etag_out;
static SSL_CTX *tls; /* -T: every connection speaks TLS */
static pthread_mutex_t etag_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct conn {
    int fd;
    SSL *ssl;
    char *buf;
    size_t start, end; /* buffered unread bytes */
    double *lat;
    size_t nlat, cap;
};

static int do_connect(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 120};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->start = c->end = 0;
    if (tls) {
        c->ssl = SSL_new(tls);
        if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) || SSL_connect(c->ssl) != 1) {
            if (atomic_fetch_add(&sock_errs, 0) == 0)
                ERR_print_errors_fp(stderr);
            SSL_free(c->ssl);
            c->ssl = NULL;
            close(c->fd);
            c->fd = -1;
            return -1;
        }
    }
    return 0;
}

static void drop(struct conn *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static ssize_t io_send(struct conn *c, const char *p, size_t n)
{
    if (!c->ssl)
        return send(c->fd, p, n, MSG_NOSIGNAL);
    int w = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    return w > 0 ? w : -1;
}

static ssize_t io_recv(struct conn *c, char *p, size_t n)
{
    if (!c->ssl)
        return recv(c->fd, p, n, 0);
    int r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

static int send_all(struct conn *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = io_send(c, p, n);
        if (w < 0 && errno == EINTR && !c->ssl)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        atomic_fetch_add_explicit(&bytes_out, (unsigned long long)w, memory_order_relaxed);
    }
    return 0;
}

/* Sends request r: head (+ body from the file, or synthesized). */
static int send_req(struct conn *c, const struct req *r)
{
    if (!synth_body)
        return send_all(c, r->p, r->len);
    if (c->ssl) { /* records, not writev: head, then the body in 1 MiB writes */
        if (send_all(c, r->p, r->len))
            return -1;
        for (size_t sent = 0; sent < body_len;) {
            size_t n = body_len - sent < BUFSZ ? body_len - sent : BUFSZ;
            if (send_all(c, pattern, n))
                return -1;
            sent += n;
        }
        return 0;
    }
    /* head and the first piece of the body in one write */
    size_t first = body_len < BUFSZ / 2 ? body_len : BUFSZ / 2;
    struct iovec iov[2] = {{(void *)r->p, r->len}, {pattern, first}};
    size_t total = r->len + first;
    ssize_t w;
    do
        w = writev(c->fd, iov, 2);
    while (w < 0 && errno == EINTR);
    if (w <= 0)
        return -1;
    atomic_fetch_add_explicit(&bytes_out, (unsigned long long)w, memory_order_relaxed);
    size_t sent = (size_t)w;
    if (sent < r->len) {
        if (send_all(c, r->p + sent, r->len - sent))
            return -1;
        sent = r->len;
    }
    size_t body_sent = sent - r->len;
    if (sent < total) {
        if (send_all(c, pattern + body_sent, first - body_sent))
            return -1;
    }
    body_sent = first;
    while (body_sent < body_len) {
        size_t n = body_len - body_sent < BUFSZ ? body_len - body_sent : BUFSZ;
        if (send_all(c, pattern, n))
            return -1;
        body_sent += n;
    }
    return 0;
}

static int fill(struct conn *c)
{
    if (c->start == c->end)
        c->start = c->end = 0;
    else if (c->end == BUFSZ) {
        if (c->start == 0)
            return -1; /* a line longer than the buffer */
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    ssize_t n;
    do
        n = io_recv(c, c->buf + c->end, BUFSZ - c->end);
    while (n < 0 && errno == EINTR && !c->ssl);
    if (n <= 0)
        return -1;
    c->end += (size_t)n;
    atomic_fetch_add_explicit(&bytes_in, (unsigned long long)n, memory_order_relaxed);
    return 0;
}

/* Consumes n bytes, reading into the buffer as needed. */
static int skip(struct conn *c, uint64_t n)
{
    while (n) {
        if (c->start == c->end && fill(c))
            return -1;
        size_t have = c->end - c->start;
        size_t k = have < n ? have : (size_t)n;
        c->start += k;
        n -= k;
    }
    return 0;
}

/* Returns a NUL-terminated line (without CRLF) from the buffer. */
static char *read_line(struct conn *c)
{
    for (;;) {
        char *p = memchr(c->buf + c->start, '\n', c->end - c->start);
        if (p) {
            char *line = c->buf + c->start;
            c->start = (size_t)(p - c->buf) + 1;
            *p = 0;
            if (p > line && p[-1] == '\r')
                p[-1] = 0;
            return line;
        }
        if (fill(c))
            return NULL;
    }
}

/* Reads one response. Returns the status, or -1 on a socket error. */
static int read_resp(struct conn *c, int head_only, char *etag, size_t etag_sz, int *close_after)
{
    int status;
    uint64_t clen;
    int chunked, have_len;
    do {
        char *line = read_line(c);
        if (!line || strncmp(line, "HTTP/1.", 7))
            return -1;
        status = atoi(line + 9);
        clen = 0;
        chunked = have_len = 0;
        *close_after = line[7] == '0';
        for (;;) {
            line = read_line(c);
            if (!line)
                return -1;
            if (!*line)
                break;
            char *colon = strchr(line, ':');
            if (!colon)
                continue;
            *colon = 0;
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (!strcasecmp(line, "content-length")) {
                clen = strtoull(v, NULL, 10);
                have_len = 1;
            } else if (!strcasecmp(line, "transfer-encoding") && strcasestr(v, "chunked"))
                chunked = 1;
            else if (!strcasecmp(line, "connection"))
                *close_after = !strcasecmp(v, "close") ? 1 : !strcasecmp(v, "keep-alive") ? 0 : *close_after;
            else if (!strcasecmp(line, "etag") && etag)
                snprintf(etag, etag_sz, "%s", v);
        }
    } while (status >= 100 && status < 200);
    if (head_only || status == 204 || status == 304)
        return status;
    if (chunked) {
        for (;;) {
            char *line = read_line(c);
            if (!line)
                return -1;
            uint64_t n = strtoull(line, NULL, 16);
            if (n == 0) {
                do
                    line = read_line(c);
                while (line && *line);
                return line ? status : -1;
            }
            if (skip(c, n + 2))
                return -1;
        }
    }
    if (!have_len) { /* body until close */
        while (fill(c) == 0)
            c->start = c->end;
        *close_after = 1;
        return status;
    }
    return skip(c, clen) ? -1 : status;
}

static void *worker(void *arg)
{
    struct conn *c = arg;
    c->fd = -1;
    c->buf = malloc(BUFSZ);
    c->cap = 1024;
    c->lat = malloc(c->cap * sizeof *c->lat);
    char etag[256];
    int fails = 0;
    for (;;) {
        if (now() >= deadline)
            break;
        size_t i = atomic_fetch_add(&next_req, 1);
        if (once && i >= nreqs)
            break;
        const struct req *r = &reqs[i % nreqs];
        double t0 = now();
        int status = -1, close_after = 0;
        etag[0] = 0;
        if (c->fd >= 0 || do_connect(c) == 0) {
            if (send_req(c, r) == 0)
                status = read_resp(c, r->head_only, etag, sizeof etag, &close_after);
        }
        if (status < 0) {
            atomic_fetch_add(&sock_errs, 1);
            drop(c);
            if (++fails > 100)
                break;
            continue;
        }
        double t1 = now();
        if (status < 200 || status > 299)
            atomic_fetch_add(&non2xx, 1);
        if (close_after)
            drop(c);
        if (c->nlat == c->cap)
            c->lat = realloc(c->lat, (c->cap *= 2) * sizeof *c->lat);
        c->lat[c->nlat++] = t1 - t0;
        if (etag_out) {
            pthread_mutex_lock(&etag_lock);
            fprintf(etag_out, "%zu %d %s\n", i, status, etag[0] ? etag : "-");
            pthread_mutex_unlock(&etag_lock);
        }
    }
    drop(c);
    free(c->buf);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    fstat(fileno(f), &st);
    char *p = malloc((size_t)st.st_size + 1);
    *len = fread(p, 1, (size_t)st.st_size, f);
    p[*len] = 0;
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    int conns = 1;
    double secs = 10;
    const char *etag_path = NULL;
    int opt;
    const char *ca = NULL;
    while ((opt = getopt(argc, argv, "c:d:b:1E:T:")) != -1) {
        switch (opt) {
        case 'c': conns = atoi(optarg); break;
        case 'd': secs = atof(optarg); break;
        case 'b': body_len = strtoull(optarg, NULL, 10); synth_body = 1; break;
        case '1': once = 1; break;
        case 'E': etag_path = optarg; break;
        case 'T': ca = optarg; break;
        default: goto usage;
        }
    }
    if (argc - optind != 3 || conns < 1) {
    usage:
        fprintf(stderr, "usage: loadgen [-c CONNS] [-d SECONDS] [-b BODY] [-1] [-E FILE] "
                        "[-T CAFILE] HOST PORT REQFILE\n");
        return 2;
    }
    if (ca) {
        tls = SSL_CTX_new(TLS_client_method());
        if (!tls || SSL_CTX_load_verify_locations(tls, ca, NULL) != 1) {
            fprintf(stderr, "loadgen: cannot use %s as the CA\n", ca);
            ERR_print_errors_fp(stderr);
            return 1;
        }
        SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
    if (inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1) {
        fprintf(stderr, "loadgen: HOST must be an IPv4 address\n");
        return 2;
    }
    size_t flen;
    char *file = read_file(argv[optind + 2], &flen);
    if (!file) {
        perror(argv[optind + 2]);
        return 1;
    }
    size_t cap = 1024;
    reqs = malloc(cap * sizeof *reqs);
    for (size_t off = 0; off < flen;) {
        char *end;
        size_t n = strtoull(file + off, &end, 10);
        if (*end != '\n' || (size_t)(end + 1 - file) + n > flen) {
            fprintf(stderr, "loadgen: bad record at offset %zu\n", off);
            return 1;
        }
        if (nreqs == cap)
            reqs = realloc(reqs, (cap *= 2) * sizeof *reqs);
        reqs[nreqs].p = end + 1;
        reqs[nreqs].len = n;
        reqs[nreqs].head_only = !strncmp(end + 1, "HEAD ", 5);
        nreqs++;
        off = (size_t)(end + 1 - file) + n;
    }
    if (!nreqs) {
        fprintf(stderr, "loadgen: no requests in %s\n", argv[optind + 2]);
        return 1;
    }
    pattern = malloc(BUFSZ);
    for (size_t i = 0; i < BUFSZ; i++)
        pattern[i] = (char)('a' + i % 26);
    if (etag_path && !(etag_out = fopen(etag_path, "w"))) {
        perror(etag_path);
        return 1;
    }
    struct conn *cs = calloc((size_t)conns, sizeof *cs);
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    t_start = now();
    deadline = t_start + secs;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], &attr, worker, &cs[i]);
    for (int i = 0; i < conns; i++)
        pthread_join(th[i], NULL);
    double el = now() - t_start;
    if (etag_out)
        fclose(etag_out);
    size_t n = 0;
    for (int i = 0; i < conns; i++)
        n += cs[i].nlat;
    double *all = malloc((n ? n : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < conns; i++) {
        memcpy(all + k, cs[i].lat, cs[i].nlat * sizeof *all);
        k += cs[i].nlat;
    }
    qsort(all, n, sizeof *all, cmp);
    printf("{\"requests\":%zu,\"seconds\":%.4f,\"ops\":%.2f,\"bytes_in\":%llu,\"bytes_out\":%llu,"
           "\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"non2xx\":%llu,\"socket_errors\":%llu}\n",
           n, el, n / el, (unsigned long long)bytes_in, (unsigned long long)bytes_out,
           n ? all[n / 2] * 1e3 : 0.0, n ? all[(size_t)(n * 0.99)] * 1e3 : 0.0,
           n ? all[n - 1] * 1e3 : 0.0, (unsigned long long)non2xx, (unsigned long long)sock_errs);
    return 0;
}
