/* main.c — command line → configuration → backends → server; nothing else.
 *   pail serve [--listen ADDR:PORT] [--data DIR] [--region NAME] [--cache-mib N]
 *              [--domain NAME]... [--website-listen ADDR:PORT] [--aws-defaults]
 *              [--max-connections N] [--max-header-bytes N] [--header-timeout S]
 *              [--idle-timeout S] [--read-timeout S]
 *              [--tls-listen ADDR:PORT --tls-cert FILE --tls-key FILE]
 *   pail admin account create|list|delete ... | check | backup DEST [--data DIR]
 * Every flag can also come from the environment (PAIL_LISTEN, PAIL_DATA,
 * PAIL_REGION, PAIL_CACHE_MIB, PAIL_AWS_DEFAULTS=1, PAIL_MAX_CONNECTIONS,
 * PAIL_MAX_HEADER_BYTES, PAIL_HEADER_TIMEOUT, PAIL_IDLE_TIMEOUT,
 * PAIL_READ_TIMEOUT, PAIL_TLS_LISTEN, PAIL_TLS_CERT, PAIL_TLS_KEY); flags win. The root credential comes from
 * PAIL_ROOT_ACCESS_KEY/PAIL_ROOT_SECRET_KEY, else from DIR/root-credentials,
 * which is generated (mode 0600) at the first start. */
#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "auth/auth.h"
#include "admin/admin.h"
#include "admin/admin_socket.h"
#include "core/buf.h"
#include "http/server.h"
#include "http/tls.h"
#include "iam/identity.h"
#include "iam/keystore.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "store/data.h"
#include "store/meta.h"
#include "s3/log_delivery.h"
#include "store/reaper.h"

#include <ctype.h>
#include <limits.h>
#include <malloc.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERSION "0.1.0"

