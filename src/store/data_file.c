/* store/data_file.c — the files data backend (pail_data_file).
 * Owns a directory: tmp/<id> holds blobs being written, objects/ab/cd/<id>
 * (ab, cd = the id's first four hex digits) holds committed ones. A blob is
 * published by fdatasync → rename → fsync of the destination directory, so
 * after commit returns it survives a crash; anything a crash leaves in tmp/
 * or unreferenced in objects/ is removed by the first sweep after open,
 * which may run while writers work: ids minted since open are recorded
 * (struct born) until that sweep ends, and it never removes one of them.
 * Must not: build a path from anything but an id minted here (every id is
 * checked to be exactly 32 lower-case hex digits first), or let errno out
 * (logged, then mapped: ENOSPC/EDQUOT → InsufficientStorage, else
 * InternalError). Data writes stop while free space is below a reserve kept
 * for metadata (check_space), so a full disk can still be emptied.
 *
 * Sections: 1. ids, errors, small I/O helpers; 2. directories and their
 * durability; 3. open/close; 4. writers; 5. read, remove; 6. compose;
 * 7. sweep; 8. the operator's tools (scan, remove_temp, export); the vtable. */
#include "store/data.h"

#include "core/log.h"
#include "core/stats.h"
#include "store/data_backends.h"
#include "util/encode.h"
#include "util/fs_space.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ===== 1. ids, errors, small I/O helpers ===== */

#define ID_LEN 32
#define COPY_CHUNK (1u << 30)   /* per copy_file_range call */
#define BOUNCE_SIZE (256u << 10) /* pread/write fallback buffer */

/* Fan-out directories whose entry in their parent is known to be on disk:
 * bits 0..255 for objects/ab, 256.. for objects/ab/cd. */
#define FANOUT_BITS (256 + 65536)

/* Ids minted since open, until the first sweep ends: a set of the ids'
 * 16 bytes, open addressing (an all-zero id, 2^-128, is not recorded). */
struct born {
    pthread_mutex_t mu;
    bool on;
    unsigned char (*ids)[ID_LEN / 2];
    size_t n, cap; /* cap: a power of two, 0 before the first id */
};

struct fstate {
    int root_fd, tmp_fd, obj_fd;
    atomic_uint_least64_t durable[FANOUT_BITS / 64];
    struct born born;
};

struct fwriter {
    struct pail_data_writer base; /* must be first: data.c sees only this */
    struct fstate *s;
    int fd;
    char id[ID_LEN + 1];
    uint64_t room;                /* bytes check_space already allowed */
    uint64_t written, flushed;    /* bytes written; handed to writeback */
};

/* Free space is asked for in steps of this much (one statfs per MiB, not per
 * write), ahead of the bytes it covers. */
#define SPACE_STEP (1u << 20)
/* Writeback is started every this many bytes (sync_file_range), so the disk
 * writes while the body is still arriving and commit's fdatasync finds
 * little left to do. */
#define WRITEBACK_STEP (8u << 20)

/* Logs an errno failure and maps it to a pail_err. */
static enum pail_err io_fail(const char *what, const char *id, int err)
{
    char buf[128];
    const char *msg = strerror_r(err, buf, sizeof buf);
    if (err == ENOSPC || err == EDQUOT) {
        pail_warn("data_file: %s %s: %s", what, id ? id : "", msg);
        return PAIL_E_InsufficientStorage;
    }
    pail_error("data_file: %s %s: %s", what, id ? id : "", msg);
    return PAIL_E_InternalError;
}

/* A lower-case hex digit. */
static bool lhex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* True for exactly 32 lower-case hex digits: the only names we ever build
 * paths from. */
static bool valid_id(const char *id)
{
    for (size_t i = 0; i < ID_LEN; i++)
        if (!lhex(id[i]))
            return false;
    return id[ID_LEN] == 0;
}

