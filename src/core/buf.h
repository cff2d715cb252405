/* core/buf.h — growable byte buffer with a hard cap fixed at init (curl's
 * dynbuf). Memory is malloc'd: the owner calls pail_buf_free(), or hands it to
 * an arena with pail_buf_in_arena(). Always NUL-terminated after data. */
#ifndef PAIL_CORE_BUF_H
#define PAIL_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct pail_arena;

struct pail_buf {
    char *data;
    size_t len, cap_alloc, max;
    bool overflow; /* an append would have exceeded max; further appends ignored */
    bool borrowed; /* data is the caller's storage (pail_buf_init_on), not malloc'd */
};

void pail_buf_init(struct pail_buf *b, size_t max);
/* As pail_buf_init, but starts in the caller's storage (cap bytes, e.g. on
 * the stack) and mallocs only past it: a per-request buffer of typical size
 * then costs no malloc (a malloc of 1 KiB or more also makes glibc
 * consolidate its fast bins, a measurable share of a 4 KiB GET). Its data
 * must not be handed to anyone who would free it. */
void pail_buf_init_on(struct pail_buf *b, size_t max, char *storage, size_t cap);
/* Releases the memory; the buffer is empty and reusable afterwards. */
void pail_buf_free(struct pail_buf *b);
/* Frees b's memory when arena a is freed. */
void pail_buf_in_arena(struct pail_buf *b, struct pail_arena *a);
/* false (and b->overflow set) when len would pass max. */
bool pail_buf_append(struct pail_buf *b, const void *p, size_t n);
bool pail_buf_puts(struct pail_buf *b, const char *s);
bool pail_buf_printf(struct pail_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
