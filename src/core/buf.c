/* core/buf.c — see buf.h. */
#include "core/buf.h"

#include "core/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pail_buf_init(struct pail_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void pail_buf_init_on(struct pail_buf *b, size_t max, char *storage, size_t cap)
{
    pail_buf_init(b, max);
    if (cap) {
        b->data = storage;
        b->cap_alloc = cap;
        b->borrowed = true;
        storage[0] = 0;
    }
}

void pail_buf_free(struct pail_buf *b)
{
    if (!b->borrowed)
        free(b->data);
    size_t max = b->max;
    pail_buf_init(b, max);
}

static void buf_cleanup(void *arg) { pail_buf_free(arg); }

void pail_buf_in_arena(struct pail_buf *b, struct pail_arena *a)
{
    pail_arena_cleanup(a, buf_cleanup, b);
}

static bool reserve(struct pail_buf *b, size_t n)
{
    if (b->overflow || n > b->max || b->len > b->max - n) {
        b->overflow = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap_alloc)
        return true;
    size_t cap = b->cap_alloc ? b->cap_alloc : 256;
    while (cap < need)
        cap *= 2;
    char *p = b->borrowed ? malloc(cap) : realloc(b->data, cap);
    if (!p) {
        fputs("pail: out of memory\n", stderr);
        abort();
    }
    if (b->borrowed)
        memcpy(p, b->data, b->len + 1);
    b->data = p;
    b->cap_alloc = cap;
    b->borrowed = false;
    return true;
}

bool pail_buf_append(struct pail_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n))
        return false;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return true;
}

bool pail_buf_puts(struct pail_buf *b, const char *s)
{
    return pail_buf_append(b, s, strlen(s));
}

bool pail_buf_printf(struct pail_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}
