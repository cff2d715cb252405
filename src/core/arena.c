/* core/arena.c — bump allocator over a chain of blocks; large requests get
 * their own block. Cleanups are a LIFO list allocated in the arena itself. */
#include "core/arena.h"

#include <stdarg.h>
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

struct pail_arena *pail_arena_new(void)
{
    struct pail_arena *a = calloc(1, sizeof(*a));
    return a;
}

static void free_chain(struct block *b)
{
    while (b) {
        struct block *n = b->next;
        free(b);
        b = n;
    }
}

void pail_arena_free(struct pail_arena *a)
{
    if (!a)
        return;
    for (struct cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->arg);
    free_chain(a->head);
    free_chain(a->big);
    free(a);
}

void *pail_arena_alloc(struct pail_arena *a, size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n == 0)
        n = ALIGN;
    if (n > BLOCK_SIZE / 4) {
        struct block *b = block_new(n);
        b->next = a->big;
        a->big = b;
        memset(b->data, 0, n);
        return b->data;
    }
    if (!a->head || a->head->size - a->head->used < n) {
        struct block *b = block_new(BLOCK_SIZE);
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    memset(p, 0, n);
    return p;
}

char *pail_arena_strndup(struct pail_arena *a, const char *s, size_t n)
{
    char *p = pail_arena_alloc(a, n + 1);
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