/* A fresh id: 16 bytes from getrandom() as lower-case hex. */
static enum pail_err new_id(char id[ID_LEN + 1])
{
    unsigned char r[ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno != EINTR)
            return io_fail("getrandom", NULL, errno);
        if (n > 0)
            got += (size_t)n;
    }
    pail_hex(r, sizeof r, id);
    return PAIL_OK;
}

/* ---- ids minted while the first sweep may run ---- */

static bool is_zero16(const unsigned char *k)
{
    static const unsigned char zero[ID_LEN / 2];
    return memcmp(k, zero, sizeof zero) == 0;
}

static size_t born_slot(const struct born *b, const unsigned char *k)
{
    uint64_t h;
    memcpy(&h, k, sizeof h); /* the id is random: its bytes are a hash */
    size_t i = (size_t)h & (b->cap - 1);
    while (memcmp(b->ids[i], k, ID_LEN / 2) != 0 && !is_zero16(b->ids[i]))
        i = (i + 1) & (b->cap - 1);
    return i;
}

static void born_put(struct born *b, const unsigned char *k)
{
    if ((b->n + 1) * 2 > b->cap) { /* keep it at most half full */
        size_t ncap = b->cap ? b->cap * 2 : 1024;
        unsigned char(*ids)[ID_LEN / 2] = calloc(ncap, sizeof *ids);
        if (!ids) {
            fputs("pail: out of memory\n", stderr); /* like the arena: no safe way on */
            abort();
        }
        struct born nb = {.ids = ids, .cap = ncap};
        for (size_t i = 0; i < b->cap; i++)
            if (!is_zero16(b->ids[i]))
                memcpy(nb.ids[born_slot(&nb, b->ids[i])], b->ids[i], ID_LEN / 2);
        free(b->ids);
        b->ids = ids;
        b->cap = ncap;
    }
    size_t i = born_slot(b, k);
    if (is_zero16(b->ids[i])) {
        memcpy(b->ids[i], k, ID_LEN / 2);
        b->n++;
    }
}

/* Records id (hex) while the first sweep has not ended. */
static void born_add(struct fstate *s, const char *id)
{
    unsigned char k[ID_LEN / 2];
    pail_unhex(id, k, sizeof k);
    pthread_mutex_lock(&s->born.mu);
    if (s->born.on && !is_zero16(k))
        born_put(&s->born, k);
    pthread_mutex_unlock(&s->born.mu);
}

/* True when id (hex, valid) was minted since open and the first sweep runs. */
static bool born_since_open(struct fstate *s, const char *id)
{
    unsigned char k[ID_LEN / 2];
    pail_unhex(id, k, sizeof k);
    pthread_mutex_lock(&s->born.mu);
    bool yes = s->born.cap && !is_zero16(k) && !is_zero16(s->born.ids[born_slot(&s->born, k)]);
    pthread_mutex_unlock(&s->born.mu);
    return yes;
}

/* The first sweep ended: ids need no recording any more. */
static void born_end(struct fstate *s)
{
    pthread_mutex_lock(&s->born.mu);
    s->born.on = false;
    free(s->born.ids);
    s->born.ids = NULL;
    s->born.n = s->born.cap = 0;
    pthread_mutex_unlock(&s->born.mu);
}

/* "ab/cd/<id>" for a valid id. */
static void blob_path(const char *id, char out[ID_LEN + 8])
{
    snprintf(out, ID_LEN + 8, "%.2s/%.2s/%s", id, id + 2, id);
}

/* Writes all n bytes, riding out partial writes and EINTR; 0 or an errno. */
static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return errno;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Refuses (InsufficientStorage) to store `need` more bytes of data that
 * would eat into the free space kept for metadata (util/fs_space.h). */
static enum pail_err check_space(struct fstate *s, uint64_t need, const char *id)
{
    if (pail_fs_room(s->tmp_fd, need))
        return PAIL_OK;
    return io_fail("below the free-space reserve for", id, ENOSPC);
}

/* ===== 2. directories and their durability ===== */

