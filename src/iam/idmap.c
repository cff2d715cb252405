/* iam/idmap.c — see idmap.h. FNV-1a over the (folded) key bytes. */
#include "iam/idmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n, sz);
    if (!p) {
        fputs("pail: out of memory\n", stderr);
        abort();
    }
    return p;
}

static uint64_t hash(const char *s, bool ci)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (ci && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * 1099511628211ULL;
    }
    return h;
}

static bool same(const struct idmap *m, const char *a, const char *b)
{
    return m->ci ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

void idmap_init(struct idmap *m, bool case_insensitive)
{
    *m = (struct idmap){.ci = case_insensitive};
}

void idmap_free(struct idmap *m)
{
    for (size_t i = 0; i < m->nb; i++) {
        struct idmap_ent *e = m->b[i];
        while (e) {
            struct idmap_ent *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->b);
    m->b = NULL;
    m->nb = m->n = 0;
}

static struct idmap_ent **slot(const struct idmap *m, const char *key, uint64_t h)
{
    struct idmap_ent **p = &m->b[h & (m->nb - 1)];
    while (*p && !((*p)->hash == h && same(m, (*p)->key, key)))
        p = &(*p)->next;
    return p;
}

void *idmap_get(const struct idmap *m, const char *key)
{
    if (!m->n || !key)
        return NULL;
    struct idmap_ent *e = *slot(m, key, hash(key, m->ci));
    return e ? e->val : NULL;
}

/* Doubles the bucket array (power of two sizes, so masking picks a bucket). */
static void grow(struct idmap *m)
{
    size_t nb = m->nb ? m->nb * 2 : 16;
    struct idmap_ent **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nb; i++) {
        struct idmap_ent *e = m->b[i];
        while (e) {
            struct idmap_ent *next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
}

void idmap_put(struct idmap *m, const char *key, void *val)
{
    if (m->n >= m->nb)
        grow(m);
    uint64_t h = hash(key, m->ci);
    struct idmap_ent **p = slot(m, key, h);
    if (*p) {
        (*p)->val = val;
        return;
    }
    size_t kl = strlen(key) + 1;
    struct idmap_ent *e = xcalloc(1, sizeof *e + kl);
    e->hash = h;
    memcpy(e->key, key, kl);
    e->val = val;
    *p = e;
    m->n++;
}

void *idmap_del(struct idmap *m, const char *key)
{
    if (!m->n || !key)
        return NULL;
    struct idmap_ent **p = slot(m, key, hash(key, m->ci));
    struct idmap_ent *e = *p;
    if (!e)
        return NULL;
    void *val = e->val;
    *p = e->next;
    free(e);
    m->n--;
    return val;
}

bool idmap_next(const struct idmap *m, struct idmap_it *it)
{
    if (it->e && it->e->next) {
        it->e = it->e->next;
        return true;
    }
    for (size_t i = it->e ? it->i + 1 : 0; i < m->nb; i++) {
        if (m->b[i]) {
            it->i = i;
            it->e = m->b[i];
            return true;
        }
    }
    it->e = NULL;
    it->i = m->nb;
    return false;
}
