/* iam/idmap.h — a string-keyed hash table for the identity model (access key
 * ids, ARNs, names): chained buckets, grows at load factor 1, optionally
 * case-insensitive for ASCII (IAM names are unique regardless of case).
 * Keys are copied; values are the caller's. Not thread-safe: the identity's
 * rwlock guards every table. */
#ifndef PAIL_IAM_IDMAP_H
#define PAIL_IAM_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_ent {
    struct idmap_ent *next;
    uint64_t hash;
    void *val;
    char key[]; /* one allocation per entry */
};

struct idmap {
    struct idmap_ent **b;
    size_t nb, n;
    bool ci; /* ASCII case-insensitive keys */
};

void idmap_init(struct idmap *m, bool case_insensitive);
/* Frees the table and its keys (not the values). */
void idmap_free(struct idmap *m);
void *idmap_get(const struct idmap *m, const char *key);
/* Sets key -> val (replacing any value); aborts on out of memory. */
void idmap_put(struct idmap *m, const char *key, void *val);
/* Removes key; returns its value or NULL. */
void *idmap_del(struct idmap *m, const char *key);

/* Iteration: struct idmap_it it = {0}; while (idmap_next(m, &it)) it.e->val... */
struct idmap_it {
    size_t i;
    struct idmap_ent *e;
};
bool idmap_next(const struct idmap *m, struct idmap_it *it);

#endif
