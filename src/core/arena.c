/* core/arena.c — bump allocator over a chain of blocks; large requests get
 * their own block. Cleanups are a LIFO list allocated in the arena itself.
 * Each thread keeps the last arena it freed (header and one block) for its
 * next request: a malloc of a fresh 8 KiB block made glibc consolidate its
 * free lists, a visible share of a small GET's CPU. */
#include "core/arena.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 8192
#define ALIGN 16

struct block {
    struct block *next;
    size_t used, size;
    _Alignas(ALIGN) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    pail_cleanup_fn fn;
    void *arg;
};

struct pail_arena {
    struct block *head; /* current block for small allocations */
    struct block *big;  /* dedicated blocks for large allocations */
    struct cleanup *cleanups;
};

static struct block *block_new(size_t size)
{
    struct block *b = malloc(sizeof(*b) + size);
    if (!b) {
        fputs("pail: out of memory\n", stderr);
        abort();
    }
    b->next = NULL;
    b->used = 0;
    b->size = size;
    return b;
}

static void free_chain(struct block *b)
{
    while (b) {
        struct block *n = b->next;
        free(b);
        b = n;
    }
}

static void arena_destroy(void *p)
{
    struct pail_arena *a = p;
    free_chain(a->head);
    free_chain(a->big);
    free(a);
}

static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_ok;

static void spare_init(void)
{
    spare_ok = pthread_key_create(&spare_key, arena_destroy) == 0;
}

struct pail_arena *pail_arena_new(void)
{
    pthread_once(&spare_once, spare_init);
    struct pail_arena *a = spare_ok ? pthread_getspecific(spare_key) : NULL;
    if (a && pthread_setspecific(spare_key, NULL) == 0)
        return a;
    return calloc(1, sizeof(*a));
}

void pail_arena_free(struct pail_arena *a)
{
    if (!a)
        return;
    for (struct cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->arg);
    a->cleanups = NULL;
    free_chain(a->big);
    a->big = NULL;
    if (a->head) { /* keep one block: its contents are zeroed as handed out */
        free_chain(a->head->next);
        a->head->next = NULL;
        a->head->used = 0;
    }
    if (spare_ok && !pthread_getspecific(spare_key) && pthread_setspecific(spare_key, a) == 0)
        return;
    arena_destroy(a);
}

/* n bytes rounded to the alignment, not zeroed. */
static void *arena_take(struct pail_arena *a, size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n == 0)
        n = ALIGN;
    if (n > BLOCK_SIZE / 4) {
        struct block *b = block_new(n);
        b->next = a->big;
        a->big = b;
        return b->data;
    }
    if (!a->head || a->head->size - a->head->used < n) {
        struct block *b = block_new(BLOCK_SIZE);
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

void *pail_arena_alloc(struct pail_arena *a, size_t n)
{
    void *p = arena_take(a, n);
    memset(p, 0, n);
    return p;
}

char *pail_arena_strndup(struct pail_arena *a, const char *s, size_t n)
{
    char *p = arena_take(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *pail_arena_strdup(struct pail_arena *a, const char *s)
{
    return pail_arena_strndup(a, s, strlen(s));
}

char *pail_arena_printf(struct pail_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = pail_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void pail_arena_cleanup(struct pail_arena *a, pail_cleanup_fn fn, void *arg)
{
    struct cleanup *c = pail_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}