/* Value of two lower-case hex digits (callers pass validated ids). */
static unsigned hex2(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 2; i++)
        v = v * 16 + (unsigned)(p[i] <= '9' ? p[i] - '0' : p[i] - 'a' + 10);
    return v;
}

/* Makes parent/name exist with its entry on disk, and opens it (*fd). The
 * parent is fsync'd the first time this process uses a fan-out directory,
 * whoever created it: a concurrent writer may have just made it and not yet
 * synced, and our commit must not depend on its timing. */
static enum pail_err ensure_dir(struct fstate *s, int parent, const char *name, unsigned bit,
                                int *fd)
{
    uint64_t mask = UINT64_C(1) << (bit % 64);
    if (atomic_load(&s->durable[bit / 64]) & mask) { /* known made and synced */
        *fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*fd >= 0)
            return PAIL_OK;
        if (errno != ENOENT)
            return io_fail("open dir", name, errno);
        /* removed behind our back: made and synced again below */
        atomic_fetch_and(&s->durable[bit / 64], ~mask);
    }
    if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST)
        return io_fail("mkdir", name, errno);
    if (!(atomic_load(&s->durable[bit / 64]) & mask)) {
        if (fsync(parent) != 0)
            return io_fail("fsync dir of", name, errno);
        atomic_fetch_or(&s->durable[bit / 64], mask);
    }
    *fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return *fd < 0 ? io_fail("open dir", name, errno) : PAIL_OK;
}

/* fsyncs the directory containing path (start-up only). */
static int sync_parent(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') /* "data/" names "data" */
        n--;
    const char *slash = memrchr(path, '/', n);
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;
    if (fd < 0 || fsync(fd) != 0)
        err = errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    return err;
}

/* mkdir -p, syncing the parent of every directory it creates; 0 or errno. */
static int mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return ENOMEM;
    int err = 0;
    for (char *c = p + 1; !err; c++) {
        char save = *c;
        if (save != '/' && save != 0)
            continue;
        *c = 0;
        if (mkdir(p, 0700) == 0)
            err = sync_parent(p);
        else if (errno != EEXIST)
            err = errno;
        *c = save;
        if (!save)
            break;
    }
    free(p);
    return err;
}

/* Opens (creating if needed) a top-level subdirectory of the root. Its entry
 * is made durable by file_open's fsync of the root, on every start: an
 * earlier process may have died between its mkdir and its fsync. */
static enum pail_err top_dir(int root, const char *name, int *fd)
{
    if (mkdirat(root, name, 0700) != 0 && errno != EEXIST)
        return io_fail("mkdir", name, errno);
    *fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return *fd < 0 ? io_fail("open dir", name, errno) : PAIL_OK;
}

/* ===== 3. open/close ===== */

static void file_close(void *vs)
{
    struct fstate *s = vs;
    if (!s)
        return;
    if (s->obj_fd >= 0)
        close(s->obj_fd);
    if (s->tmp_fd >= 0)
        close(s->tmp_fd);
    if (s->root_fd >= 0)
        close(s->root_fd);
    free(s->born.ids);
    pthread_mutex_destroy(&s->born.mu);
    free(s);
}

static enum pail_err file_open(const char *location, void **state)
{
    *state = NULL;
    /* mkdir_p syncs only what it creates; the root's own entry is synced on
     * every start, whoever made it (main.c's mkdir, or a process that died
     * before syncing): blobs under an unsynced root vanish with it. */
    int err = mkdir_p(location);
    if (!err)
        err = sync_parent(location);
    if (err)
        return io_fail("mkdir -p", location, err);
    struct fstate *s = calloc(1, sizeof *s);
    if (!s)
        return PAIL_E_InternalError;
    s->tmp_fd = s->obj_fd = -1;
    pthread_mutex_init(&s->born.mu, NULL);
    s->born.on = true;
    s->root_fd = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    enum pail_err e = s->root_fd < 0 ? io_fail("open", location, errno) : PAIL_OK;
    if (e == PAIL_OK)
        e = top_dir(s->root_fd, "tmp", &s->tmp_fd);
    if (e == PAIL_OK)
        e = top_dir(s->root_fd, "objects", &s->obj_fd);
    if (e == PAIL_OK && fsync(s->root_fd) != 0) /* tmp and objects entries */
        e = io_fail("fsync", location, errno);
    if (e != PAIL_OK) {
        file_close(s);
        return e;
    }
    *state = s;
    return PAIL_OK;
}

