/* main.c — command line → configuration → backends → server; nothing else.
 *   pail serve [--listen ADDR:PORT] [--data DIR] [--region NAME] [--cache-mib N]
 * Every flag can also come from the environment (PAIL_LISTEN, PAIL_DATA,
 * PAIL_REGION, PAIL_CACHE_MIB); flags win. The root credential comes from
 * PAIL_ROOT_ACCESS_KEY/PAIL_ROOT_SECRET_KEY, else from DIR/root-credentials,
 * which is generated (mode 0600) at the first start. */
#include "core/log.h"
#include "auth/auth.h"
#include "http/server.h"
#include "s3/bucket_cache.h"
#include "store/data.h"
#include "store/meta.h"
#include "store/reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERSION "0.1.0"

static const char usage[] =
    "usage: pail serve [--listen ADDR:PORT] [--data DIR] [--region NAME] [--cache-mib N]\n"
    "\n"
    "  --listen ADDR:PORT  address to serve S3 on (env PAIL_LISTEN; default 127.0.0.1:9000)\n"
    "  --data DIR          data directory, created if missing (env PAIL_DATA; default ./data)\n"
    "  --region NAME       region reported to clients (env PAIL_REGION; default us-east-1)\n"
    "  --cache-mib N       memory for hot object metadata and small objects, 0 for none\n"
    "                      (env PAIL_CACHE_MIB; default 16)\n"
    "\n"
    "The root credential is PAIL_ROOT_ACCESS_KEY / PAIL_ROOT_SECRET_KEY when set,\n"
    "otherwise DIR/root-credentials, generated at the first start.\n"
    "SIGTERM or SIGINT stops accepting, finishes requests in flight and exits 0.\n";

struct options {
    const char *listen, *data, *region, *cache_mib;
    size_t cache_bytes;
};

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    o->listen = env_or("PAIL_LISTEN", "127.0.0.1:9000");
    o->data = env_or("PAIL_DATA", "./data");
    o->region = env_or("PAIL_REGION", "us-east-1");
    o->cache_mib = env_or("PAIL_CACHE_MIB", "16");
    for (int i = 2; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "--listen") ? &o->listen
                            : !strcmp(argv[i], "--data") ? &o->data
                            : !strcmp(argv[i], "--region")    ? &o->region
                            : !strcmp(argv[i], "--cache-mib") ? &o->cache_mib
                                                              : NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "pail: unknown or incomplete option '%s'\n%s", argv[i], usage);
            return -1;
        }
        *slot = argv[++i];
    }
    char *end;
    unsigned long long mib = strtoull(o->cache_mib, &end, 10);
    if (*end || !*o->cache_mib || mib > (1ull << 20)) {
        fprintf(stderr, "pail: --cache-mib wants a number of MiB, not '%s'\n", o->cache_mib);
        return -1;
    }
    o->cache_bytes = (size_t)mib << 20;
    return 0;
}

static void random_chars(char *out, size_t n, const char *alphabet)
{
    unsigned char rnd[64];
    size_t k = strlen(alphabet);
    if (getrandom(rnd, n, 0) != (ssize_t)n)
        abort();
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd[i] % k];
    out[n] = 0;
}

