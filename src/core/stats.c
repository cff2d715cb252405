/* core/stats.c — see stats.h. */
#include "core/stats.h"

#include "core/err.h"

#include <time.h>

const uint64_t pail_hist_us_bounds[] = {500,    1000,   2500,    5000,    10000,   25000,  50000,
                                        100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
const unsigned pail_hist_us_nbounds = sizeof pail_hist_us_bounds / sizeof pail_hist_us_bounds[0];
const uint64_t pail_hist_count_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
const unsigned pail_hist_count_nbounds =
    sizeof pail_hist_count_bounds / sizeof pail_hist_count_bounds[0];

_Static_assert(sizeof pail_hist_us_bounds / sizeof pail_hist_us_bounds[0] == 14,
               "PAIL_HIST_US names 14 bounds");
_Static_assert(sizeof pail_hist_count_bounds / sizeof pail_hist_count_bounds[0] == 11,
               "PAIL_HIST_COUNT names 11 bounds");

struct pail_hist pail_stat_wal_fsync_us = PAIL_HIST_US;
struct pail_hist pail_stat_data_fsync_us = PAIL_HIST_US;
struct pail_hist pail_stat_commit_batch = PAIL_HIST_COUNT;
atomic_uint_least64_t pail_stat_refused[PAIL_STAT_MAX_ERR];

_Static_assert(PAIL_E__COUNT <= PAIL_STAT_MAX_ERR, "pail_stat_refused has a slot per error");

void pail_hist_observe(struct pail_hist *h, uint64_t v)
{
    unsigned i = 0;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

uint64_t pail_stats_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