/* ===== 4. writers ===== */

static enum pail_err file_writer_open(void *vs, struct pail_data_writer **out)
{
    struct fstate *s = vs;
    enum pail_err e = check_space(s, 0, NULL);
    if (e != PAIL_OK)
        return e;
    struct fwriter *w = calloc(1, sizeof *w);
    if (!w)
        return PAIL_E_InternalError;
    w->s = s;
    for (;;) {
        e = new_id(w->id);
        if (e != PAIL_OK) {
            free(w);
            return e;
        }
        born_add(s, w->id); /* before the file exists: a sweep may be running */
        w->fd = openat(s->tmp_fd, w->id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (w->fd >= 0)
            break;
        if (errno != EEXIST) { /* EEXIST: a 2^-128 collision; draw again */
            e = io_fail("create tmp", w->id, errno);
            free(w);
            return e;
        }
    }
    *out = &w->base;
    return PAIL_OK;
}

static const char *file_writer_id(const struct pail_data_writer *base)
{
    return ((const struct fwriter *)base)->id;
}

static enum pail_err file_write(struct pail_data_writer *base, const void *p, size_t n)
{
    struct fwriter *w = (struct fwriter *)base;
    if (n > w->room) {
        uint64_t ask = n > SPACE_STEP ? n : SPACE_STEP;
        enum pail_err e = check_space(w->s, ask, w->id);
        if (e != PAIL_OK)
            return e;
        w->room = ask;
    }
    w->room -= n;
    int err = write_all(w->fd, p, n);
    if (err)
        return io_fail("write", w->id, err);
    w->written += n;
    if (w->written - w->flushed >= WRITEBACK_STEP) {
        /* Only a hint: errors surface in commit's fdatasync. */
        sync_file_range(w->fd, (off_t)w->flushed, (off_t)(w->written - w->flushed),
                        SYNC_FILE_RANGE_WRITE);
        w->flushed = w->written;
    }
    return PAIL_OK;
}

static void file_abort(struct pail_data_writer *base)
{
    struct fwriter *w = (struct fwriter *)base;
    if (w->fd >= 0)
        close(w->fd);
    if (unlinkat(w->s->tmp_fd, w->id, 0) != 0 && errno != ENOENT)
        io_fail("unlink tmp", w->id, errno);
    free(w);
}

/* Moves tmp/<id> to objects/ab/cd/<id> and fsyncs cd. If that last fsync
 * fails the published name is removed again: the caller is told "not
 * durable" and must not be left with a blob it cannot trust. */
static enum pail_err publish(struct fstate *s, const char *id)
{
    char ab[3] = {id[0], id[1], 0}, cd[3] = {id[2], id[3], 0};
    int ab_fd = -1, cd_fd = -1;
    enum pail_err e = ensure_dir(s, s->obj_fd, ab, hex2(id), &ab_fd);
    if (e == PAIL_OK)
        e = ensure_dir(s, ab_fd, cd, 256 + hex2(id) * 256 + hex2(id + 2), &cd_fd);
    if (e == PAIL_OK && renameat2(s->tmp_fd, id, cd_fd, id, RENAME_NOREPLACE) != 0) {
        /* Filesystems without RENAME_NOREPLACE: ids are random, plain
         * rename is equally safe in practice. */
        if ((errno != EINVAL && errno != ENOSYS) || renameat(s->tmp_fd, id, cd_fd, id) != 0)
            e = io_fail("rename", id, errno);
    }
    if (e == PAIL_OK && fsync(cd_fd) != 0) {
        e = io_fail("fsync dir for", id, errno);
        unlinkat(cd_fd, id, 0);
    }
    if (ab_fd >= 0)
        close(ab_fd);
    if (cd_fd >= 0)
        close(cd_fd);
    return e;
}

/* Data first (fdatasync also persists the size), then the name. */
static enum pail_err file_commit(struct pail_data_writer *base)
{
    struct fwriter *w = (struct fwriter *)base;
    enum pail_err e = PAIL_OK;
    uint64_t t0 = pail_stats_now_us();
    if (fdatasync(w->fd) != 0)
        e = io_fail("fdatasync", w->id, errno);
    pail_hist_observe(&pail_stat_data_fsync_us, pail_stats_now_us() - t0);
    if (close(w->fd) != 0 && e == PAIL_OK) /* NFS reports write errors here */
        e = io_fail("close", w->id, errno);
    w->fd = -1;
    if (e == PAIL_OK)
        e = publish(w->s, w->id);
    if (e != PAIL_OK && unlinkat(w->s->tmp_fd, w->id, 0) != 0 && errno != ENOENT)
        io_fail("unlink tmp", w->id, errno);
    free(w);
    return e;
}

/* ===== 5. read, remove ===== */

/* Opens a committed blob; NoSuchKey for a malformed or unknown id. */
static enum pail_err open_blob(struct fstate *s, const char *id, int *fd, uint64_t *size)
{
    if (!valid_id(id))
        return PAIL_E_NoSuchKey;
    char path[ID_LEN + 8];
    blob_path(id, path);
    *fd = openat(s->obj_fd, path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return errno == ENOENT ? PAIL_E_NoSuchKey : io_fail("open", id, errno);
    struct stat st;
    if (fstat(*fd, &st) != 0) {
        enum pail_err e = io_fail("fstat", id, errno);
        close(*fd);
        *fd = -1;
        return e;
    }
    *size = (uint64_t)st.st_size;
    return PAIL_OK;
}

static enum pail_err file_open_read(void *vs, const char *id, int *fd, uint64_t *size)
{
    return open_blob(vs, id, fd, size);
}

/* A malformed id is a caller bug, so it is an error here, not "absent". */
static enum pail_err file_remove(void *vs, const char *id)
{
    struct fstate *s = vs;
    if (!valid_id(id)) {
        pail_error("data_file: remove: malformed id \"%.40s\"", id);
        return PAIL_E_InternalError;
    }
    char path[ID_LEN + 8];
    blob_path(id, path);
    if (unlinkat(s->obj_fd, path, 0) != 0 && errno != ENOENT)
        return io_fail("unlink", id, errno);
    return PAIL_OK;
}

/* ===== 6. compose ===== */

/* Copies len bytes at *off of src to the end of dst through user space; the
 * fallback where copy_file_range cannot work across these files. Returns
 * bytes copied (0 at EOF) or -1 with errno. */
static ssize_t bounce_copy(int src, off_t *off, int dst, size_t len, char **buf)
{
    if (!*buf && !(*buf = malloc(BOUNCE_SIZE))) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t k = pread(src, *buf, len < BOUNCE_SIZE ? len : BOUNCE_SIZE, *off);
    if (k <= 0)
        return k;
    int err = write_all(dst, *buf, (size_t)k);
    if (err) {
        errno = err;
        return -1;
    }
    *off += k;
    return k;
}

/* Appends seg's bytes to w: copy_file_range (in-kernel, reflinks where the
 * filesystem can), falling back to pread/write on EXDEV/ENOSYS/EINVAL. */
static enum pail_err copy_seg(struct fwriter *w, const struct pail_data_seg *seg, char **buf)
{
    int src;
    uint64_t size;
    enum pail_err e = open_blob(w->s, seg->id, &src, &size);
    if (e != PAIL_OK)
        return e;
    if (seg->off > size || seg->len > size - seg->off) {
        close(src);
        return PAIL_E_InvalidRange;
    }
    off_t off = (off_t)seg->off;
    uint64_t left = seg->len;
    bool kernel = true;
    while (left > 0 && e == PAIL_OK) {
        size_t want = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
        ssize_t k = kernel ? copy_file_range(src, &off, w->fd, NULL, want, 0)
                           : bounce_copy(src, &off, w->fd, want, buf);
        if (k < 0 && kernel && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                                errno == EOPNOTSUPP)) {
            kernel = false;
        } else if (k < 0 && errno != EINTR) {
            e = io_fail("copy from", seg->id, errno);
        } else if (k == 0) {
            pail_error("data_file: %s shrank while being copied", seg->id);
            e = PAIL_E_InternalError;
        } else if (k > 0) {
            left -= (uint64_t)k;
        }
    }
    close(src);
    return e;
}

static enum pail_err file_compose(void *vs, const struct pail_data_seg *segs, size_t n,
                                  char id_out[33])
{
    struct pail_data_writer *base;
    uint64_t need = 0;
    for (size_t i = 0; i < n; i++)
        need += segs[i].len;
    enum pail_err e = check_space(vs, need, "(compose)");
    if (e == PAIL_OK)
        e = file_writer_open(vs, &base);
    if (e != PAIL_OK)
        return e;
    struct fwriter *w = (struct fwriter *)base;
    char *buf = NULL;
    for (size_t i = 0; i < n && e == PAIL_OK; i++)
        e = copy_seg(w, &segs[i], &buf);
    free(buf);
    if (e != PAIL_OK) {
        file_abort(base);
        return e;
    }
    char id[ID_LEN + 1];
    memcpy(id, w->id, sizeof id); /* commit frees w */
    e = file_commit(base);
    if (e == PAIL_OK)
        memcpy(id_out, id, sizeof id);
    return e;
}

/* ===== 7. sweep ===== */

/* Opens parent/name for reading entries; NULL (logged) on failure. */
static DIR *open_dir(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        io_fail("opendir", name, errno);
        if (fd >= 0)
            close(fd);
    }
    return d;
}

