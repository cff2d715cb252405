/* core/stats.h — process-wide histograms that layers below the S3 code
 * update (the store's fsyncs and group commits) and /_pail/metrics shows
 * (s3/metrics.c). An observation is a few relaxed atomic adds: no lock, no
 * allocation, so the hot paths may call it freely. */
#ifndef PAIL_CORE_STATS_H
#define PAIL_CORE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define PAIL_HIST_MAX 16

/* Upper bounds (in the histogram's own unit: microseconds, or a count) of
 * each bucket but the last, which is +Inf. Counts are per bucket, not
 * cumulative; the renderer adds them up as Prometheus wants. */
struct pail_hist {
    const uint64_t *bounds;
    unsigned nbounds; /* < PAIL_HIST_MAX */
    atomic_uint_least64_t n[PAIL_HIST_MAX];
    atomic_uint_least64_t count, sum;
};

void pail_hist_observe(struct pail_hist *h, uint64_t v);

/* Bounds for latencies in microseconds (0.5 ms .. 10 s) and for counts
 * (1 .. 1024). */
extern const uint64_t pail_hist_us_bounds[];
extern const unsigned pail_hist_us_nbounds;
extern const uint64_t pail_hist_count_bounds[];
extern const unsigned pail_hist_count_nbounds;

#define PAIL_HIST_US {pail_hist_us_bounds, 14, {0}, 0, 0}
#define PAIL_HIST_COUNT {pail_hist_count_bounds, 11, {0}, 0, 0}

extern struct pail_hist pail_stat_wal_fsync_us;   /* fdatasync of the metadata WAL */
extern struct pail_hist pail_stat_data_fsync_us;  /* fdatasync of an object's data */
extern struct pail_hist pail_stat_commit_batch;   /* writes per group commit */

/* Connections the doorman answered and closed itself, by the error it
 * answered with (SlowDown, BadRequest, RequestHeaderSectionTooLarge,
 * RequestTimeout; the index is enum pail_err). */
#define PAIL_STAT_MAX_ERR 128
extern atomic_uint_least64_t pail_stat_refused[PAIL_STAT_MAX_ERR];

/* Microseconds on the monotonic clock, for timing an observation. */
uint64_t pail_stats_now_us(void);

#endif
