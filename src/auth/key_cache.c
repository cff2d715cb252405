/* auth/key_cache.c — see key_cache.h. Sixteen entries, least recently used
 * replaced: enough for every key a machine's clients use on one day and the
 * day before (clients near midnight sign with either date). A scope part
 * longer than its field is derived every time rather than truncated. */
#include "auth/key_cache.h"

#include "auth/sigv4.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum { ENTRIES = 16 };

struct entry {
    char secret[129], date[9], region[33], service[17];
    unsigned char key[PAIL_SHA256_LEN];
    uint64_t used; /* 0: empty */
};

static struct entry table[ENTRIES];
static uint64_t clock_;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static bool fits(const char *s, size_t cap) { return strnlen(s, cap) < cap; }

static bool matches(const struct entry *e, const char *secret, const char *date,
                    const char *region, const char *service)
{
    return e->used && strcmp(e->date, date) == 0 && strcmp(e->region, region) == 0 &&
           strcmp(e->service, service) == 0 && strcmp(e->secret, secret) == 0;
}

/* The matching entry, or NULL; with mu held. */
static struct entry *find(const char *secret, const char *date, const char *region,
                          const char *service)
{
    for (int i = 0; i < ENTRIES; i++)
        if (matches(&table[i], secret, date, region, service))
            return &table[i];
    return NULL;
}

/* The empty or least recently used entry; with mu held. */
static struct entry *victim(void)
{
    struct entry *v = &table[0];
    for (int i = 1; i < ENTRIES && v->used; i++)
        if (table[i].used < v->used)
            v = &table[i];
    return v;
}

void pail_key_cache_get(const char *secret, const char *date, const char *region,
                        const char *service, unsigned char key[PAIL_SHA256_LEN])
{
#define CAP(f) sizeof(((struct entry *)0)->f)
    if (!fits(secret, CAP(secret)) || !fits(date, CAP(date)) || !fits(region, CAP(region)) ||
        !fits(service, CAP(service))) {
#undef CAP
        pail_sigv4_signing_key(secret, date, region, service, key);
        return;
    }
    pthread_mutex_lock(&mu);
    struct entry *e = find(secret, date, region, service);
    if (e) {
        e->used = ++clock_;
        memcpy(key, e->key, PAIL_SHA256_LEN);
    }
    pthread_mutex_unlock(&mu);
    if (e)
        return;
    /* Derived outside the lock; two threads missing at once both derive. */
    pail_sigv4_signing_key(secret, date, region, service, key);
    pthread_mutex_lock(&mu);
    if (!find(secret, date, region, service)) {
        e = victim();
        pail_crypto_wipe(e, sizeof *e);
        strcpy(e->secret, secret);
        strcpy(e->date, date);
        strcpy(e->region, region);
        strcpy(e->service, service);
        memcpy(e->key, key, PAIL_SHA256_LEN);
        e->used = ++clock_;
    }
    pthread_mutex_unlock(&mu);
}