static const char usage[] =
    "usage: pail serve [--listen ADDR:PORT] [--data DIR] [--region NAME] [--cache-mib N]\n"
    "                  [--domain NAME]... [--website-listen ADDR:PORT] [--aws-defaults]\n"
    "                  [--admin-listen ADDR:PORT]\n"
    "                  [--tls-listen ADDR:PORT --tls-cert FILE --tls-key FILE]\n"
    "                  [--max-connections N] [--max-header-bytes N] [--header-timeout S]\n"
    "                  [--idle-timeout S] [--read-timeout S] [--log-format text|json]\n"
    "                  [--log-delivery-seconds N] [--max-header-fields N] [--max-key-bytes N]\n"
    "                  [--max-metadata-bytes N] [--max-parts N] [--min-part-size SIZE]\n"
    "                  [--max-part-size SIZE] [--max-object-size SIZE] [--max-xml-bytes SIZE]\n"
    "                  [--max-policy-bytes N]\n"
    "       pail admin account create NAME --email EMAIL | list | delete NAME|ID [--data DIR]\n"
    "       pail admin explain --as ARN|anonymous ACTION RESOURCE [--context K=V] [--data DIR]\n"
    "       pail admin check [--repair] [--verbose] [--data DIR]\n"
    "       pail admin backup DEST [--data DIR]\n"
    "       pail --version\n"
    "\n"
    "  --listen ADDR:PORT  address to serve S3 on (env PAIL_LISTEN; default 127.0.0.1:9000)\n"
    "  --data DIR          data directory, created if missing (env PAIL_DATA; default ./data)\n"
    "  --region NAME       region reported to clients (env PAIL_REGION; default us-east-1)\n"
    "  --cache-mib N       memory for hot object metadata and small objects, 0 for none\n"
    "                      (env PAIL_CACHE_MIB; default 16)\n"
    "  --website-listen ADDR:PORT  also serve static websites there, every request\n"
    "                      a website request, the bucket from the Host (env\n"
    "                      PAIL_WEBSITE_LISTEN; default: none)\n"
    "  --admin-listen ADDR:PORT  also serve /_pail/metrics and /_pail/health/... there,\n"
    "                      metrics to any client (on the S3 port: this machine only;\n"
    "                      env PAIL_ADMIN_LISTEN; default: none)\n"
    "  --tls-listen ADDR:PORT  also serve S3 over HTTPS there (env PAIL_TLS_LISTEN;\n"
    "                      default: none), with\n"
    "  --tls-cert FILE     the server's certificate, then its chain, in PEM\n"
    "                      (env PAIL_TLS_CERT), and\n"
    "  --tls-key FILE      its private key, PEM, unencrypted (env PAIL_TLS_KEY);\n"
    "                      SIGHUP reads both files again\n"
    "  --domain NAME       virtual-hosted requests: Host BUCKET.NAME addresses bucket\n"
    "                      BUCKET (repeatable; env PAIL_DOMAIN, comma-separated;\n"
    "                      default s3.localhost); path-style works on every name\n"
    "  --log-format text|json  log lines as text, or one JSON object per line for\n"
    "                      log collectors (env PAIL_LOG_FORMAT; default text)\n"
    "  --log-delivery-seconds N  server access logs (PutBucketLogging) are delivered\n"
    "                      to their target buckets every N seconds, and at stop\n"
    "                      (env PAIL_LOG_DELIVERY_SECONDS; default 300)\n"
    "  --aws-defaults      new buckets as AWS makes them since 2023: ACLs off\n"
    "                      (BucketOwnerEnforced) and all public access blocked\n"
    "                      (env PAIL_AWS_DEFAULTS=1; default: ACLs on, nothing\n"
    "                      blocked, as the course expects)\n"
    "  --max-connections N open connections at once; a new one beyond gets 503\n"
    "                      SlowDown (env PAIL_MAX_CONNECTIONS; default 1024)\n"
    "  --max-header-bytes N  request line and header fields; beyond: 431 (env\n"
    "                      PAIL_MAX_HEADER_BYTES; 1024 to 16384, default 16384)\n"
    "  --header-timeout S  seconds for a request's line and headers to arrive\n"
    "                      (env PAIL_HEADER_TIMEOUT; default 10)\n"
    "  --idle-timeout S    seconds a keep-alive connection may wait for its next\n"
    "                      request (env PAIL_IDLE_TIMEOUT; default 60)\n"
    "  --read-timeout S    seconds a body (or a response) may go without a byte\n"
    "                      moving (env PAIL_READ_TIMEOUT; default 60)\n"
    "Request limits, AWS's by default (env: the flag in capitals, PAIL_MAX_PARTS...;\n"
    "SIZE takes K, M, G, T for KiB, MiB, GiB, TiB):\n"
    "  --max-header-fields N   header fields of a request (16-200; default 200): 431\n"
    "  --max-key-bytes N       an object key (1-1024; default 1024): KeyTooLongError\n"
    "  --max-metadata-bytes N  x-amz-meta-* names and values (0-8192; default 2048):\n"
    "                          MetadataTooLarge\n"
    "  --max-parts N           parts of a multipart upload (1-10000; default 10000)\n"
    "  --min-part-size SIZE    every part but the last (0-5G; default 5M): EntityTooSmall\n"
    "  --max-part-size SIZE    a PutObject, UploadPart or POST upload (1-5T; default 5G):\n"
    "                          EntityTooLarge\n"
    "  --max-object-size SIZE  a completed multipart upload (1-1024T; default 5T)\n"
    "  --max-xml-bytes SIZE    an XML or JSON request body (1K-64M; default 2M):\n"
    "                          MaxMessageLengthExceeded\n"
    "  --max-policy-bytes N    a bucket policy, blanks not counted (1-1048576;\n"
    "                          default 20480): MalformedPolicy\n"
    "\n"
    "The root credential is PAIL_ROOT_ACCESS_KEY / PAIL_ROOT_SECRET_KEY when set,\n"
    "otherwise DIR/root-credentials, generated at the first start.\n"
    "SIGTERM or SIGINT stops accepting, finishes requests in flight, delivers the\n"
    "spooled access logs and exits 0. SIGHUP reloads the TLS certificate and key:\n"
    "new connections get them, open ones keep theirs; on a bad file the old stay.\n";

