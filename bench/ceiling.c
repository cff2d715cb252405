/* bench/ceiling.c — the ceiling: what the bench harness plus libmicrohttpd
 * can do on this machine with no S3 work at all. Same MHD threading mode and
 * options as pail (src/http/server.c): internal polling thread, one thread per
 * connection, poll(), 32 KiB connection memory.
 *
 *   ceiling PORT
 *   GET  /any/obj-<N>[k|m]  → 200, a preallocated body of N (KiB|MiB) bytes
 *   HEAD /any/obj-<N>[k|m]  → the same headers, no body
 *   PUT  /any/...           → reads and discards the body, 200 with an ETag
 *   anything else           → 200, empty body
 * The size is the number after the last '-' of the path (e.g. /b/obj-4k,
 * /b/get-64m, /b/x-100). Responses are built once per size and reused. */
#define _GNU_SOURCE
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SIZES 32
static struct {
    size_t size;
    struct MHD_Response *resp;
} cache[MAX_SIZES];
static int ncache;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *zeros;
static size_t zeros_len;
static struct MHD_Response *put_resp, *empty_resp;

static size_t size_of(const char *url)
{
    const char *dash = strrchr(url, '-');
    if (!dash)
        return 0;
    char *end;
    unsigned long long n = strtoull(dash + 1, &end, 10);
    if (*end == 'k' || *end == 'K')
        n <<= 10;
    else if (*end == 'm' || *end == 'M')
        n <<= 20;
    else if (*end == 'g' || *end == 'G')
        n <<= 30;
    return n > ((size_t)1 << 31) ? 0 : (size_t)n;
}

static struct MHD_Response *body_response(size_t size)
{
    struct MHD_Response *r = NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < ncache; i++)
        if (cache[i].size == size)
            r = cache[i].resp;
    if (!r && ncache < MAX_SIZES) {
        if (size > zeros_len) { /* bodies share one buffer: grow it (never freed) */
            char *z = malloc(size);
            memset(z, 'p', size);
            zeros = z;
            zeros_len = size;
        }
        r = MHD_create_response_from_buffer(size, zeros, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "ETag", "\"0123456789abcdef0123456789abcdef\"");
        MHD_add_response_header(r, "Content-Type", "application/octet-stream");
        MHD_add_response_header(r, "Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT");
        MHD_add_response_header(r, "Accept-Ranges", "bytes");
        cache[ncache].size = size;
        cache[ncache++].resp = r;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **state)
{
    static int first;
    if (!*state) { /* headers only: come back for the body */
        *state = &first;
        return MHD_YES;
    }
    if (*upload_data_size) { /* discard */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        struct MHD_Response *r = body_response(size_of(url));
        return MHD_queue_response(c, MHD_HTTP_OK, r ? r : empty_resp);
    }
    if (!strcmp(method, "PUT"))
        return MHD_queue_response(c, MHD_HTTP_OK, put_resp);
    return MHD_queue_response(c, MHD_HTTP_OK, empty_resp);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ceiling PORT\n");
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    put_resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(put_resp, "ETag", "\"0123456789abcdef0123456789abcdef\"");
    empty_resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
            MHD_USE_ITC | MHD_USE_ERROR_LOG,
        (uint16_t)atoi(argv[1]), NULL, NULL, on_request, NULL,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "ceiling: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    printf("ceiling serving on port %s\n", argv[1]);
    fflush(stdout);
    int sig;
    sigdelset(&set, SIGPIPE);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
