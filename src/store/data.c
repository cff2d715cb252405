/* store/data.c — the object-data front door: a registry of backends by name
 * and the thin pail_data_* wrappers declared in data.h (SQLite's os.c shape).
 * Owns struct pail_data and stamps each new writer with its backend's ops, so
 * write/commit/abort route without a pail_data handle. Must not: know any
 * backend's internals, or add behaviour beyond argument checks. */
#include "store/data.h"

#include "core/log.h"
#include "store/data_backends.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct pail_data {
    const struct pail_data_ops *ops;
    void *state;
};

/* Every backend this build knows, looked up by ops->name. */
static const struct pail_data_ops *const backends[] = {
    &pail_data_file,
#ifdef PAIL_TESTING
    &pail_data_fault,
#endif
};

/* The backend called `name`, or NULL. */
static const struct pail_data_ops *find_backend(const char *name)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

enum pail_err pail_data_open(const char *name, const char *location, struct pail_data **out)
{
    assert(name && location && out);
    *out = NULL;
    const struct pail_data_ops *ops = find_backend(name);
    if (!ops || ops->version < 1) {
        pail_error("data: unknown backend \"%s\"", name);
        return PAIL_E_InvalidArgument;
    }
    struct pail_data *d = calloc(1, sizeof *d);
    if (!d)
        return PAIL_E_InternalError;
    d->ops = ops;
    enum pail_err e = ops->open(location, &d->state);
    if (e != PAIL_OK) {
        free(d);
        return e;
    }
    *out = d;
    return PAIL_OK;
}

void pail_data_close(struct pail_data *d)
{
    if (!d)
        return;
    d->ops->close(d->state);
    free(d);
}

const char *pail_data_backend_name(const struct pail_data *d)
{
    assert(d);
    return d->ops->name;
}

enum pail_err pail_data_writer_open(struct pail_data *d, struct pail_data_writer **w)
{
    assert(d && w);
    *w = NULL;
    enum pail_err e = d->ops->writer_open(d->state, w);
    if (e == PAIL_OK)
        (*w)->ops = d->ops;
    return e;
}

const char *pail_data_writer_id(const struct pail_data_writer *w)
{
    assert(w && w->ops);
    return w->ops->writer_id(w);
}

enum pail_err pail_data_write(struct pail_data_writer *w, const void *p, size_t n)
{
    assert(w && w->ops && (p || n == 0));
    return n ? w->ops->write(w, p, n) : PAIL_OK;
}

enum pail_err pail_data_commit(struct pail_data_writer *w)
{
    assert(w && w->ops);
    return w->ops->commit(w);
}

void pail_data_abort(struct pail_data_writer *w)
{
    if (w)
        w->ops->abort(w);
}

enum pail_err pail_data_open_read(struct pail_data *d, const char *id, int *fd, uint64_t *size)
{
    assert(d && id && fd && size);
    *fd = -1;
    *size = 0;
    return d->ops->open_read(d->state, id, fd, size);
}

enum pail_err pail_data_remove(struct pail_data *d, const char *id)
{
    assert(d && id);
    return d->ops->remove(d->state, id);
}

enum pail_err pail_data_compose(struct pail_data *d, const struct pail_data_seg *segs,
                                size_t n, char id_out[33])
{
    assert(d && (segs || n == 0) && id_out);
    id_out[0] = 0;
    return d->ops->compose(d->state, segs, n, id_out);
}

enum pail_err pail_data_sweep(struct pail_data *d, bool (*used)(void *ctx, const char *id),
                              void *ctx, unsigned *removed)
{
    assert(d && used && removed);
    *removed = 0;
    return d->ops->sweep(d->state, used, ctx, removed);
}

enum pail_err pail_data_scan(struct pail_data *d,
                             void (*fn)(void *ctx, const char *name, bool temporary), void *ctx)
{
    assert(d && fn);
    return d->ops->version >= 2 && d->ops->scan ? d->ops->scan(d->state, fn, ctx)
                                                 : PAIL_E_InternalError;
}

enum pail_err pail_data_remove_temp(struct pail_data *d, const char *name)
{
    assert(d && name);
    return d->ops->version >= 2 && d->ops->remove_temp ? d->ops->remove_temp(d->state, name)
                                                        : PAIL_E_InternalError;
}

enum pail_err pail_data_export(struct pail_data *d, const char *id, struct pail_data *dst)
{
    assert(d && id && dst);
    if (d->ops->version < 2 || !d->ops->export_blob || dst->ops != d->ops)
        return PAIL_E_InternalError;
    return d->ops->export_blob(d->state, id, dst->state);
}