#define MAX_DOMAINS 16

struct options {
    const char *listen, *data, *region, *website_listen, *admin_listen, *log_format;
    const char *tls_listen, *tls_cert, *tls_key;
    struct pail_http_limits limits;
    unsigned cache_mib, log_delivery_s;
    const char *domains[MAX_DOMAINS];
    char domain_names[MAX_DOMAINS][200];
    size_t ndomains;
    size_t cache_bytes;
    bool aws_defaults;
    bool admin; /* `pail admin` on a stopped directory: the root key is left as it is */
};

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* A --domain: a host name, stored lower-case (Host matching is
 * case-insensitive). */
static int add_domain(struct options *o, const char *name)
{
    size_t n = strlen(name);
    bool ok = n > 0 && n < 200 && name[0] != '.' && name[n - 1] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '-' || name[i] == '.';
    if (!ok || o->ndomains == MAX_DOMAINS) {
        fprintf(stderr, "pail: --domain wants a host name (at most %d), not '%s'\n", MAX_DOMAINS,
                name);
        return -1;
    }
    char *d = o->domain_names[o->ndomains];
    for (size_t i = 0; i <= n; i++)
        d[i] = (char)tolower((unsigned char)name[i]);
    o->domains[o->ndomains++] = d;
    return 0;
}

/* PAIL_DOMAIN: comma-separated domains (default s3.localhost). */
static int env_domains(struct options *o)
{
    char *list = strdup(env_or("PAIL_DOMAIN", "s3.localhost")), *save = NULL;
    int rc = list ? 0 : -1;
    for (char *d = list ? strtok_r(list, ",", &save) : NULL; d && rc == 0;
         d = strtok_r(NULL, ",", &save))
        rc = add_domain(o, d);
    free(list);
    return rc;
}

/* A numeric flag: its name, environment variable, range and the field it
 * sets, whose value before parsing is the default. `size` flags take K, M,
 * G, T (binary multiples); `given` is the flag's value on the command line. */
struct num_flag {
    const char *flag, *env;
    uint64_t min, max;
    void *field;
    size_t width; /* sizeof the field: unsigned or a 64-bit integer */
    bool size;
    const char *given;
};

#define NUM(flag, env, lo, hi, lvalue, sz)                                                         \
    {flag, env, lo, hi, &(lvalue), sizeof(lvalue), sz, NULL}
_Static_assert(sizeof(size_t) == sizeof(uint64_t), "parse_num stores size_t fields as uint64_t");

static struct num_flag *num_flag(struct num_flag *t, size_t n, const char *arg)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(arg, t[i].flag))
            return &t[i];
    return NULL;
}

/* "5242880", "5M", "5MiB", "5G"...: -1 (reported) when not a number in
 * [nf->min, nf->max]. */
static int parse_num(const struct num_flag *nf, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    if (nf->size && *end) {
        const char *units = "KMGT", *u = strchr(units, toupper((unsigned char)*end));
        if (u && *u) {
            shift = 10 * (int)(u - units + 1);
            end++;
            if (*end == 'i' || *end == 'I')
                end++;
            if (*end == 'B' || *end == 'b')
                end++;
        }
    }
    bool ok = isdigit((unsigned char)*s) && !*end && !errno &&
              (shift == 0 || v <= (~0ull >> shift));
    v = ok ? v << shift : 0;
    if (!ok || v < nf->min || v > nf->max) {
        fprintf(stderr, "pail: %s wants %s from %llu to %llu, not '%s'\n", nf->flag,
                nf->size ? "a size" : "a number", (unsigned long long)nf->min,
                (unsigned long long)nf->max, s);
        return -1;
    }
    if (nf->width == sizeof(unsigned))
        *(unsigned *)nf->field = (unsigned)v;
    else
        *(uint64_t *)nf->field = v;
    return 0;
}