static bool is_dot(const char *n) { return n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])); }

/* Two lower-case hex digits: a fan-out directory name. */
static bool fanout_name(const char *n) { return lhex(n[0]) && lhex(n[1]) && !n[2]; }

/* Deletes every temporary a previous process left (not the live writers'). */
static enum pail_err sweep_tmp(struct fstate *s, unsigned *removed)
{
    DIR *d = open_dir(s->root_fd, "tmp");
    if (!d)
        return PAIL_E_InternalError;
    enum pail_err e = PAIL_OK;
    for (struct dirent *de; (de = readdir(d));) {
        if (is_dot(de->d_name) || (valid_id(de->d_name) && born_since_open(s, de->d_name)))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            (*removed)++;
        else if (errno != ENOENT)
            e = io_fail("unlink tmp", de->d_name, errno);
    }
    closedir(d);
    return e;
}

#ifdef PAIL_TESTING
/* Test builds: PAIL_TEST_SWEEP_DELAY_US slows the sweep down per blob, so a
 * test can upload while it runs (tests/e2e/test_server.py). */
static void sweep_delay(void)
{
    const char *v = getenv("PAIL_TEST_SWEEP_DELAY_US");
    if (v && *v)
        usleep((useconds_t)strtoul(v, NULL, 10));
}
#else
static void sweep_delay(void) {}
#endif