/* Loads DIR/root-credentials, creating it on the first start. */
static int load_credentials(const char *dir, struct pail_creds *c)
{
    const char *ak = getenv("PAIL_ROOT_ACCESS_KEY"), *sk = getenv("PAIL_ROOT_SECRET_KEY");
    if (ak && *ak && sk && *sk) {
        snprintf(c->access_key, sizeof c->access_key, "%s", ak);
        snprintf(c->secret_key, sizeof c->secret_key, "%s", sk);
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/root-credentials", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        int ok = fscanf(f, "%128s %128s", c->access_key, c->secret_key) == 2;
        fclose(f);
        return ok ? 0 : -1;
    }
    memcpy(c->access_key, "PAIL", 4);
    random_chars(c->access_key + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    random_chars(c->secret_key, 40,
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    dprintf(fd, "%s\n%s\n", c->access_key, c->secret_key);
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The data backend: always "file", except that test builds take
 * PAIL_DATA_BACKEND (an undocumented test hook; "fault" injects I/O errors,
 * see src/store/data_fault.c). */
static const char *data_backend(void)
{
#ifdef PAIL_TESTING
    return env_or("PAIL_DATA_BACKEND", "file");
#else
    return "file";
#endif
}

static bool used_cb(void *ctx, const char *id) { return pail_meta_data_id_used(ctx, id); }

/* The root credential (until the identity layer serves every key). */
static struct pail_creds root_creds;
static struct pail_keystore root_keys;

static int open_store(const struct options *o, struct pail_services *srv)
{
    if (mkdir(o->data, 0700) != 0 && errno != EEXIST) {
        pail_error("cannot create data directory %s: %s", o->data, strerror(errno));
        return -1;
    }
    if (load_credentials(o->data, &root_creds) != 0) {
        pail_error("cannot read or create %s/root-credentials", o->data);
        return -1;
    }
    if (pail_meta_open("sqlite", o->data, &srv->meta) != PAIL_OK ||
        pail_data_open(data_backend(), o->data, &srv->data) != PAIL_OK) {
        pail_error("cannot open the store in %s", o->data);
        return -1;
    }
    pail_meta_enable_cache(srv->meta, o->cache_bytes);
    srv->reaper = pail_reaper_new(srv->data);
    srv->buckets = s3_bucket_cache_new(srv->meta);
    pail_keystore_fixed(&root_keys, &root_creds);
    srv->keys = &root_keys;
    return srv->buckets ? 0 : -1;
}

/* The start-up sweep (blobs a crash left unreferenced) runs beside the
 * server: it walks every blob, seconds for millions, and the data backend
 * never sweeps a blob minted since it was opened. Stopping waits for it. */
static pthread_t sweeper;
static bool sweeping;

static void *sweep_main(void *arg)
{
    struct pail_services *srv = arg;
    unsigned removed = 0;
    if (pail_data_sweep(srv->data, used_cb, srv->meta, &removed) != PAIL_OK)
        pail_warn("start-up sweep did not finish");
    if (removed)
        pail_info("start-up sweep removed %u orphaned data files", removed);
    return NULL;
}

static void sweep_start(struct pail_services *srv)
{
    sweeping = pthread_create(&sweeper, NULL, sweep_main, srv) == 0;
    if (!sweeping)
        sweep_main(srv); /* no thread: sweep before serving instead */
}

static void sweep_wait(void)
{
    if (sweeping)
        pthread_join(sweeper, NULL);
    sweeping = false;
}

static void close_store(struct pail_services *srv)
{
    s3_bucket_cache_free(srv->buckets);
    srv->buckets = NULL;
    pail_reaper_free(srv->reaper); /* drains the queue while data is open */
    srv->reaper = NULL;
    if (srv->meta)
        pail_meta_close(srv->meta);
    if (srv->data)
        pail_data_close(srv->data);
    srv->meta = NULL;
    srv->data = NULL;
}

static int serve(int argc, char **argv)
{
    struct options o;
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    /* Signals are taken synchronously by sigwait below; request threads
     * inherit the mask, and a closed peer gives EPIPE instead of SIGPIPE. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* Everything pail writes (metadata with credentials, object data) is
     * for the server's user alone. */
    umask(077);
    struct pail_server srv = {.listen = o.listen, .svc = {.region = o.region}};
    if (open_store(&o, &srv.svc) != 0) {
        close_store(&srv.svc);
        return 1;
    }
    sweep_start(&srv.svc);
    if (pail_server_start(&srv) != PAIL_OK) {
        sweep_wait();
        close_store(&srv.svc);
        return 1;
    }
    printf("pail %s serving S3 on http://%s (data in %s)\n"
           "  endpoint:   http://%s\n  access key: %s\n  secret key: %s\n  region:     %s\n",
           VERSION, o.listen, o.data, o.listen, root_creds.access_key, root_creds.secret_key,
           o.region);
    fflush(stdout);
    int sig = 0;
    sigdelset(&set, SIGPIPE);
    sigwait(&set, &sig);
    pail_info("signal %d: finishing requests in flight", sig);
    pail_server_stop(&srv);
    sweep_wait();
    close_store(&srv.svc);
    pail_info("stopped"); /* after every access line: logging writes those out first */
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "serve"))
        return serve(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "version")) {
        puts("pail " VERSION);
        return 0;
    }
    FILE *out = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    fputs(usage, out);
    return out == stdout ? 0 : 2;
}
