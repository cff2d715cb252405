/* core/arena.h — per-request memory: everything a request allocates lives here
 * and is released at once by pail_arena_free(). Resources that need closing
 * (fds, writers, statements) register a cleanup that runs, newest first, when
 * the arena is freed. Never free arena memory piece by piece. */
#ifndef PAIL_CORE_ARENA_H
#define PAIL_CORE_ARENA_H

#include <stddef.h>

struct pail_arena;

typedef void (*pail_cleanup_fn)(void *arg);

/* New empty arena; NULL on out of memory. Free with pail_arena_free(). */
struct pail_arena *pail_arena_new(void);
/* Runs the cleanups (newest first), then releases all memory. NULL is a no-op. */
void pail_arena_free(struct pail_arena *a);
/* n bytes aligned for any type, zeroed; never NULL (aborts on out of memory). */
void *pail_arena_alloc(struct pail_arena *a, size_t n);
/* Copy of s (NUL-terminated) / of n bytes of s plus a NUL. */
char *pail_arena_strdup(struct pail_arena *a, const char *s);
char *pail_arena_strndup(struct pail_arena *a, const char *s, size_t n);
/* printf into the arena. */
char *pail_arena_printf(struct pail_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Registers fn(arg) to run when the arena is freed. */
void pail_arena_cleanup(struct pail_arena *a, pail_cleanup_fn fn, void *arg);

#endif