/* Each flag's value: the command line's, else the environment's, else the
 * field keeps its default. */
static int parse_nums(const struct num_flag *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = t[i].given ? t[i].given : env_or(t[i].env, NULL);
        if (v && parse_num(&t[i], v) != 0)
            return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    if (env_domains(o) != 0)
        return -1;
    o->listen = env_or("PAIL_LISTEN", "127.0.0.1:9000");
    o->data = env_or("PAIL_DATA", "./data");
    o->region = env_or("PAIL_REGION", "us-east-1");
    o->website_listen = getenv("PAIL_WEBSITE_LISTEN");
    if (o->website_listen && !*o->website_listen)
        o->website_listen = NULL;
    o->admin_listen = getenv("PAIL_ADMIN_LISTEN");
    if (o->admin_listen && !*o->admin_listen)
        o->admin_listen = NULL;
    o->tls_listen = env_or("PAIL_TLS_LISTEN", NULL);
    o->tls_cert = env_or("PAIL_TLS_CERT", NULL);
    o->tls_key = env_or("PAIL_TLS_KEY", NULL);
    o->aws_defaults = !strcmp(env_or("PAIL_AWS_DEFAULTS", "0"), "1");
    o->log_format = env_or("PAIL_LOG_FORMAT", "text");
    o->cache_mib = 16;
    o->log_delivery_s = 300;
    o->limits = (struct pail_http_limits){.max_connections = 1024,
                                          .max_header_bytes = 16384,
                                          .header_timeout_s = 10,
                                          .idle_timeout_s = 60,
                                          .read_timeout_s = 60};
    struct num_flag nums[] = {
        NUM("--cache-mib", "PAIL_CACHE_MIB", 0, 1u << 20, o->cache_mib, false),
        NUM("--log-delivery-seconds", "PAIL_LOG_DELIVERY_SECONDS", 1, 86400, o->log_delivery_s,
            false),
        NUM("--max-connections", "PAIL_MAX_CONNECTIONS", 1, 1000000, o->limits.max_connections,
            false),
        /* within half of MHD's 32 KiB connection memory, where the head is
         * parsed in place and its field records and the response take the rest */
        NUM("--max-header-bytes", "PAIL_MAX_HEADER_BYTES", 1024, 16384,
            o->limits.max_header_bytes, false),
        NUM("--header-timeout", "PAIL_HEADER_TIMEOUT", 1, 3600, o->limits.header_timeout_s, false),
        NUM("--idle-timeout", "PAIL_IDLE_TIMEOUT", 1, 3600, o->limits.idle_timeout_s, false),
        NUM("--read-timeout", "PAIL_READ_TIMEOUT", 1, 3600, o->limits.read_timeout_s, false),
        /* the request limits (core/limits.h). 200 fields of a 16 KiB head is
         * what MHD's 32 KiB connection memory holds (measured: 300 fields of
         * 15 KB got MHD's own 431, without S3's XML) */
        NUM("--max-header-fields", "PAIL_MAX_HEADER_FIELDS", 16, 200, pail_limits.header_fields,
            false),
        NUM("--max-key-bytes", "PAIL_MAX_KEY_BYTES", 1, 1024, pail_limits.key_bytes, false),
        NUM("--max-metadata-bytes", "PAIL_MAX_METADATA_BYTES", 0, 8192,
            pail_limits.metadata_bytes, false),
        NUM("--max-parts", "PAIL_MAX_PARTS", 1, PAIL_MAX_PARTS, pail_limits.parts, false),
        NUM("--min-part-size", "PAIL_MIN_PART_SIZE", 0, 5ull << 30, pail_limits.min_part_bytes,
            true),
        NUM("--max-part-size", "PAIL_MAX_PART_SIZE", 1, 5ull << 40, pail_limits.max_part_bytes,
            true),
        NUM("--max-object-size", "PAIL_MAX_OBJECT_SIZE", 1, 1ull << 50,
            pail_limits.max_object_bytes, true),
        NUM("--max-xml-bytes", "PAIL_MAX_XML_BYTES", 1024, 64u << 20, pail_limits.xml_bytes, true),
        NUM("--max-policy-bytes", "PAIL_MAX_POLICY_BYTES", 1, 1u << 20, pail_limits.policy_bytes,
            false),
    };
    size_t nnums = sizeof nums / sizeof nums[0];
    bool domain_flag = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--aws-defaults")) {
            o->aws_defaults = true;
            continue;
        }
        struct num_flag *nf = num_flag(nums, nnums, argv[i]);
        if (nf && i + 1 < argc) {
            nf->given = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--domain") && i + 1 < argc) {
            if (!domain_flag) /* the flags replace the environment's list */
                o->ndomains = 0;
            domain_flag = true;
            if (add_domain(o, argv[++i]) != 0)
                return -1;
            continue;
        }
        const char **slot = !strcmp(argv[i], "--listen") ? &o->listen
                            : !strcmp(argv[i], "--data") ? &o->data
                            : !strcmp(argv[i], "--region")    ? &o->region
                            : !strcmp(argv[i], "--website-listen") ? &o->website_listen
                            : !strcmp(argv[i], "--admin-listen") ? &o->admin_listen
                            : !strcmp(argv[i], "--log-format") ? &o->log_format
                            : !strcmp(argv[i], "--tls-listen") ? &o->tls_listen
                            : !strcmp(argv[i], "--tls-cert") ? &o->tls_cert
                            : !strcmp(argv[i], "--tls-key") ? &o->tls_key
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
    if (parse_nums(nums, nnums) != 0)
        return -1;
    o->cache_bytes = (size_t)o->cache_mib << 20;
    if (strcmp(o->log_format, "text") != 0 && strcmp(o->log_format, "json") != 0) {
        fprintf(stderr, "pail: --log-format wants text or json, not '%s'\n", o->log_format);
        return -1;
    }
    pail_log_set_json(!strcmp(o->log_format, "json"));
    if (!o->tls_listen != !o->tls_cert || !o->tls_cert != !o->tls_key) {
        fprintf(stderr, "pail: HTTPS needs all three of --tls-listen, --tls-cert and --tls-key\n");
        return -1;
    }
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