/* Calls blob(ctx, dir_fd, id) for every blob under objects/ab/cd/, dir_fd
 * its leaf directory; keeps going past errors and returns the last one (the
 * walk's or blob's). Names that are not ids of their directory were not made
 * by us: left alone, and logged as `what`'s stray entries. */
static enum pail_err walk_blobs(struct fstate *s, const char *what,
                                enum pail_err (*blob)(void *ctx, int dir_fd, const char *id),
                                void *ctx)
{
    DIR *top = open_dir(s->root_fd, "objects");
    if (!top)
        return PAIL_E_InternalError;
    enum pail_err e = PAIL_OK, e2;
    for (struct dirent *ab; (ab = readdir(top));) {
        if (is_dot(ab->d_name) || !fanout_name(ab->d_name))
            continue;
        DIR *mid = open_dir(dirfd(top), ab->d_name);
        if (!mid) {
            e = PAIL_E_InternalError;
            continue;
        }
        for (struct dirent *cd; (cd = readdir(mid));) {
            if (is_dot(cd->d_name) || !fanout_name(cd->d_name))
                continue;
            DIR *leaf = open_dir(dirfd(mid), cd->d_name);
            if (!leaf) {
                e = PAIL_E_InternalError;
                continue;
            }
            for (struct dirent *de; (de = readdir(leaf));) {
                const char *n = de->d_name;
                if (is_dot(n))
                    continue;
                if (!valid_id(n) || memcmp(n, ab->d_name, 2) != 0 ||
                    memcmp(n + 2, cd->d_name, 2) != 0)
                    pail_warn("data_file: %s: stray entry objects/%s/%s/%.64s", what,
                              ab->d_name, cd->d_name, n);
                else if ((e2 = blob(ctx, dirfd(leaf), n)) != PAIL_OK)
                    e = e2;
            }
            closedir(leaf);
        }
        closedir(mid);
    }
    closedir(top);
    return e;
}

