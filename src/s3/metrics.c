/* s3/metrics.c — see metrics.h. One slot per row of ops.def (by its index)
 * plus one for requests that never found a row (a bad target, a framing
 * error), so that no request goes uncounted. */
#include "s3/metrics.h"

#include "core/stats.h"
#include "http/server.h"
#include "s3/op.h"
#include "s3/services.h"
#include "store/meta.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OPS 192
#define MAX_REASONS 48

/* The statuses pail answers; anything else is counted as "other". */
static const int statuses[] = {200, 204, 206, 301, 302, 304, 307, 400, 403, 404,
                               405, 409, 411, 412, 416, 431, 500, 501, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

struct op_stats {
    atomic_uint_least64_t by_status[NSTATUS + 1];
    atomic_uint_least64_t bytes_in, bytes_out;
    struct pail_hist latency;
};

static struct op_stats ops[MAX_OPS + 1];
static atomic_uint_least64_t errors[PAIL_E__COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static time_t started;

/* Denials by the reason the authorizer logs (static strings, a few dozen). */
static struct {
    const char *reason;
    atomic_uint_least64_t n;
} denials[MAX_REASONS];
static pthread_mutex_t denials_mu = PTHREAD_MUTEX_INITIALIZER;

static void init(void)
{
    for (unsigned i = 0; i <= MAX_OPS; i++)
        ops[i].latency = (struct pail_hist)PAIL_HIST_US;
    started = time(NULL);
}

static unsigned status_slot(int status)
{
    for (unsigned i = 0; i < NSTATUS; i++)
        if (statuses[i] == status)
            return i;
    return NSTATUS;
}

static void count_denial(const char *reason)
{
    pthread_mutex_lock(&denials_mu);
    unsigned i = 0;
    while (i < MAX_REASONS && denials[i].reason && strcmp(denials[i].reason, reason) != 0)
        i++;
    if (i < MAX_REASONS) {
        if (!denials[i].reason)
            denials[i].reason = strdup(reason); /* kept for the process's life */
        if (denials[i].reason)
            atomic_fetch_add_explicit(&denials[i].n, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&denials_mu);
}

void s3_metrics_record(const struct pail_req *r, uint64_t micros)
{
    pthread_once(&once, init);
    _Static_assert(MAX_OPS < 1000, "op slots");
    unsigned i = r->op && (unsigned)(r->op - pail_ops) < pail_nops && pail_nops <= MAX_OPS
                     ? (unsigned)(r->op - pail_ops)
                     : MAX_OPS;
    struct op_stats *s = &ops[i];
    int status = r->resp.status ? r->resp.status : 200;
    atomic_fetch_add_explicit(&s->by_status[status_slot(status)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bytes_in, r->bytes_in, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bytes_out, r->bytes_out, memory_order_relaxed);
    pail_hist_observe(&s->latency, micros);
    if (r->err != PAIL_OK && r->err < PAIL_E__COUNT)
        atomic_fetch_add_explicit(&errors[r->err], 1, memory_order_relaxed);
    if (r->deny_reason)
        count_denial(r->deny_reason);
}

/* ---- rendering ---------------------------------------------------------- */

static uint64_t get(atomic_uint_least64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static void head(struct pail_buf *b, const char *name, const char *type, const char *help)
{
    pail_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *op_name(unsigned i)
{
    return i < pail_nops ? pail_ops[i].name : "-";
}

/* A histogram's series; labels is `k="v"` or "". scale turns its unit into
 * the exposed one (1e6: microseconds to seconds). */
static void hist(struct pail_buf *b, const char *name, const char *labels,
                 struct pail_hist *h, double scale)
{
    const char *sep = *labels ? "," : "";
    uint64_t cum = 0;
    for (unsigned k = 0; k <= h->nbounds; k++) {
        cum += get(&h->n[k]);
        if (k < h->nbounds)
            pail_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                            (double)h->bounds[k] / scale, (unsigned long long)cum);
        else
            pail_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                            (unsigned long long)cum);
    }
    const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
    pail_buf_printf(b, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", name, open, labels, close,
                    (double)get(&h->sum) / scale, name, open, labels, close,
                    (unsigned long long)get(&h->count));
}

static void render_requests(struct pail_buf *b)
{
    head(b, "pail_requests_total", "counter", "Requests answered, by S3 operation and status.");
    for (unsigned i = 0; i <= MAX_OPS; i++)
        for (unsigned k = 0; k <= NSTATUS; k++) {
            uint64_t n = get(&ops[i].by_status[k]);
            if (!n)
                continue;
            if (k < NSTATUS)
                pail_buf_printf(b, "pail_requests_total{operation=\"%s\",status=\"%d\"} %llu\n",
                                op_name(i), statuses[k], (unsigned long long)n);
            else
                pail_buf_printf(b, "pail_requests_total{operation=\"%s\",status=\"other\"} %llu\n",
                                op_name(i), (unsigned long long)n);
        }
    head(b, "pail_request_duration_seconds", "histogram",
         "Time from the request line to the last byte handed to the socket.");
    for (unsigned i = 0; i <= MAX_OPS; i++)
        if (get(&ops[i].latency.count)) {
            char labels[96];
            snprintf(labels, sizeof labels, "operation=\"%s\"", op_name(i));
            hist(b, "pail_request_duration_seconds", labels, &ops[i].latency, 1e6);
        }
    head(b, "pail_received_bytes_total", "counter", "Request body bytes, by operation.");
    for (unsigned i = 0; i <= MAX_OPS; i++)
        if (get(&ops[i].latency.count))
            pail_buf_printf(b, "pail_received_bytes_total{operation=\"%s\"} %llu\n", op_name(i),
                            (unsigned long long)get(&ops[i].bytes_in));
    head(b, "pail_sent_bytes_total", "counter", "Response body bytes, by operation.");
    for (unsigned i = 0; i <= MAX_OPS; i++)
        if (get(&ops[i].latency.count))
            pail_buf_printf(b, "pail_sent_bytes_total{operation=\"%s\"} %llu\n", op_name(i),
                            (unsigned long long)get(&ops[i].bytes_out));
}

/* Errors that mean the caller was not recognised (as opposed to refused). */
static bool authentication_error(enum pail_err e)
{
    return e == PAIL_E_InvalidAccessKeyId || e == PAIL_E_SignatureDoesNotMatch ||
           e == PAIL_E_AuthorizationHeaderMalformed ||
           e == PAIL_E_AuthorizationQueryParametersError || e == PAIL_E_ExpiredToken ||
           e == PAIL_E_InvalidToken || e == PAIL_E_RequestTimeTooSkewed ||
           e == PAIL_E_MissingSecurityHeader;
}

static void render_errors(struct pail_buf *b)
{
    head(b, "pail_errors_total", "counter", "Error answers, by S3 error code.");
    for (unsigned e = 1; e < PAIL_E__COUNT; e++)
        if (get(&errors[e]))
            pail_buf_printf(b, "pail_errors_total{code=\"%s\"} %llu\n", pail_err_code(e),
                            (unsigned long long)get(&errors[e]));
    head(b, "pail_authentication_failures_total", "counter",
         "Requests whose signature or credentials were refused, by error code.");
    for (unsigned e = 1; e < PAIL_E__COUNT; e++)
        if (authentication_error(e) && get(&errors[e]))
            pail_buf_printf(b, "pail_authentication_failures_total{reason=\"%s\"} %llu\n",
                            pail_err_code(e), (unsigned long long)get(&errors[e]));
    head(b, "pail_authorization_denials_total", "counter",
         "Requests refused by a permission system, by the reason the access log shows.");
    pthread_mutex_lock(&denials_mu);
    for (unsigned i = 0; i < MAX_REASONS && denials[i].reason; i++)
        pail_buf_printf(b, "pail_authorization_denials_total{reason=\"%s\"} %llu\n",
                        denials[i].reason, (unsigned long long)get(&denials[i].n));
    pthread_mutex_unlock(&denials_mu);
}

static void render_store(struct pail_req *r, struct pail_buf *b)
{
    uint64_t hits = 0, misses = 0;
    pail_meta_cache_counts(r->svc->meta, &hits, &misses);
    head(b, "pail_meta_cache_hits_total", "counter", "Object records found in the memory cache.");
    pail_buf_printf(b, "pail_meta_cache_hits_total %llu\n", (unsigned long long)hits);
    head(b, "pail_meta_cache_misses_total", "counter", "Object records read from the database.");
    pail_buf_printf(b, "pail_meta_cache_misses_total %llu\n", (unsigned long long)misses);
    uint64_t cache_bytes, backend_bytes;
    pail_meta_memory(r->svc->meta, &cache_bytes, &backend_bytes);
    head(b, "pail_meta_cache_bytes", "gauge", "Bytes of object records in the memory cache.");
    pail_buf_printf(b, "pail_meta_cache_bytes %llu\n", (unsigned long long)cache_bytes);
    head(b, "pail_meta_backend_memory_bytes", "gauge",
         "Heap the metadata backend holds (SQLite: page caches and statements).");
    pail_buf_printf(b, "pail_meta_backend_memory_bytes %llu\n", (unsigned long long)backend_bytes);
    head(b, "pail_meta_commit_batch_writes", "histogram",
         "Writes committed together by one metadata group commit.");
    hist(b, "pail_meta_commit_batch_writes", "", &pail_stat_commit_batch, 1);
    head(b, "pail_meta_wal_fsync_seconds", "histogram", "fdatasync of the metadata WAL.");
    hist(b, "pail_meta_wal_fsync_seconds", "", &pail_stat_wal_fsync_us, 1e6);
    head(b, "pail_data_fsync_seconds", "histogram", "fdatasync of an object's data.");
    hist(b, "pail_data_fsync_seconds", "", &pail_stat_data_fsync_us, 1e6);
}

/* Per-bucket usage is a count over every row, kept between scrapes: a
 * reading that took 50 ms or more is repeated only once 100 times as long
 * has passed, so scrapes of a big store spend at most about 1% of a core on
 * it (millions of objects: re-read every few tens of seconds). A smaller
 * store is read fresh on every scrape. */
static struct {
    pthread_mutex_t mu;
    uint64_t at_us, cost_us;
    struct pail_buf text;
} usage = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {0}};

static void usage_refresh(struct pail_req *r)
{
    struct pail_bucket_rec *bs = NULL;
    size_t n = 0;
    pail_buf_free(&usage.text);
    pail_buf_init(&usage.text, 64u << 20);
    if (pail_meta_bucket_list(r->svc->meta, r->arena, &bs, &n) != PAIL_OK)
        return;
    struct pail_buf *b = &usage.text;
    head(b, "pail_bucket_objects", "gauge", "Objects stored, by bucket.");
    uint64_t *objs = pail_arena_alloc(r->arena, (n + 1) * sizeof *objs);
    uint64_t *bytes = pail_arena_alloc(r->arena, (n + 1) * sizeof *bytes);
    for (size_t i = 0; i < n; i++) {
        if (pail_meta_bucket_usage(r->svc->meta, bs[i].name, &objs[i], &bytes[i]) != PAIL_OK)
            objs[i] = bytes[i] = UINT64_MAX; /* gone since the list: skipped */
        else
            pail_buf_printf(b, "pail_bucket_objects{bucket=\"%s\"} %llu\n", bs[i].name,
                            (unsigned long long)objs[i]);
    }
    head(b, "pail_bucket_bytes", "gauge", "Object bytes stored, by bucket.");
    for (size_t i = 0; i < n; i++)
        if (objs[i] != UINT64_MAX)
            pail_buf_printf(b, "pail_bucket_bytes{bucket=\"%s\"} %llu\n", bs[i].name,
                            (unsigned long long)bytes[i]);
}

static void render_usage(struct pail_req *r, struct pail_buf *b)
{
    pthread_mutex_lock(&usage.mu);
    uint64_t now = pail_stats_now_us();
    if (!usage.at_us || usage.cost_us < 50000 || now - usage.at_us >= 100 * usage.cost_us) {
        usage_refresh(r);
        usage.at_us = pail_stats_now_us();
        usage.cost_us = usage.at_us - now;
    }
    if (usage.text.len)
        pail_buf_append(b, usage.text.data, usage.text.len);
    pthread_mutex_unlock(&usage.mu);
}

void s3_metrics_render(struct pail_req *r, struct pail_buf *b)
{
    pthread_once(&once, init);
    head(b, "pail_start_time_seconds", "gauge", "When this pail process started (Unix time).");
    pail_buf_printf(b, "pail_start_time_seconds %lld\n", (long long)started);
    head(b, "pail_requests_in_flight", "gauge", "Requests begun and not yet answered.");
    pail_buf_printf(b, "pail_requests_in_flight %d\n", pail_server_in_flight());
    /* glibc's count of bytes handed out and not freed: against RSS, tells
     * live memory from what the allocator keeps (a long run's growth). */
    struct mallinfo2 mi = mallinfo2();
    head(b, "pail_heap_in_use_bytes", "gauge", "Heap bytes allocated and not freed (glibc).");
    pail_buf_printf(b, "pail_heap_in_use_bytes %zu\n", mi.uordblks + mi.hblkhd);
    head(b, "pail_connections_open", "gauge", "Client connections open now.");
    pail_buf_printf(b, "pail_connections_open %u\n", pail_server_connections());
    head(b, "pail_connections_refused_total", "counter",
         "Connections answered and closed before any request was read, by the error.");
    for (unsigned e = 1; e < PAIL_E__COUNT && e < PAIL_STAT_MAX_ERR; e++)
        if (get(&pail_stat_refused[e]))
            pail_buf_printf(b, "pail_connections_refused_total{code=\"%s\"} %llu\n",
                            pail_err_code(e), (unsigned long long)get(&pail_stat_refused[e]));
    render_requests(b);
    render_errors(b);
    render_store(r, b);
    render_usage(r, b);
}