/* The first account's root credential (env or DIR/root-credentials) and
 * the keystore every signature check asks. */
static struct pail_creds root_creds;
static struct pail_keystore keys;
static char first_account[16];

static int load_credentials(const char *dir, struct pail_creds *c);

/* The identity layer: accounts, IAM, STS. The server's root credential is
 * the first account's root key (made the first time; replaced when the
 * operator changed it). `pail admin` leaves an existing one alone. */
static int open_identity(const struct options *o, struct pail_services *srv)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_account *acc = NULL;
    size_t n = 0;
    if (!a || pail_identity_open(srv->meta, &srv->identity) != PAIL_OK ||
        pail_identity_account_list(srv->identity, a, &acc, &n) != PAIL_OK) {
        pail_error("cannot open the identity store");
        pail_arena_free(a);
        return -1;
    }
    if (!o->admin || n == 0) {
        if (load_credentials(o->data, &root_creds) != 0) {
            pail_error("cannot read or create %s/root-credentials", o->data);
            pail_arena_free(a);
            return -1;
        }
        if (pail_identity_bootstrap(srv->identity, root_creds.access_key,
                                    root_creds.secret_key) != PAIL_OK ||
            pail_identity_account_list(srv->identity, a, &acc, &n) != PAIL_OK || !n) {
            pail_error("cannot bootstrap the identity store");
            pail_arena_free(a);
            return -1;
        }
    }
    snprintf(first_account, sizeof first_account, "%s", acc[0].id);
    pail_arena_free(a);
    srv->first_account = first_account;
    pail_identity_keystore(&keys, srv->identity);
    srv->keys = &keys;
    return 0;
}