struct sweep_ctx {
    struct fstate *s;
    bool (*used)(void *, const char *);
    void *ctx;
    unsigned *removed;
};

/* Removes blob id unless it is referenced or this process made it. */
static enum pail_err sweep_blob(void *vc, int dir_fd, const char *id)
{
    struct sweep_ctx *c = vc;
    sweep_delay();
    if (born_since_open(c->s, id) || c->used(c->ctx, id))
        return PAIL_OK;
    if (unlinkat(dir_fd, id, 0) == 0)
        (*c->removed)++;
    else if (errno != ENOENT)
        return io_fail("unlink", id, errno);
    return PAIL_OK;
}

static enum pail_err file_sweep(void *vs, bool (*used)(void *ctx, const char *id), void *ctx,
                                unsigned *removed)
{
    enum pail_err e1 = sweep_tmp(vs, removed);
    struct sweep_ctx c = {vs, used, ctx, removed};
    enum pail_err e2 = walk_blobs(vs, "sweep", sweep_blob, &c);
    born_end(vs);
    return e1 != PAIL_OK ? e1 : e2;
}

/* ===== 8. the operator's tools: scan, remove_temp, export ===== */

struct scan_ctx {
    void (*fn)(void *ctx, const char *name, bool temporary);
    void *ctx;
};

static enum pail_err scan_blob(void *vc, int dir_fd, const char *id)
{
    (void)dir_fd;
    struct scan_ctx *c = vc;
    c->fn(c->ctx, id, false);
    return PAIL_OK;
}

/* Reports every tmp/ entry and every blob id under objects/ab/cd/; names
 * that are not ids of their directory are logged and skipped, as the sweep
 * does, since no metadata row could name them. */
static enum pail_err file_scan(void *vs, void (*fn)(void *ctx, const char *name, bool temporary),
                               void *ctx)
{
    struct fstate *s = vs;
    DIR *t = open_dir(s->root_fd, "tmp");
    if (!t)
        return PAIL_E_InternalError;
    for (struct dirent *de; (de = readdir(t));)
        if (!is_dot(de->d_name))
            fn(ctx, de->d_name, true);
    closedir(t);
    struct scan_ctx c = {fn, ctx};
    return walk_blobs(s, "scan", scan_blob, &c);
}

