/* store/data.h — the object-data interface: opaque blobs named by data ids.
 * A backend is a const struct pail_data_ops (files first, RADOS later); the
 * rest of pail calls only the pail_data_* wrappers. Object keys never reach a
 * backend: ids are generated here (32 lower-case hex characters). A blob is
 * durable once pail_data_commit() returns PAIL_OK, and only then may metadata
 * refer to it. Errors: InsufficientStorage (ENOSPC/EDQUOT), InternalError
 * (any other I/O failure, logged with errno), NoSuchKey (unknown id). */
#ifndef PAIL_STORE_DATA_H
#define PAIL_STORE_DATA_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_data;
struct pail_data_writer;

/* A byte range of an existing blob, for compose. */
struct pail_data_seg {
    const char *id;
    uint64_t off, len;
};

struct pail_data_ops {
    int version; /* 1..2 */
    const char *name;
    enum pail_err (*open)(const char *location, void **state);
    void (*close)(void *state);
    enum pail_err (*writer_open)(void *s, struct pail_data_writer **w);
    enum pail_err (*write)(struct pail_data_writer *w, const void *p, size_t n);
    enum pail_err (*commit)(struct pail_data_writer *w);
    void (*abort)(struct pail_data_writer *w);
    const char *(*writer_id)(const struct pail_data_writer *w);
    enum pail_err (*open_read)(void *s, const char *id, int *fd, uint64_t *size);
    enum pail_err (*remove)(void *s, const char *id);
    enum pail_err (*compose)(void *s, const struct pail_data_seg *segs, size_t n,
                             char id_out[33]);
    enum pail_err (*sweep)(void *s, bool (*used)(void *ctx, const char *id),
                           void *ctx, unsigned *removed);
    /* version 2: the operator's tools (pail admin check, backup) */
    enum pail_err (*scan)(void *s, void (*fn)(void *ctx, const char *name, bool temporary),
                          void *ctx);
    enum pail_err (*remove_temp)(void *s, const char *name);
    enum pail_err (*export_blob)(void *s, const char *id, void *dst);
};

/* Opens backend `name` ("file") at location (a directory it owns; created if
 * missing). Freed by pail_data_close. */
enum pail_err pail_data_open(const char *name, const char *location, struct pail_data **out);
void pail_data_close(struct pail_data *d);
/* The name d was opened with (static), so a second store of the same
 * backend can be opened (pail_data_export's destination). */
const char *pail_data_backend_name(const struct pail_data *d);

/* Starts a new blob under a fresh id (written to a temporary place). The
 * writer is freed by exactly one of commit or abort. */
enum pail_err pail_data_writer_open(struct pail_data *d, struct pail_data_writer **w);
const char *pail_data_writer_id(const struct pail_data_writer *w);
enum pail_err pail_data_write(struct pail_data_writer *w, const void *p, size_t n);
/* Makes the blob durable under its id (data fsync, rename, directory fsync)
 * and frees w. On error the temporary is removed and w is freed too. */
enum pail_err pail_data_commit(struct pail_data_writer *w);
/* Discards the blob and frees w. NULL is a no-op. */
void pail_data_abort(struct pail_data_writer *w);

/* Opens blob id for reading: *fd (caller closes) usable with pread/sendfile,
 * *size its length. NoSuchKey when absent. Errors here come before a GET's
 * response starts, so they reach the client as S3 error documents; a read
 * error on *fd once the headers are sent (GET bodies go out by sendfile) can
 * only abort the connection, short of its Content-Length. */
enum pail_err pail_data_open_read(struct pail_data *d, const char *id, int *fd, uint64_t *size);
/* Removes blob id; PAIL_OK also when already absent. */
enum pail_err pail_data_remove(struct pail_data *d, const char *id);
/* Writes the concatenation of segs into a new durable blob (copy_file_range
 * where possible, so bytes need not pass through user space); id_out gets its
 * id. Used by CompleteMultipartUpload, CopyObject and UploadPartCopy. */
enum pail_err pail_data_compose(struct pail_data *d, const struct pail_data_seg *segs,
                                size_t n, char id_out[33]);
/* Start-up recovery: deletes every temporary and every blob for which
 * used(ctx, id) is false; *removed counts them. The first sweep after open
 * may run while the store serves: it never deletes a temporary or blob
 * minted since the open (nor asks used() about one), so it removes only
 * what an earlier process left. */
enum pail_err pail_data_sweep(struct pail_data *d, bool (*used)(void *ctx, const char *id),
                              void *ctx, unsigned *removed);

/* Version 2. scan: calls fn for every temporary (name as found in the
 * backend's temporary area) and every blob (its id), touching nothing; for
 * `pail admin check` on a store no process serves. remove_temp: removes one
 * temporary scan named. export: makes blob id exist in dst (a store of the
 * same backend) with the same bytes, a hard link where the backend can (blobs
 * are immutable), else a durable copy; NoSuchKey when absent. Backends before
 * version 2, or a dst of another backend: InternalError. */
enum pail_err pail_data_scan(struct pail_data *d,
                             void (*fn)(void *ctx, const char *name, bool temporary), void *ctx);
enum pail_err pail_data_remove_temp(struct pail_data *d, const char *name);
enum pail_err pail_data_export(struct pail_data *d, const char *id, struct pail_data *dst);
#endif
