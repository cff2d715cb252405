/* store/data_fault.c — the fault-injecting data backend (pail_data_fault),
 * test builds only (PAIL_TESTING). It wraps the files backend, delegating
 * every method, and makes chosen calls fail the way a sick disk would, so
 * tests can drive every error path above the data interface (SQLite's
 * test_vfs.c / TestFaultInject idea). Must not: exist in a release build, or
 * change anything about a call it does not fail.
 *
 * Configuration is read from the environment once, at open:
 *   PAIL_FAULT_OPEN_EIO_AFTER=N    the N-th writer_open fails
 *   PAIL_FAULT_WRITE_EIO_AFTER=N   the N-th write fails after writing half
 *                                  its bytes (a short write, then the error)
 *   PAIL_FAULT_COMMIT_EIO_AFTER=N  the N-th commit fails (the temporary is
 *                                  removed, as commit's contract says); a
 *                                  compose counts as one commit
 *   PAIL_FAULT_READ_EIO=N          the N-th open_read fails: the error
 *                                  comes before a GET response starts
 *   PAIL_FAULT_READ_LATE=N         the N-th open_read succeeds but hands
 *                                  back an fd on which every read fails: the
 *                                  error comes once a GET's headers are out
 *   PAIL_FAULT_PERSISTENT=1        a fault, once fired, fires on every later
 *                                  call of its kind (default: one-shot)
 *   PAIL_FAULT_ERRNO=ENOSPC        inject ENOSPC (→ InsufficientStorage)
 *                                  instead of EIO (→ InternalError)
 * N counts calls of that kind since open, from 1; 0 or unset disables it.
 *
 * Selected with PAIL_DATA_BACKEND=fault (src/main.c). */
#ifdef PAIL_TESTING

#include "store/data.h"

#include "core/log.h"
#include "store/data_backends.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum fault_kind { F_OPEN, F_WRITE, F_COMMIT, F_READ, F_READ_LATE, F__COUNT };

static const char *const fault_env[F__COUNT] = {
    [F_OPEN] = "PAIL_FAULT_OPEN_EIO_AFTER",
    [F_WRITE] = "PAIL_FAULT_WRITE_EIO_AFTER",
    [F_COMMIT] = "PAIL_FAULT_COMMIT_EIO_AFTER",
    [F_READ] = "PAIL_FAULT_READ_EIO",
    [F_READ_LATE] = "PAIL_FAULT_READ_LATE",
};

static const char *const fault_name[F__COUNT] = {
    [F_OPEN] = "writer_open", [F_WRITE] = "write", [F_COMMIT] = "commit",
    [F_READ] = "open_read", [F_READ_LATE] = "read (late)",
};

struct fault {
    unsigned long after;    /* fire on call number `after`; 0: never */
    atomic_ulong calls;     /* calls of this kind so far */
};

struct xstate {
    void *inner;            /* the files backend's state */
    int dir_fd;             /* the data directory: reads on it fail (EISDIR) */
    bool persistent;
    int err;                /* EIO or ENOSPC */
    struct fault f[F__COUNT];
};

struct xwriter {
    struct pail_data_writer base; /* must be first: data.c sees only this */
    struct xstate *s;
    struct pail_data_writer *inner;
};

#define INNER (&pail_data_file)

/* Counts one call of kind k; its number when this call is to fail, else 0. */
static unsigned long hit(struct xstate *s, enum fault_kind k)
{
    struct fault *f = &s->f[k];
    if (!f->after)
        return 0;
    unsigned long n = atomic_fetch_add(&f->calls, 1) + 1;
    return (s->persistent ? n >= f->after : n == f->after) ? n : 0;
}

/* Logs an injected failure of call n of kind k (when n is not 0). */
static bool injecting(const struct xstate *s, enum fault_kind k, unsigned long n, const char *id)
{
    if (n)
        pail_warn("data_fault: injected %s on %s #%lu %s", s->err == ENOSPC ? "ENOSPC" : "EIO",
                  fault_name[k], n, id ? id : "");
    return n != 0;
}

/* Counts one call of kind k; true (logged) when this call is to fail. */
static bool fire(struct xstate *s, enum fault_kind k, const char *id)
{
    return injecting(s, k, hit(s, k), id);
}

/* The pail_err the files backend reports for the injected errno. */
static enum pail_err injected(const struct xstate *s)
{
    return s->err == ENOSPC ? PAIL_E_InsufficientStorage : PAIL_E_InternalError;
}

/* A non-negative decimal from the environment; 0 when unset or malformed. */
static unsigned long env_count(const char *name)
{
    const char *v = getenv(name);
    char *end;
    unsigned long n = v && *v >= '0' && *v <= '9' ? strtoul(v, &end, 10) : 0;
    return n && !*end ? n : 0;
}

static void fault_close(void *vs)
{
    struct xstate *s = vs;
    if (!s)
        return;
    INNER->close(s->inner);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    free(s);
}