/* A name scan reported: a single path component, so it cannot leave tmp/. */
static enum pail_err file_remove_temp(void *vs, const char *name)
{
    struct fstate *s = vs;
    if (!*name || strchr(name, '/') || is_dot(name))
        return PAIL_E_InvalidArgument;
    if (unlinkat(s->tmp_fd, name, 0) != 0 && errno != ENOENT)
        return io_fail("unlink tmp", name, errno);
    return PAIL_OK;
}

/* Copies src's bytes into dst's tmp/<id> and syncs it (export across
 * filesystems, where a hard link cannot be made). */
static enum pail_err copy_to_tmp(struct fstate *dst, int src, const char *id)
{
    int fd = openat(dst->tmp_fd, id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return io_fail("create tmp", id, errno);
    enum pail_err e = PAIL_OK;
    char *buf = NULL;
    off_t off = 0;
    bool kernel = true;
    for (;;) {
        ssize_t k = kernel ? copy_file_range(src, &off, fd, NULL, COPY_CHUNK, 0)
                           : bounce_copy(src, &off, fd, BOUNCE_SIZE, &buf);
        if (k < 0 && kernel && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                                errno == EOPNOTSUPP)) {
            kernel = false;
        } else if (k < 0 && errno != EINTR) {
            e = io_fail("copy", id, errno);
            break;
        } else if (k == 0) {
            break;
        }
    }
    free(buf);
    if (e == PAIL_OK && fdatasync(fd) != 0)
        e = io_fail("fdatasync", id, errno);
    if (close(fd) != 0 && e == PAIL_OK)
        e = io_fail("close", id, errno);
    if (e != PAIL_OK)
        unlinkat(dst->tmp_fd, id, 0);
    return e;
}

/* A hard link when both stores share a filesystem: blobs never change once
 * published, so the two names can share the bytes. Otherwise a copy,
 * published in dst as a commit publishes (tmp, sync, rename, dir sync). */
static enum pail_err file_export(void *vs, const char *id, void *vdst)
{
    struct fstate *s = vs, *dst = vdst;
    if (!valid_id(id))
        return PAIL_E_NoSuchKey;
    char path[ID_LEN + 8], ab[3] = {id[0], id[1], 0}, cd[3] = {id[2], id[3], 0};
    blob_path(id, path);
    int ab_fd = -1, cd_fd = -1;
    enum pail_err e = ensure_dir(dst, dst->obj_fd, ab, hex2(id), &ab_fd);
    if (e == PAIL_OK)
        e = ensure_dir(dst, ab_fd, cd, 256 + hex2(id) * 256 + hex2(id + 2), &cd_fd);
    if (e == PAIL_OK && linkat(s->obj_fd, path, cd_fd, id, 0) != 0) {
        if (errno == ENOENT) {
            e = PAIL_E_NoSuchKey;
        } else if (errno == EEXIST) {
            e = PAIL_OK; /* exported already (the same immutable bytes) */
        } else if (errno == EXDEV || errno == EPERM || errno == EMLINK) {
            int src = -1;
            uint64_t size;
            e = open_blob(s, id, &src, &size);
            if (e == PAIL_OK)
                e = copy_to_tmp(dst, src, id);
            if (src >= 0)
                close(src);
            if (e == PAIL_OK)
                e = publish(dst, id);
        } else {
            e = io_fail("link", id, errno);
        }
    }
    if (ab_fd >= 0)
        close(ab_fd);
    if (cd_fd >= 0)
        close(cd_fd);
    return e;
}

const struct pail_data_ops pail_data_file = {
    .version = 2,
    .name = "file",
    .open = file_open,
    .close = file_close,
    .writer_open = file_writer_open,
    .write = file_write,
    .commit = file_commit,
    .abort = file_abort,
    .writer_id = file_writer_id,
    .open_read = file_open_read,
    .remove = file_remove,
    .compose = file_compose,
    .sweep = file_sweep,
    .scan = file_scan,
    .remove_temp = file_remove_temp,
    .export_blob = file_export,
};