static int open_store(const struct options *o, struct pail_services *srv)
{
    if (mkdir(o->data, 0700) != 0 && errno != EEXIST) {
        pail_error("cannot create data directory %s: %s", o->data, strerror(errno));
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
    if (!srv->buckets)
        return -1;
    s3_bucket_cache_compiler(srv->buckets, s3_authz_compile, s3_authz_release);
    return open_identity(o, srv);
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
    pail_identity_close(srv->identity); /* persists keys' last use */
    srv->identity = NULL;
    pail_reaper_free(srv->reaper); /* drains the queue while data is open */
    srv->reaper = NULL;
    if (srv->meta)
        pail_meta_close(srv->meta);
    if (srv->data)
        pail_data_close(srv->data);
    srv->meta = NULL;
    srv->data = NULL;
}

/* The three ways to name an object, so that a newcomer can open one: the
 * path-style URL resolves everywhere; *.localhost names resolve in browsers
 * and, elsewhere, only with libnss-myhostname (README, "Host names"). */
static void print_urls(const struct options *o)
{
    const char *colon = strrchr(o->listen, ':');
    const char *port = colon ? colon + 1 : "80";
    int hlen = colon ? (int)(colon - o->listen) : (int)strlen(o->listen);
    const char *host = o->listen;
    if ((hlen == 7 && !strncmp(host, "0.0.0.0", 7)) || (hlen == 4 && !strncmp(host, "[::]", 4)))
        host = "127.0.0.1", hlen = 9; /* a wildcard listener answers on loopback too */
    const char *d = o->domains[0], *web = strncmp(d, "s3.", 3) == 0 ? d + 3 : d;
    printf("  path-style: http://%.*s:%s/BUCKET/KEY (any program)\n"
           "  virtual:    http://BUCKET.%s:%s/KEY (browsers; scripts: README, \"Host names\")\n"
           "  website:    http://BUCKET.s3-website.%s:%s/ (a bucket with a website configuration)\n",
           hlen, host, port, d, port, web, port);
    if (o->website_listen)
        printf("  website:    http://%s (the bucket from the Host)\n", o->website_listen);
    if (o->tls_listen)
        printf("  https:      https://%s (the same S3, over TLS)\n", o->tls_listen);
    if (o->admin_listen)
        printf("  monitoring: http://%s/_pail/metrics, /_pail/health/live, /_pail/health/ready\n",
               o->admin_listen);
}

/* The next of the signals in set; meanwhile, once a minute, free memory
 * inside the threads' arenas goes back to the system (malloc_trim: the
 * pinned trim threshold covers only each arena's top). */
static int wait_signal(const sigset_t *set)
{
    for (;;) {
        struct timespec minute = {.tv_sec = 60};
        int sig = sigtimedwait(set, NULL, &minute);
        if (sig > 0)
            return sig;
        if (errno == EAGAIN)
            malloc_trim(0);
    }
}

static int serve(int argc, char **argv)
{
    struct options o = {0};
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    /* Signals are taken synchronously by sigwait below; request threads
     * inherit the mask, and a closed peer gives EPIPE instead of SIGPIPE. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* Everything pail writes (metadata with credentials, object data) is
     * for the server's user alone. */
    umask(077);
    /* glibc raises its mmap threshold to the size of the largest block freed
     * so far, after which large blocks come from the threads' arenas, where
     * freed memory stays resident: RSS crept up 7 MiB in a 10-minute soak
     * with the live heap flat (bench/soak.py). Pinned thresholds keep large
     * blocks in mmap and let an arena's free top go back. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    struct pail_server srv = {.listen = o.listen, .website_listen = o.website_listen,
                              .admin_listen = o.admin_listen, .tls_listen = o.tls_listen,
                              .limits = o.limits,
                              .svc = {.region = o.region, .aws_defaults = o.aws_defaults,
                                      .domains = o.domains, .ndomains = o.ndomains,
                                      .data_dir = o.data}};
    if (o.tls_cert && pail_tls_load(o.tls_cert, o.tls_key) != PAIL_OK)
        return 1;
    if (open_store(&o, &srv.svc) != 0) {
        close_store(&srv.svc);
        pail_tls_unload();
        return 1;
    }
    sweep_start(&srv.svc);
    /* Before the first request, which may spool a record; it delivers what
     * a previous process spooled first. */
    srv.svc.logs = s3_log_delivery_start(&srv.svc, o.log_delivery_s);
    if (!srv.svc.logs || pail_server_start(&srv) != PAIL_OK) {
        s3_log_delivery_stop(srv.svc.logs);
        sweep_wait();
        close_store(&srv.svc);
        pail_tls_unload();
        return 1;
    }
    struct pail_admin_socket *admin = pail_admin_socket_start(o.data, &srv.svc);
    printf("pail %s serving S3 on http://%s (data in %s)\n"
           "  endpoint:   http://%s\n  access key: %s\n  secret key: %s\n  region:     %s\n",
           VERSION, o.listen, o.data, o.listen, root_creds.access_key, root_creds.secret_key,
           o.region);
    print_urls(&o);
    fflush(stdout);
    int sig = 0;
    sigdelset(&set, SIGPIPE);
    while ((sig = wait_signal(&set)) == SIGHUP) {
        if (!o.tls_cert)
            pail_info("SIGHUP: no TLS certificate to reload");
        else if (pail_tls_reload() == PAIL_OK)
            pail_info("SIGHUP: reloaded %s and %s", o.tls_cert, o.tls_key);
        else
            pail_warn("SIGHUP: kept the certificate in use");
    }
    pail_info("signal %d: finishing requests in flight", sig);
    pail_server_stop(&srv);
    pail_tls_unload();
    pail_admin_socket_stop(admin);
    s3_log_delivery_stop(srv.svc.logs); /* every request has spooled: deliver it all */
    srv.svc.logs = NULL;
    sweep_wait();
    close_store(&srv.svc);
    pail_info("stopped"); /* after every access line: logging writes those out first */
    return 0;
}

/* `pail admin ...`: on the running server's socket when one serves DIR,
 * else on the data directory itself. */
static int admin(int argc, char **argv)
{
    const char *dir = env_or("PAIL_DATA", "./data");
    const char *args[64];
    int n = 0;
    for (int i = 2; i < argc && n < 63; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return fputs(pail_admin_usage, stdout), 0;
        else
            args[n++] = argv[i];
    }
    /* The server's working directory need not be ours: it gets DEST whole. */
    char dest[PATH_MAX];
    if (n == 2 && !strcmp(args[0], "backup") && args[1][0] != '/') {
        if (!getcwd(dest, sizeof dest) || strlen(dest) + strlen(args[1]) + 2 > sizeof dest) {
            fprintf(stderr, "pail: backup: give DEST as an absolute path\n");
            return 1;
        }
        strcat(strcat(dest, "/"), args[1]);
        args[1] = dest;
    }
    struct pail_buf out;
    pail_buf_init(&out, 1u << 26);
    int rc = pail_admin_socket_call(dir, n, args, &out);
    if (rc < 0) { /* no server: open the directory ourselves */
        umask(077);
        struct options o = {.data = dir, .admin = true};
        struct pail_services svc = {.data_dir = dir};
        if (open_store(&o, &svc) != 0) {
            close_store(&svc);
            fprintf(stderr, "pail: cannot open %s (is a server using it without its admin "
                            "socket?)\n", dir);
            pail_buf_free(&out);
            return 1;
        }
        rc = pail_admin_run(&svc, false, n, args, &out);
        close_store(&svc);
    }
    fwrite(out.data ? out.data : "", 1, out.len, rc == 0 ? stdout : stderr);
    pail_buf_free(&out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "serve"))
        return serve(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "admin"))
        return admin(argc, argv);
    if (argc >= 2 && (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))) {
        puts("pail " VERSION);
        return 0;
    }
    FILE *out = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    fputs(usage, out);
    return out == stdout ? 0 : 2;
}