static enum pail_err fault_open(const char *location, void **state)
{
    *state = NULL;
    struct xstate *s = calloc(1, sizeof *s);
    if (!s)
        return PAIL_E_InternalError;
    s->dir_fd = -1;
    enum pail_err e = INNER->open(location, &s->inner);
    if (e != PAIL_OK) {
        free(s);
        return e;
    }
    s->dir_fd = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        fault_close(s);
        return PAIL_E_InternalError;
    }
    const char *p = getenv("PAIL_FAULT_PERSISTENT"), *en = getenv("PAIL_FAULT_ERRNO");
    s->persistent = p && strcmp(p, "1") == 0;
    s->err = en && strcmp(en, "ENOSPC") == 0 ? ENOSPC : EIO;
    for (int k = 0; k < F__COUNT; k++)
        s->f[k].after = env_count(fault_env[k]);
    pail_warn("data_fault: open=%lu write=%lu commit=%lu read=%lu read_late=%lu %s %s",
              s->f[F_OPEN].after, s->f[F_WRITE].after, s->f[F_COMMIT].after,
              s->f[F_READ].after, s->f[F_READ_LATE].after,
              s->persistent ? "persistent" : "one-shot", s->err == ENOSPC ? "ENOSPC" : "EIO");
    *state = s;
    return PAIL_OK;
}

/* ---- writers ---- */

static enum pail_err fault_writer_open(void *vs, struct pail_data_writer **out)
{
    struct xstate *s = vs;
    if (fire(s, F_OPEN, NULL))
        return injected(s);
    struct xwriter *w = calloc(1, sizeof *w);
    if (!w)
        return PAIL_E_InternalError;
    enum pail_err e = INNER->writer_open(s->inner, &w->inner);
    if (e != PAIL_OK) {
        free(w);
        return e;
    }
    w->inner->ops = INNER; /* what data.c would have stamped */
    w->s = s;
    *out = &w->base;
    return PAIL_OK;
}

static const char *fault_writer_id(const struct pail_data_writer *base)
{
    const struct xwriter *w = (const struct xwriter *)base;
    return INNER->writer_id(w->inner);
}

static enum pail_err fault_write(struct pail_data_writer *base, const void *p, size_t n)
{
    struct xwriter *w = (struct xwriter *)base;
    if (fire(w->s, F_WRITE, INNER->writer_id(w->inner))) {
        if (n / 2) /* a short write first, as a failing disk gives */
            INNER->write(w->inner, p, n / 2);
        return injected(w->s);
    }
    return INNER->write(w->inner, p, n);
}

static void fault_abort(struct pail_data_writer *base)
{
    struct xwriter *w = (struct xwriter *)base;
    INNER->abort(w->inner);
    free(w);
}

/* A failed commit keeps commit's contract: temporary removed, w freed. */
static enum pail_err fault_commit(struct pail_data_writer *base)
{
    struct xwriter *w = (struct xwriter *)base;
    if (fire(w->s, F_COMMIT, INNER->writer_id(w->inner))) {
        enum pail_err e = injected(w->s);
        fault_abort(base);
        return e;
    }
    enum pail_err e = INNER->commit(w->inner);
    free(w);
    return e;
}

/* ---- read, remove, compose, sweep ---- */

static enum pail_err fault_open_read(void *vs, const char *id, int *fd, uint64_t *size)
{
    struct xstate *s = vs;
    /* Both kinds count every open_read, so N means the N-th call. */
    unsigned long early = hit(s, F_READ), late = hit(s, F_READ_LATE);
    if (injecting(s, F_READ, early, id))
        return injected(s);
    enum pail_err e = INNER->open_read(s->inner, id, fd, size);
    if (e != PAIL_OK || !injecting(s, F_READ_LATE, late, id))
        return e;
    /* Same size, but every pread/sendfile on the directory fd fails. */
    int bad = fcntl(s->dir_fd, F_DUPFD_CLOEXEC, 0);
    if (bad < 0) {
        close(*fd);
        *fd = -1;
        return PAIL_E_InternalError;
    }
    close(*fd);
    *fd = bad;
    return PAIL_OK;
}

static enum pail_err fault_remove(void *vs, const char *id)
{
    return INNER->remove(((struct xstate *)vs)->inner, id);
}

static enum pail_err fault_compose(void *vs, const struct pail_data_seg *segs, size_t n,
                                   char id_out[33])
{
    struct xstate *s = vs;
    if (fire(s, F_COMMIT, "(compose)"))
        return injected(s);
    return INNER->compose(s->inner, segs, n, id_out);
}

static enum pail_err fault_sweep(void *vs, bool (*used)(void *ctx, const char *id), void *ctx,
                                 unsigned *removed)
{
    return INNER->sweep(((struct xstate *)vs)->inner, used, ctx, removed);
}

const struct pail_data_ops pail_data_fault = {
    .version = 1,
    .name = "fault",
    .open = fault_open,
    .close = fault_close,
    .writer_open = fault_writer_open,
    .write = fault_write,
    .commit = fault_commit,
    .abort = fault_abort,
    .writer_id = fault_writer_id,
    .open_read = fault_open_read,
    .remove = fault_remove,
    .compose = fault_compose,
    .sweep = fault_sweep,
};

#endif /* PAIL_TESTING */
