/* store/meta_sqlite.c — the SQLite metadata backend (pail_meta_sqlite).
 * Owns <dir>/meta.db: its schema and migrations, the one connection to it and
 * the statements prepared on it. Must not: let an SQLite result code escape
 * (each is logged and mapped to a pail_err), hold a statement across calls,
 * or touch object data (only data ids, which it hands back as garbage).
 *
 * Design. One writer connection behind a mutex and a pool of READERS reader
 * connections (WAL: readers never wait for the writer); every method runs as
 * one transaction (BEGIN IMMEDIATE for writes, so a writer never upgrades
 * mid-way; BEGIN for reads, one snapshot). Writes are group-committed: COMMIT
 * only writes the WAL and the writer lock is released; the WAL's fdatasync
 * is shared by every commit that arrived meanwhile (struct sqdb). A method
 * returns PAIL_OK only once its commit is durable, and a read only once what
 * it saw is. A checkpointer thread with its own connection copies the WAL
 * back into the database (PASSIVE), so no commit waits for a checkpoint.
 * Keys are TEXT with BINARY collation: memcmp order, which is
 * S3's UTF-8 byte order. Each vtable method sq_<m> is just tx_begin → do_<m>
 * → tx_end; do_<m> does the work under the contract meta.h states for
 * pail_meta_<m>.
 *
 * Sections, in order:
 *   1. state, statement table and cache, binding, error mapping
 *   2. transactions: group commit, read barrier, reader pool, checkpointer
 *   3. open, close, schema migrations
 *   4. rows -> records, garbage collection of data ids
 *   5. buckets
 *   6. objects
 *   7. the listing walker (shared by object_list and upload_list)
 *   8. multipart uploads and parts
 *   9. upload listing, data_id_used, the vtable
 */
#include "store/meta.h"

#include "core/arena.h"
#include "core/log.h"
#include "store/meta_backends.h"
#include "util/fs_space.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ===== 1. state, statement table and cache, binding, error mapping ===== */

atomic_ulong pail__meta_sqlite_list_rows;

#define OBJ_COLS "key, size, etag, mtime_ms, data_id, content_type, headers, " \
                 "checksum_algo, checksum, checksum_type, parts, owner"
#define UPL_COLS "key, upload_id, initiated_ms, content_type, headers, " \
                 "checksum_algo, checksum_type, owner, bucket"
#define PART_COLS "part_number, size, etag, mtime_ms, data_id, checksum"

/* Every statement this backend runs, prepared once per handle on first use.
 * The *_RANGE queries bind ?3 to a zero-length BLOB for "no upper bound":
 * SQLite sorts every TEXT value before every BLOB, and unlike an OR-ed
 * "?3 IS NULL" this stays an index range bound (no scan to the bucket end). */
#define QUERIES(X)                                                              \
    X(Q_BEGIN_READ, "BEGIN")                                                    \
    X(Q_BEGIN_WRITE, "BEGIN IMMEDIATE")                                         \
    X(Q_COMMIT, "COMMIT")                                                       \
    X(Q_ROLLBACK, "ROLLBACK")                                                   \
    X(Q_SAVEPOINT, "SAVEPOINT op")                                              \
    X(Q_RELEASE, "RELEASE op")                                                  \
    X(Q_ROLLBACK_TO, "ROLLBACK TO op")                                          \
    X(Q_BUCKET_INSERT, "INSERT INTO buckets(name, created_ms, region, owner) "  \
      "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(name) DO NOTHING")                    \
    X(Q_BUCKET_GET, "SELECT name, created_ms, region, owner FROM buckets "      \
      "WHERE name = ?1")                                                        \
    X(Q_BUCKET_LIST, "SELECT name, created_ms, region, owner FROM buckets "     \
      "ORDER BY name")                                                          \
    X(Q_BUCKET_HAS_OBJECTS, "SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1")  \
    X(Q_BUCKET_PART_IDS, "SELECT p.data_id FROM uploads u JOIN parts p "        \
      "ON p.upload_id = u.upload_id WHERE u.bucket = ?1")                       \
    X(Q_BUCKET_DEL_PARTS, "DELETE FROM parts WHERE upload_id IN "               \
      "(SELECT upload_id FROM uploads WHERE bucket = ?1)")                      \
    X(Q_BUCKET_DEL_UPLOADS, "DELETE FROM uploads WHERE bucket = ?1")            \
    X(Q_BUCKET_DELETE, "DELETE FROM buckets WHERE name = ?1")                   \
    X(Q_OBJ_GET_DATA, "SELECT " OBJ_COLS ", d.bytes FROM objects o "           \
      "LEFT JOIN inline_data d ON d.n = CASE WHEN substr(o.data_id, 1, 1) = 'i' " \
      "THEN CAST(substr(o.data_id, 2) AS INTEGER) END "                         \
      "WHERE o.bucket = ?1 AND o.key = ?2")                                     \
    X(Q_OBJ_DATA_ID, "SELECT data_id FROM objects WHERE bucket = ?1 AND key = ?2") \
    X(Q_OBJ_PUT, "INSERT OR REPLACE INTO objects(bucket, " OBJ_COLS ") VALUES"  \
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")               \
    X(Q_OBJ_DELETE, "DELETE FROM objects WHERE bucket = ?1 AND key = ?2")       \
    X(Q_OBJ_RANGE, "SELECT " OBJ_COLS " FROM objects "                          \
      "WHERE bucket = ?1 AND key >= ?2 AND key < ?3 ORDER BY key")              \
    X(Q_UPL_INSERT, "INSERT INTO uploads(" UPL_COLS ") "                        \
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                             \
    X(Q_UPL_GET, "SELECT " UPL_COLS " FROM uploads WHERE upload_id = ?1")       \
    X(Q_UPL_PART_IDS, "SELECT data_id FROM parts WHERE upload_id = ?1")         \
    X(Q_UPL_DEL_PARTS, "DELETE FROM parts WHERE upload_id = ?1")                \
    X(Q_UPL_DELETE, "DELETE FROM uploads WHERE upload_id = ?1")                 \
    X(Q_UPL_OF_KEY, "SELECT " UPL_COLS " FROM uploads WHERE bucket = ?1 "       \
      "AND key = ?2 ORDER BY initiated_ms, upload_id")                          \
    X(Q_UPL_RANGE, "SELECT " UPL_COLS " FROM uploads WHERE bucket = ?1 "        \
      "AND key >= ?2 AND key < ?3 ORDER BY key, initiated_ms, upload_id")       \
    X(Q_PART_DATA_ID, "SELECT data_id FROM parts "                              \
      "WHERE upload_id = ?1 AND part_number = ?2")                              \
    X(Q_PART_PUT, "INSERT OR REPLACE INTO parts(upload_id, " PART_COLS ") "     \
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                     \
    X(Q_PART_LIST, "SELECT " PART_COLS " FROM parts WHERE upload_id = ?1 "      \
      "AND part_number > ?2 ORDER BY part_number LIMIT ?3")                     \
    X(Q_INLINE_PUT, "INSERT INTO inline_data(bytes) VALUES(?1) RETURNING n")    \
    X(Q_INLINE_DELETE, "DELETE FROM inline_data WHERE n = ?1")                  \
    X(Q_DATA_ID_USED, "SELECT EXISTS(SELECT 1 FROM objects WHERE data_id = ?1) " \
      "OR EXISTS(SELECT 1 FROM parts WHERE data_id = ?1)")

enum qid {
#define X(id, sql) id,
    QUERIES(X)
#undef X
    Q__COUNT
};

static const char *const query_sql[Q__COUNT] = {
#define X(id, sql) [id] = sql,
    QUERIES(X)
#undef X
};

_Static_assert(Q__COUNT <= 64, "the used-statement mask is a uint64_t");

/* One connection and the statements prepared on it; used by one thread at a
 * time (its owner holds the writer lock or took it from the reader pool). */
struct msq {
    sqlite3 *db;
    sqlite3_stmt *stmt[Q__COUNT];
    uint64_t used;               /* statements handed out in this transaction */
    bool explicit_tx;            /* BEGIN was run (not TX_READ_ONE, TX_PEEK) */
    bool barrier;                /* the read waits for durability (not TX_PEEK) */
};

/* TX_READ_ONE: a read that is a single statement needs no BEGIN/COMMIT (its
 * own implicit transaction is one snapshot), saving two statement runs on
 * the hottest path, GetObject. TX_PEEK: the same without read_barrier, for
 * bucket lookups: every PUT looks its bucket up first, and waiting there for
 * other writers' fsync doubled a small PUT's latency under load. What a peek
 * may show early is a bucket whose creation is a few milliseconds from
 * durable; object data and listings always wait. */
enum tx_kind { TX_WRITE, TX_READ, TX_READ_ONE, TX_PEEK };

enum { READERS = 4 };

/* The backend: one writer connection, a pool of reader connections (WAL lets
 * them read while the writer commits), and the group-commit state.
 *
 * Group commit. The writer runs with synchronous=NORMAL, so COMMIT only
 * write()s the WAL; durability comes from our own fdatasync of the WAL file,
 * done after the writer lock is released. Commits are numbered in WAL order:
 * `begun` counts commits started, `done` those whose COMMIT returned and
 * `synced` those known durable. A committer waits until synced covers its
 * number; the first waiter with no sync in flight syncs for everyone done so
 * far, and commits arriving meanwhile share the next sync. So N concurrent
 * writers cost about one fsync per fsync time, not N. */
struct sqdb {
    struct msq w;
    pthread_mutex_t wmu;         /* held for a whole write transaction */
    struct msq r[READERS];
    pthread_mutex_t rmu;
    pthread_cond_t rcv;          /* a reader came back */
    unsigned rfree;              /* bit i: r[i] is free */
    int wal_fd;
    pthread_mutex_t smu;         /* guards the counters below */
    pthread_cond_t scv;          /* synced moved, or a sync ended */
    _Atomic uint64_t begun, synced; /* atomic too: read_barrier's fast path */
    uint64_t done;
    bool syncing;
    /* Checkpoints run on their own connection and thread, so the writer
     * never copies the WAL into the database inside a commit. */
    struct msq ck;
    pthread_t ck_thread;
    bool ck_running, ck_stop;
    pthread_mutex_t ckmu;
    pthread_cond_t ckcv;         /* the WAL grew past CKPT_PAGES, or stop */
    int wal_pages;               /* as the last commit left it */
    int ckpt_pages, ckpt_backstop;
    /* Batched writes (batch_write): queued, run by one leader. */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;          /* a batch ended, or leadership is free */
    struct wop *qhead, **qtail;
    bool leading;
    int lock_fd;                 /* <dir>/meta.lock, flock'd: one process only */
};

/* One write waiting for, or running in, a batch. */
struct wop {
    enum pail_err (*fn)(struct msq *s, struct wop *op);
    const struct pail_object_rec *o;  /* object_put */
    const char *bucket, *key;         /* object_delete */
    struct pail_arena *a;             /* the caller's: it waits meanwhile */
    struct pail_garbage *g;
    enum pail_err e;
    bool done;
    struct wop *next;
};

/* The checkpointer copies the WAL back once it holds this many pages (32 MB
 * of 4 KiB pages: small PUTs rewrite the same few pages, which a checkpoint
 * copies once however often they appear, so rarer checkpoints cost less in
 * all); the writer does so itself only past CKPT_BACKSTOP, when the
 * checkpointer falls behind (or a reader's old snapshot keeps the WAL from
 * being reused). */
#define CKPT_PAGES 8000
#define CKPT_BACKSTOP 40000
/* Tests set PAIL_SQLITE_CHECKPOINT_PAGES low, so that their short loads still
 * checkpoint while serving (the power-loss test cuts around checkpoints). */
#define CKPT_ENV "PAIL_SQLITE_CHECKPOINT_PAGES"

/* Logs an SQLite failure and maps it; only SQLITE_FULL has its own code. */
static enum pail_err db_fail(struct msq *s, int rc, const char *what)
{
    pail_error("meta_sqlite: %s: %s (%d): %s", what, sqlite3_errstr(rc), rc,
               sqlite3_errmsg(s->db));
    return (rc & 0xff) == SQLITE_FULL ? PAIL_E_InsufficientStorage
                                      : PAIL_E_InternalError;
}

/* Statement q, reset and unbound, marked used so tx_end resets it again;
 * NULL (logged) if it cannot be prepared. */
static sqlite3_stmt *prep(struct msq *s, enum qid q)
{
    sqlite3_stmt *st = s->stmt[q];
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        int rc = sqlite3_prepare_v3(s->db, query_sql[q], -1,
                                    SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            db_fail(s, rc, "prepare");
            return NULL;
        }
        s->stmt[q] = st;
    }
    s->used |= UINT64_C(1) << q;
    return st;
}

/* Resets every statement handed out since the last call, so no statement
 * stays active (or bound to a caller's memory) past the current method. */
static void reset_used(struct msq *s)
{
    for (int q = 0; s->used; q++, s->used >>= 1)
        if (s->used & 1) {
            sqlite3_reset(s->stmt[q]);
            sqlite3_clear_bindings(s->stmt[q]);
        }
}

/* Binds ?1, ?2… from fmt: 's' text or NULL (SQLITE_STATIC: valid for the
 * method), 'i' int64_t, 'u' uint64_t, 'n' int, 'z' empty BLOB (no argument),
 * 'b' BLOB from two arguments, const void * and uint64_t (SQLITE_STATIC).
 * Returns an SQLite code. */
static int vbind(sqlite3_stmt *st, const char *fmt, va_list ap)
{
    int rc = SQLITE_OK;
    for (int i = 1; rc == SQLITE_OK && fmt[i - 1]; i++) {
        const char *v;
        switch (fmt[i - 1]) {
        case 's':
            v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
            break;
        case 'i': rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t)); break;
        case 'u': rc = sqlite3_bind_int64(st, i, (sqlite3_int64)va_arg(ap, uint64_t)); break;
        case 'n': rc = sqlite3_bind_int(st, i, va_arg(ap, int)); break;
        case 'z': rc = sqlite3_bind_zeroblob(st, i, 0); break;
        case 'b':
            v = va_arg(ap, const void *);
            rc = sqlite3_bind_blob64(st, i, v ? v : "", va_arg(ap, uint64_t), SQLITE_STATIC);
            break;
        default: rc = SQLITE_MISUSE;
        }
    }
    return rc;
}

/* Statement q with its parameters bound from fmt (see vbind); NULL, logged,
 * if it cannot be prepared or bound. */
static sqlite3_stmt *vquery(struct msq *s, enum qid q, const char *fmt, va_list ap)
{
    sqlite3_stmt *st = prep(s, q);
    int rc = st ? vbind(st, fmt, ap) : SQLITE_OK;
    if (rc == SQLITE_OK)
        return st;
    db_fail(s, rc, "bind");
    return NULL;
}

/* vquery with the arguments inline. */
static sqlite3_stmt *query(struct msq *s, enum qid q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = vquery(s, q, fmt, ap);
    va_end(ap);
    return st;
}

/* Runs statement q, which returns no rows. */
static enum pail_err run(struct msq *s, enum qid q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = vquery(s, q, fmt, ap);
    va_end(ap);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? PAIL_OK : db_fail(s, rc, query_sql[q]);
}

/* ===== 2. transactions ===== */

/* Makes every commit numbered up to n durable (see struct sqdb). A failed
 * fdatasync ends the process: the kernel may have dropped the unwritten
 * pages, so no later fsync could prove them durable (PostgreSQL's rule);
 * start-up recovery then works from what is on disk. */
static void wal_sync(struct sqdb *d, uint64_t n)
{
    pthread_mutex_lock(&d->smu);
    while (d->synced < n) {
        if (d->syncing) {
            pthread_cond_wait(&d->scv, &d->smu);
            continue;
        }
        d->syncing = true;
        uint64_t upto = d->done;
        pthread_mutex_unlock(&d->smu);
        if (fdatasync(d->wal_fd) != 0) {
            char buf[128];
            pail_error("meta_sqlite: fdatasync of the WAL: %s; stopping",
                       strerror_r(errno, buf, sizeof buf));
            abort();
        }
        pthread_mutex_lock(&d->smu);
        d->synced = upto;
        d->syncing = false;
        pthread_cond_broadcast(&d->scv);
    }
    pthread_mutex_unlock(&d->smu);
}

/* A reader's snapshot may include commits not yet durable (their COMMIT is
 * done, their sync is not); answering from it could show a client an object
 * that a power cut then takes back. So a read waits, after its snapshot, for
 * every commit begun so far to be synced: never longer than one fsync, and
 * not at all when no write is in flight. */
static void read_barrier(struct sqdb *d)
{
    uint64_t n = atomic_load(&d->begun);
    if (atomic_load(&d->synced) < n)
        wal_sync(d, n);
}

/* A free reader connection, waiting for one if all are busy. */
static struct msq *reader_take(struct sqdb *d)
{
    pthread_mutex_lock(&d->rmu);
    while (!d->rfree)
        pthread_cond_wait(&d->rcv, &d->rmu);
    int i = __builtin_ctz(d->rfree);
    d->rfree &= ~(1u << i);
    pthread_mutex_unlock(&d->rmu);
    return &d->r[i];
}

static void reader_give(struct sqdb *d, struct msq *s)
{
    pthread_mutex_lock(&d->rmu);
    d->rfree |= 1u << (s - d->r);
    pthread_cond_signal(&d->rcv);
    pthread_mutex_unlock(&d->rmu);
}

/* Opens a transaction: on the writer (BEGIN IMMEDIATE, so it never upgrades
 * mid-way) for TX_WRITE, else on a pooled reader (BEGIN, so a multi-statement
 * read sees one snapshot; nothing for TX_READ_ONE). *out is the connection to
 * run it on. */
static enum pail_err tx_begin(struct sqdb *d, enum tx_kind k, struct msq **out)
{
    struct msq *s;
    if (k == TX_WRITE) {
        pthread_mutex_lock(&d->wmu);
        s = &d->w;
    } else {
        s = reader_take(d);
    }
    s->explicit_tx = k == TX_WRITE || k == TX_READ;
    s->barrier = k != TX_PEEK;
    enum pail_err e = s->explicit_tx ? run(s, k == TX_WRITE ? Q_BEGIN_WRITE : Q_BEGIN_READ, "")
                                     : PAIL_OK;
    reset_used(s);
    if (e != PAIL_OK) {
        if (k == TX_WRITE)
            pthread_mutex_unlock(&d->wmu);
        else
            reader_give(d, s);
    }
    *out = s;
    return e;
}

/* Ends the transaction tx_begin opened on s: commits when e is PAIL_OK, else
 * (or when the commit fails) rolls back and empties *g, since a rolled-back
 * change freed nothing. Resets every statement used and gives the connection
 * back. A write returns only once its commit is durable (wal_sync), a read
 * once what it saw is (read_barrier). Returns e. */
static enum pail_err tx_end(struct sqdb *d, struct msq *s, enum pail_err e,
                            struct pail_garbage *g)
{
    bool write = s == &d->w;
    uint64_t n = 0;
    reset_used(s);
    if (e == PAIL_OK && write) {
        pthread_mutex_lock(&d->smu);
        n = ++d->begun;
        pthread_mutex_unlock(&d->smu);
    }
    if (e == PAIL_OK && s->explicit_tx)
        e = run(s, Q_COMMIT, "");
    reset_used(s);
    if (n) {
        pthread_mutex_lock(&d->smu);
        d->done = n; /* a failed COMMIT too: syncing past it is harmless */
        pthread_mutex_unlock(&d->smu);
    }
    if (e != PAIL_OK && !sqlite3_get_autocommit(s->db)) {
        run(s, Q_ROLLBACK, "");
        reset_used(s);
    }
    if (e != PAIL_OK && g) {
        g->ids = NULL;
        g->n = 0;
    }
    if (write) {
        pthread_mutex_unlock(&d->wmu);
        if (e == PAIL_OK)
            wal_sync(d, n);
    } else {
        bool barrier = s->barrier; /* s is another thread's once given back */
        reader_give(d, s);
        if (e == PAIL_OK && barrier)
            read_barrier(d);
    }
    return e;
}

/* Runs a batch of writes in one transaction, each inside a savepoint, so a
 * write that fails takes back only its own changes. Sets every op's e and
 * returns the commit's number (0 when nothing was committed). */
static uint64_t batch_run(struct sqdb *d, struct wop *batch)
{
    pthread_mutex_lock(&d->wmu);
    struct msq *s = &d->w;
    s->explicit_tx = true;
    enum pail_err e = run(s, Q_BEGIN_WRITE, "");
    reset_used(s);
    for (struct wop *w = batch; w; w = w->next) {
        if (e != PAIL_OK) {
            w->e = e;
            continue;
        }
        e = run(s, Q_SAVEPOINT, "");
        w->e = e != PAIL_OK ? e : w->fn(s, w);
        reset_used(s);
        if (e == PAIL_OK && w->e != PAIL_OK)
            e = run(s, Q_ROLLBACK_TO, "");
        if (e == PAIL_OK)
            e = run(s, Q_RELEASE, "");
        reset_used(s);
        if (e != PAIL_OK && w->e == PAIL_OK)
            w->e = e; /* the savepoint machinery failed: the batch ends */
    }
    uint64_t n = 0;
    if (e == PAIL_OK) {
        pthread_mutex_lock(&d->smu);
        n = ++d->begun;
        pthread_mutex_unlock(&d->smu);
        e = run(s, Q_COMMIT, "");
        reset_used(s);
        pthread_mutex_lock(&d->smu);
        d->done = n;
        pthread_mutex_unlock(&d->smu);
    }
    if (e != PAIL_OK) { /* nothing of the batch stands */
        if (!sqlite3_get_autocommit(s->db))
            run(s, Q_ROLLBACK, "");
        reset_used(s);
        n = 0;
    }
    for (struct wop *w = batch; w; w = w->next) {
        if (e != PAIL_OK && w->e == PAIL_OK)
            w->e = e;
        if (w->e != PAIL_OK && w->g) /* a rolled-back change freed nothing */
            w->g->ids = NULL, w->g->n = 0;
    }
    pthread_mutex_unlock(&d->wmu);
    return n;
}

/* Group commit one step further: writes that arrive while a batch runs queue
 * up, and the next leader (the first waiter to find leadership free) runs
 * them all in one transaction (batch_run). Fewer commits mean fewer WAL
 * frames (the pages a batch shares are written once) as well as shared
 * fsyncs. The leader gives up leadership at COMMIT, before the fsync, so the
 * next batch forms and runs while this one syncs. Returns op->e. */
static enum pail_err batch_write(struct sqdb *d, struct wop *op)
{
    pthread_mutex_lock(&d->qmu);
    op->next = NULL;
    *d->qtail = op;
    d->qtail = &op->next;
    while (!op->done) {
        if (d->leading || !d->qhead) {
            pthread_cond_wait(&d->qcv, &d->qmu);
            continue;
        }
        d->leading = true;
        struct wop *batch = d->qhead;
        d->qhead = NULL;
        d->qtail = &d->qhead;
        pthread_mutex_unlock(&d->qmu);
        uint64_t n = batch_run(d, batch);
        pthread_mutex_lock(&d->qmu);
        d->leading = false;
        pthread_cond_broadcast(&d->qcv);
        pthread_mutex_unlock(&d->qmu);
        if (n)
            wal_sync(d, n);
        pthread_mutex_lock(&d->qmu);
        for (struct wop *w = batch; w; w = w->next)
            w->done = true;
        pthread_cond_broadcast(&d->qcv);
    }
    pthread_mutex_unlock(&d->qmu);
    return op->e;
}

/* sqlite3_wal_hook on the writer, after each commit (in place of SQLite's
 * auto-checkpoint): wakes the checkpointer once the WAL is long enough, and
 * past CKPT_BACKSTOP checkpoints right here, as auto-checkpoint would. */
static int wal_grew(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct sqdb *d = arg;
    pthread_mutex_lock(&d->ckmu);
    d->wal_pages = pages;
    if (pages >= d->ckpt_pages)
        pthread_cond_signal(&d->ckcv);
    pthread_mutex_unlock(&d->ckmu);
    if (pages >= d->ckpt_backstop)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* PASSIVE checkpoints never block the writer or readers; with
 * synchronous=NORMAL each syncs the WAL before copying and the database
 * after, so the WAL is reused only once its pages are durable elsewhere. */
static void *checkpointer(void *arg)
{
    struct sqdb *d = arg;
    pthread_mutex_lock(&d->ckmu);
    while (!d->ck_stop) {
        if (d->wal_pages < d->ckpt_pages) {
            pthread_cond_wait(&d->ckcv, &d->ckmu);
            continue;
        }
        d->wal_pages = 0;
        pthread_mutex_unlock(&d->ckmu);
        int rc = sqlite3_wal_checkpoint_v2(d->ck.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            db_fail(&d->ck, rc, "checkpoint");
        pthread_mutex_lock(&d->ckmu);
    }
    pthread_mutex_unlock(&d->ckmu);
    return NULL;
}

static void checkpointer_stop(struct sqdb *d)
{
    if (!d->ck_running)
        return;
    pthread_mutex_lock(&d->ckmu);
    d->ck_stop = true;
    pthread_cond_signal(&d->ckcv);
    pthread_mutex_unlock(&d->ckmu);
    pthread_join(d->ck_thread, NULL);
    d->ck_running = false;
}

/* ===== 3. open, close, schema migrations ===== */

/* migrations[i] takes the schema from user_version i to i + 1. Append only. */
static const char *const migrations[] = {
    "CREATE TABLE buckets("
    "  name TEXT NOT NULL PRIMARY KEY,"
    "  created_ms INTEGER NOT NULL,"
    "  region TEXT NOT NULL DEFAULT '',"
    "  owner TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "CREATE TABLE objects("
    "  bucket TEXT NOT NULL REFERENCES buckets(name),"
    "  key TEXT NOT NULL,"
    "  size INTEGER NOT NULL, etag TEXT NOT NULL, mtime_ms INTEGER NOT NULL,"
    "  data_id TEXT NOT NULL, content_type TEXT, headers TEXT,"
    "  checksum_algo TEXT, checksum TEXT, checksum_type TEXT, parts TEXT,"
    "  owner TEXT, PRIMARY KEY(bucket, key)) WITHOUT ROWID;"
    "CREATE INDEX objects_data_id ON objects(data_id);"
    "CREATE TABLE uploads("
    "  upload_id TEXT NOT NULL PRIMARY KEY,"
    "  bucket TEXT NOT NULL REFERENCES buckets(name),"
    "  key TEXT NOT NULL, initiated_ms INTEGER NOT NULL,"
    "  content_type TEXT, headers TEXT, checksum_algo TEXT,"
    "  checksum_type TEXT, owner TEXT) WITHOUT ROWID;"
    "CREATE INDEX uploads_by_key ON uploads(bucket, key, initiated_ms, upload_id);"
    "CREATE TABLE parts("
    "  upload_id TEXT NOT NULL REFERENCES uploads(upload_id),"
    "  part_number INTEGER NOT NULL,"
    "  size INTEGER NOT NULL, etag TEXT NOT NULL, mtime_ms INTEGER NOT NULL,"
    "  data_id TEXT NOT NULL, checksum TEXT,"
    "  PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;"
    "CREATE INDEX parts_data_id ON parts(data_id);",
    /* 2: small objects' bytes, named INLINE_MARK + n. Outside the objects
     * table, whose listings must stay dense; keyed by the rowid, so a PUT
     * appends at the b-tree's right edge and needs no second index. A rowid
     * may be reused once its row is gone: harmless, since an inline id is
     * only ever read in the same snapshot as the object row naming it. */
    "CREATE TABLE inline_data(n INTEGER PRIMARY KEY, bytes BLOB NOT NULL);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* sqlite3_exec with the error logged and mapped. */
static enum pail_err exec(struct msq *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return PAIL_OK;
    pail_error("meta_sqlite: \"%.60s\": %s", sql, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return (rc & 0xff) == SQLITE_FULL ? PAIL_E_InsufficientStorage : PAIL_E_InternalError;
}

/* Runs a one-row, one-column query into *v (PRAGMA reads). */
static enum pail_err query_int(struct msq *s, const char *sql, int *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, sql);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? PAIL_OK : db_fail(s, rc, sql);
}

/* Writer settings: WAL (readers never block the writer), synchronous=NORMAL
 * because wal_sync makes each commit durable itself (NORMAL still syncs the
 * WAL before every checkpoint and the database after it), foreign keys, and
 * a busy timeout for other processes (an admin sqlite3 shell) holding the
 * lock. */
static enum pail_err configure(struct msq *s)
{
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    enum pail_err e = exec(s, "PRAGMA journal_mode=WAL");
    if (e == PAIL_OK)
        e = exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    int wal = 0;
    if (e == PAIL_OK)
        e = query_int(s, "SELECT journal_mode = 'wal' FROM pragma_journal_mode", &wal);
    if (e == PAIL_OK && !wal) {
        pail_error("meta_sqlite: the database refused WAL mode");
        e = PAIL_E_InternalError;
    }
    return e;
}

/* Brings the schema to SCHEMA_VERSION, one transaction per step. */
static enum pail_err migrate(struct msq *s)
{
    int v = 0;
    enum pail_err e = query_int(s, "PRAGMA user_version", &v);
    if (e == PAIL_OK && v > SCHEMA_VERSION) {
        pail_error("meta_sqlite: schema version %d is newer than this pail (%d)",
                   v, SCHEMA_VERSION);
        return PAIL_E_InternalError;
    }
    for (; e == PAIL_OK && v < SCHEMA_VERSION; v++) {
        char bump[48];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        e = exec(s, "BEGIN IMMEDIATE");
        if (e == PAIL_OK && (e = exec(s, migrations[v])) == PAIL_OK &&
            (e = exec(s, bump)) == PAIL_OK)
            e = exec(s, "COMMIT");
        if (e != PAIL_OK && !sqlite3_get_autocommit(s->db))
            exec(s, "ROLLBACK");
    }
    return e;
}

static void conn_close(struct msq *s)
{
    for (int q = 0; q < Q__COUNT; q++)
        sqlite3_finalize(s->stmt[q]);
    int rc = sqlite3_close(s->db);
    if (rc != SQLITE_OK)
        pail_error("meta_sqlite: close: %s", sqlite3_errstr(rc));
}

static void sq_close(void *state)
{
    struct sqdb *d = state;
    if (!d)
        return;
    checkpointer_stop(d);
    conn_close(&d->ck);
    for (int i = 0; i < READERS; i++)
        conn_close(&d->r[i]);
    if (d->wal_fd >= 0)
        close(d->wal_fd);
    conn_close(&d->w); /* closing it checkpoints and removes the WAL */
    if (d->lock_fd >= 0)
        close(d->lock_fd); /* last: another process may open the store now */
    pthread_mutex_destroy(&d->wmu);
    pthread_mutex_destroy(&d->rmu);
    pthread_cond_destroy(&d->rcv);
    pthread_mutex_destroy(&d->smu);
    pthread_cond_destroy(&d->scv);
    pthread_mutex_destroy(&d->ckmu);
    pthread_cond_destroy(&d->ckcv);
    pthread_mutex_destroy(&d->qmu);
    pthread_cond_destroy(&d->qcv);
    free(d);
}

/* Takes <location>/meta.lock, so a second process on the same directory fails
 * at start instead of writing behind this one's back (the backend declares
 * itself exclusive, and object records are cached on that promise). A lock
 * file of its own: flock on meta.db would be independent of SQLite's POSIX
 * locks, but closing any descriptor of meta.db drops those. */
static enum pail_err lock_store(struct sqdb *d, const char *location)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/meta.lock", location) >= (int)sizeof path)
        return PAIL_E_InternalError;
    d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd >= 0 && flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0)
        return PAIL_OK;
    char buf[128];
    if (errno == EWOULDBLOCK)
        pail_error("meta_sqlite: %s is in use by another pail process", location);
    else
        pail_error("meta_sqlite: lock %s: %s", path, strerror_r(errno, buf, sizeof buf));
    return PAIL_E_InternalError;
}

/* Opens one connection to path. Each is used by one thread at a time under
 * our own locks, so SQLite's per-connection mutex is not needed (NOMUTEX). */
static enum pail_err conn_open(struct msq *s, const char *path)
{
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                               SQLITE_OPEN_NOMUTEX, NULL);
    return rc == SQLITE_OK ? PAIL_OK : db_fail(s, rc, path);
}

/* Readers: query_only, so a bug can never write through one. */
static enum pail_err reader_open(struct msq *s, const char *path)
{
    enum pail_err e = conn_open(s, path);
    if (e != PAIL_OK)
        return e;
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    return exec(s, "PRAGMA query_only=1");
}

/* The WAL file, opened for wal_sync's fdatasync (fsync acts on the file, so
 * our descriptor covers what SQLite wrote through its own). */
static enum pail_err wal_open(struct sqdb *d)
{
    const char *wal = sqlite3_filename_wal(sqlite3_db_filename(d->w.db, "main"));
    d->wal_fd = wal ? open(wal, O_RDONLY | O_CLOEXEC) : -1;
    if (d->wal_fd >= 0)
        return PAIL_OK;
    char buf[128];
    pail_error("meta_sqlite: open %s: %s", wal ? wal : "the WAL",
               strerror_r(errno, buf, sizeof buf));
    return PAIL_E_InternalError;
}

/* The checkpointer's connection and thread. */
static enum pail_err checkpointer_start(struct sqdb *d, const char *path)
{
    const char *env = getenv(CKPT_ENV);
    d->ckpt_pages = env && atoi(env) > 0 ? atoi(env) : CKPT_PAGES;
    d->ckpt_backstop = d->ckpt_pages * (CKPT_BACKSTOP / CKPT_PAGES);
    enum pail_err e = conn_open(&d->ck, path);
    if (e == PAIL_OK) {
        sqlite3_busy_timeout(d->ck.db, 5000);
        e = exec(&d->ck, "PRAGMA synchronous=NORMAL");
    }
    if (e != PAIL_OK)
        return e;
    if (pthread_create(&d->ck_thread, NULL, checkpointer, d) != 0) {
        pail_error("meta_sqlite: cannot start the checkpointer thread");
        return PAIL_E_InternalError;
    }
    d->ck_running = true;
    /* Replaces SQLite's auto-checkpoint hook: wal_grew does its job now. */
    sqlite3_wal_hook(d->w.db, wal_grew, d);
    return PAIL_OK;
}

static enum pail_err sq_open(const char *location, void **state)
{
    *state = NULL;
    if (mkdir(location, 0700) != 0 && errno != EEXIST) {
        char buf[128];
        pail_error("meta_sqlite: mkdir %s: %s", location, strerror_r(errno, buf, sizeof buf));
        return PAIL_E_InternalError;
    }
    struct sqdb *d = calloc(1, sizeof *d);
    size_t n = strlen(location) + sizeof "/meta.db";
    char *path = malloc(n);
    if (!d || !path) {
        free(d);
        free(path);
        return PAIL_E_InternalError;
    }
    snprintf(path, n, "%s/meta.db", location);
    d->wal_fd = -1;
    d->lock_fd = -1;
    pthread_mutex_init(&d->wmu, NULL);
    pthread_mutex_init(&d->rmu, NULL);
    pthread_cond_init(&d->rcv, NULL);
    pthread_mutex_init(&d->smu, NULL);
    pthread_cond_init(&d->scv, NULL);
    pthread_mutex_init(&d->ckmu, NULL);
    pthread_cond_init(&d->ckcv, NULL);
    pthread_mutex_init(&d->qmu, NULL);
    pthread_cond_init(&d->qcv, NULL);
    d->qtail = &d->qhead;
    enum pail_err e = lock_store(d, location);
    if (e == PAIL_OK)
        e = conn_open(&d->w, path);
    if (e == PAIL_OK)
        e = configure(&d->w);
    if (e == PAIL_OK)
        e = migrate(&d->w);
    if (e == PAIL_OK)
        e = wal_open(d);
    if (e == PAIL_OK && fdatasync(d->wal_fd) != 0) /* the migrations, if any */
        e = PAIL_E_InternalError;
    for (int i = 0; i < READERS && e == PAIL_OK; i++) {
        e = reader_open(&d->r[i], path);
        d->rfree |= 1u << i;
    }
    if (e == PAIL_OK)
        e = checkpointer_start(d, path);
    free(path);
    if (e != PAIL_OK) {
        sq_close(d);
        return e;
    }
    *state = d;
    return PAIL_OK;
}

/* ===== 4. rows -> records, garbage collection of data ids ===== */

/* Column i copied into the arena; NULL for SQL NULL. */
static const char *col_str(sqlite3_stmt *st, int i, struct pail_arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    return pail_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

/* Grows an arena array of elements of size sz so that index n fits. */
static void *grow(struct pail_arena *a, void *v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = pail_arena_alloc(a, ncap * sz);
    if (n)
        memcpy(nv, v, n * sz);
    *cap = ncap;
    return nv;
}

/* A Q_BUCKET_GET/LIST row. */
static void row_bucket(sqlite3_stmt *st, struct pail_arena *a, struct pail_bucket_rec *b)
{
    b->name = col_str(st, 0, a);
    b->created_ms = sqlite3_column_int64(st, 1);
    b->region = col_str(st, 2, a);
    b->owner = col_str(st, 3, a);
}

/* An OBJ_COLS row; bucket is already arena-owned. */
static void row_object(sqlite3_stmt *st, struct pail_arena *a, const char *bucket,
                       struct pail_object_rec *o)
{
    o->bucket = bucket;
    o->key = col_str(st, 0, a);
    o->size = (uint64_t)sqlite3_column_int64(st, 1);
    o->etag = col_str(st, 2, a);
    o->mtime_ms = sqlite3_column_int64(st, 3);
    o->data_id = col_str(st, 4, a);
    o->content_type = col_str(st, 5, a);
    o->headers = col_str(st, 6, a);
    o->checksum_algo = col_str(st, 7, a);
    o->checksum = col_str(st, 8, a);
    o->checksum_type = col_str(st, 9, a);
    o->parts = col_str(st, 10, a);
    o->owner = col_str(st, 11, a);
    o->inline_data = NULL;
}

/* An UPL_COLS row. */
static void row_upload(sqlite3_stmt *st, struct pail_arena *a, struct pail_upload_rec *u)
{
    u->key = col_str(st, 0, a);
    u->upload_id = col_str(st, 1, a);
    u->initiated_ms = sqlite3_column_int64(st, 2);
    u->content_type = col_str(st, 3, a);
    u->headers = col_str(st, 4, a);
    u->checksum_algo = col_str(st, 5, a);
    u->checksum_type = col_str(st, 6, a);
    u->owner = col_str(st, 7, a);
    u->bucket = col_str(st, 8, a);
}

/* Data ids a change may orphan, gathered before it runs. */
struct idvec {
    const char **v;
    size_t n, cap;
};

/* Appends column 0 of every row of query q (bound from fmt) to iv. */
static enum pail_err collect_q(struct msq *s, struct pail_arena *a, struct idvec *iv,
                               enum qid q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = vquery(s, q, fmt, ap);
    va_end(ap);
    if (!st)
        return PAIL_E_InternalError;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        iv->v = grow(a, iv->v, iv->n, &iv->cap, sizeof *iv->v);
        iv->v[iv->n++] = col_str(st, 0, a);
    }
    return rc == SQLITE_DONE ? PAIL_OK : db_fail(s, rc, "collect ids");
}

/* True (or an error) when any object or part references id. */
static enum pail_err id_used(struct msq *s, const char *id, bool *used)
{
    sqlite3_stmt *st = query(s, Q_DATA_ID_USED, "s", id);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return db_fail(s, rc, "data id used");
    *used = sqlite3_column_int(st, 0) != 0;
    return PAIL_OK;
}

/* Ids of inline data (meta.h: pail_object_rec.inline_data) are this letter
 * and the inline_data row number; data-backend ids are lower-case hex, so
 * the two never mix. */
#define INLINE_MARK 'i'

/* true, with its row number in *n, when id names inline data. */
static bool inline_number(const char *id, int64_t *n)
{
    if (id[0] != INLINE_MARK)
        return false;
    char *end;
    *n = strtoll(id + 1, &end, 10);
    return id[1] && !*end;
}

/* After the change: garbage = the candidates nothing references any more
 * (a re-put of the same data id, or a part's blob reused as the object's,
 * is therefore never returned). Unreferenced inline data is deleted here, in
 * the same transaction, and never becomes garbage. */
static enum pail_err garbage_finish(struct msq *s, struct idvec *iv, struct pail_garbage *g)
{
    size_t kept = 0;
    for (size_t i = 0; i < iv->n; i++) {
        int64_t n;
        if (inline_number(iv->v[i], &n)) { /* never shared: one row, one id */
            enum pail_err e = run(s, Q_INLINE_DELETE, "i", n);
            if (e != PAIL_OK)
                return e;
            continue;
        }
        bool used = true;
        enum pail_err e = id_used(s, iv->v[i], &used);
        if (e != PAIL_OK)
            return e;
        if (!used)
            iv->v[kept++] = iv->v[i];
    }
    g->ids = iv->v;
    g->n = kept;
    return PAIL_OK;
}

/* ===== 5. buckets ===== */

/* PAIL_OK when bucket `name` exists, else NoSuchBucket (or an error). */
static enum pail_err bucket_check(struct msq *s, const char *name)
{
    sqlite3_stmt *st = query(s, Q_BUCKET_GET, "s", name);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return PAIL_OK;
    return rc == SQLITE_DONE ? PAIL_E_NoSuchBucket : db_fail(s, rc, "bucket get");
}

/* Same owner → BucketAlreadyOwnedByYou; another owner → BucketAlreadyExists
 * (S3 answers differently for the two). */
static enum pail_err do_bucket_create(struct msq *s, const struct pail_bucket_rec *b)
{
    const char *owner = b->owner ? b->owner : "";
    enum pail_err e = run(s, Q_BUCKET_INSERT, "siss", b->name, b->created_ms,
                          b->region ? b->region : "", owner);
    if (e != PAIL_OK || sqlite3_changes(s->db) == 1)
        return e;
    if ((e = bucket_check(s, b->name)) != PAIL_OK) /* it exists: we are in its tx */
        return e;
    const char *have = (const char *)sqlite3_column_text(s->stmt[Q_BUCKET_GET], 3);
    return have && strcmp(have, owner) == 0 ? PAIL_E_BucketAlreadyOwnedByYou
                                            : PAIL_E_BucketAlreadyExists;
}

static enum pail_err sq_bucket_create(void *vs, const struct pail_bucket_rec *b)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_bucket_create(s, b), NULL);
}

static enum pail_err do_bucket_get(struct msq *s, const char *name, struct pail_arena *a,
                                   struct pail_bucket_rec *out)
{
    enum pail_err e = bucket_check(s, name);
    if (e == PAIL_OK)
        row_bucket(s->stmt[Q_BUCKET_GET], a, out);
    return e;
}

static enum pail_err sq_bucket_get(void *vs, const char *name, struct pail_arena *a,
                                   struct pail_bucket_rec *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_PEEK, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_bucket_get(s, name, a, out), NULL);
}

static enum pail_err do_bucket_delete(struct msq *s, const char *name, struct pail_arena *a,
                                      struct pail_garbage *g)
{
    enum pail_err e = bucket_check(s, name);
    if (e != PAIL_OK)
        return e;
    sqlite3_stmt *st = query(s, Q_BUCKET_HAS_OBJECTS, "s", name);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return PAIL_E_BucketNotEmpty;
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, "bucket has objects");
    struct idvec iv = {0};
    if ((e = collect_q(s, a, &iv, Q_BUCKET_PART_IDS, "s", name)) != PAIL_OK ||
        (e = run(s, Q_BUCKET_DEL_PARTS, "s", name)) != PAIL_OK ||
        (e = run(s, Q_BUCKET_DEL_UPLOADS, "s", name)) != PAIL_OK ||
        (e = run(s, Q_BUCKET_DELETE, "s", name)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_bucket_delete(void *vs, const char *name, struct pail_arena *a,
                                      struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_bucket_delete(s, name, a, g), g);
}

static enum pail_err do_bucket_list(struct msq *s, struct pail_arena *a,
                                    struct pail_bucket_rec **out, size_t *n)
{
    sqlite3_stmt *st = query(s, Q_BUCKET_LIST, "");
    if (!st)
        return PAIL_E_InternalError;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = grow(a, *out, *n, &cap, sizeof **out);
        row_bucket(st, a, &(*out)[(*n)++]);
    }
    return rc == SQLITE_DONE ? PAIL_OK : db_fail(s, rc, "bucket list");
}

static enum pail_err sq_bucket_list(void *vs, struct pail_arena *a,
                                    struct pail_bucket_rec **out, size_t *n)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_bucket_list(s, a, out, n), NULL);
}

/* ===== 6. objects ===== */

/* Inserts or replaces object o (its bucket is known to exist). */
static enum pail_err object_write(struct msq *s, const struct pail_object_rec *o)
{
    return run(s, Q_OBJ_PUT, "ssusissssssss", o->bucket, o->key, o->size, o->etag, o->mtime_ms,
               o->data_id, o->content_type, o->headers, o->checksum_algo, o->checksum,
               o->checksum_type, o->parts, o->owner);
}

/* Stores o's inline data under a fresh id, written to *id (arena). */
static enum pail_err inline_put(struct msq *s, const struct pail_object_rec *o,
                                struct pail_arena *a, const char **id)
{
    sqlite3_stmt *st = query(s, Q_INLINE_PUT, "b", o->inline_data, o->size);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return db_fail(s, rc, "inline put");
    *id = pail_arena_printf(a, "%c%lld", INLINE_MARK, (long long)sqlite3_column_int64(st, 0));
    return PAIL_OK;
}

static enum pail_err do_object_put(struct msq *s, const struct pail_object_rec *o,
                                   struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    struct pail_object_rec rec = *o;
    enum pail_err e;
    if ((e = bucket_check(s, o->bucket)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", o->bucket, o->key)) != PAIL_OK ||
        (o->inline_data && (e = inline_put(s, o, a, &rec.data_id)) != PAIL_OK) ||
        (e = object_write(s, &rec)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err op_object_put(struct msq *s, struct wop *w)
{
    return do_object_put(s, w->o, w->a, w->g);
}

static enum pail_err sq_object_put(void *vs, const struct pail_object_rec *o,
                                   struct pail_arena *a, struct pail_garbage *g)
{
    struct sqdb *d = vs;
    if (o->inline_data && !pail_fs_room(d->wal_fd, o->size))
        return PAIL_E_InsufficientStorage;
    struct wop op = {.fn = op_object_put, .o = o, .a = a, .g = g};
    return batch_write(d, &op);
}

/* out->inline_data from column i of st (an arena copy). */
static enum pail_err inline_copy(struct msq *s, sqlite3_stmt *st, int i, struct pail_arena *a,
                                 struct pail_object_rec *out)
{
    const void *p = sqlite3_column_blob(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return db_fail(s, SQLITE_CORRUPT, "inline data missing");
    if (n != out->size)
        return db_fail(s, SQLITE_CORRUPT, "inline data has the wrong size");
    void *copy = pail_arena_alloc(a, n ? n : 1);
    if (n)
        memcpy(copy, p, n);
    out->inline_data = copy;
    return PAIL_OK;
}

/* One statement (TX_READ_ONE): the row and, for an inline object, its bytes
 * are read in one snapshot. The bucket is looked up only on a miss. */
static enum pail_err do_object_get(struct msq *s, const char *bucket, const char *key,
                                   struct pail_arena *a, struct pail_object_rec *out)
{
    sqlite3_stmt *st = query(s, Q_OBJ_GET_DATA, "ss", bucket, key);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_object(st, a, pail_arena_strdup(a, bucket), out);
        int64_t n;
        return inline_number(out->data_id, &n) ? inline_copy(s, st, 12, a, out) : PAIL_OK;
    }
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, "object get");
    enum pail_err e = bucket_check(s, bucket);
    return e == PAIL_OK ? PAIL_E_NoSuchKey : e;
}

static enum pail_err sq_object_get(void *vs, const char *bucket, const char *key,
                                   struct pail_arena *a, struct pail_object_rec *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_READ_ONE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_object_get(s, bucket, key, a, out), NULL);
}

static enum pail_err do_object_delete(struct msq *s, const char *bucket, const char *key,
                                      struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = bucket_check(s, bucket)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", bucket, key)) != PAIL_OK)
        return e;
    if (iv.n == 0)
        return PAIL_OK; /* absent: S3 DeleteObject still succeeds */
    if ((e = run(s, Q_OBJ_DELETE, "ss", bucket, key)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err op_object_delete(struct msq *s, struct wop *w)
{
    return do_object_delete(s, w->bucket, w->key, w->a, w->g);
}

static enum pail_err sq_object_delete(void *vs, const char *bucket, const char *key,
                                      struct pail_arena *a, struct pail_garbage *g)
{
    struct wop op = {.fn = op_object_delete, .bucket = bucket, .key = key, .a = a, .g = g};
    return batch_write(vs, &op);
}

/* DeleteObjects: every key in one transaction, so a batch of 1,000 costs one
 * commit (one WAL fsync) instead of 1,000. */
static enum pail_err do_object_delete_many(struct msq *s, const char *bucket,
                                           const char *const *keys, size_t n,
                                           struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e = bucket_check(s, bucket);
    for (size_t i = 0; i < n && e == PAIL_OK; i++) {
        size_t before = iv.n;
        e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", bucket, keys[i]);
        if (e == PAIL_OK && iv.n > before)
            e = run(s, Q_OBJ_DELETE, "ss", bucket, keys[i]);
    }
    return e != PAIL_OK ? e : garbage_finish(s, &iv, g);
}

static enum pail_err sq_object_delete_many(void *vs, const char *bucket,
                                           const char *const *keys, size_t n,
                                           struct pail_arena *a, struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_object_delete_many(s, bucket, keys, n, a, g), g);
}

/* ===== 7. the listing walker ===== */

/* One listing in progress. The walker visits rows of a *_RANGE query (column
 * 0 = key) in key order between the prefix and its upper bound, skips keys
 * <= after, rolls keys containing the delimiter (after the prefix) into
 * common prefixes, and hands each resulting entry to on_row / on_prefix until
 * max entries are out; one more entry existing sets truncated. */
struct walk {
    struct msq *s;
    enum qid q;
    const char *bucket;              /* arena copy */
    const char *prefix, *delim, *after;
    size_t plen, dlen, alen;
    unsigned max, n;
    bool truncated;
    struct pail_arena *a;
    void (*on_row)(struct walk *w, sqlite3_stmt *st);
    void (*on_prefix)(struct walk *w, const char *cp);
    void *out;                       /* pail_list_out or pail_uploads_out */
    size_t cap_rows, cap_prefixes;
};

enum { WALK_NEXT, WALK_SEEK, WALK_STOP };

/* memcmp order with the shorter string first on a tie: S3's key order. */
static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* The smallest string greater than every string beginning with p[0..n): p
 * without its trailing 0xFF bytes, last byte plus one. NULL when there is
 * none (p empty or all 0xFF): the range is then unbounded above. */
static const char *upper_bound(struct pail_arena *a, const char *p, size_t n)
{
    while (n > 0 && (unsigned char)p[n - 1] == 0xFF)
        n--;
    if (n == 0)
        return NULL;
    char *u = pail_arena_strndup(a, p, n);
    u[n - 1] = (char)((unsigned char)u[n - 1] + 1);
    return u;
}

/* Counts one more entry, or marks the page truncated when it is full. */
static bool walk_take(struct walk *w)
{
    if (w->n == w->max) {
        w->truncated = true;
        return false;
    }
    w->n++;
    return true;
}

/* Handles one row; on WALK_SEEK *lo is where the next range query starts
 * (NULL: nothing can follow). */
static int walk_row(struct walk *w, sqlite3_stmt *st, const char **lo)
{
    const char *key = (const char *)sqlite3_column_text(st, 0);
    size_t klen = (size_t)sqlite3_column_bytes(st, 0);
    if (!key || cmp_bytes(key, klen, w->after, w->alen) <= 0)
        return WALK_NEXT;
    const char *d = NULL;
    if (w->dlen && klen > w->plen)
        d = memmem(key + w->plen, klen - w->plen, w->delim, w->dlen);
    if (!d) {
        if (!walk_take(w))
            return WALK_STOP;
        w->on_row(w, st);
        return WALK_NEXT;
    }
    size_t cplen = (size_t)(d - key) + w->dlen;
    /* A prefix <= after was returned by an earlier page (after is it, or a
     * key inside it): skip it, but still jump over its whole group. */
    if (cmp_bytes(key, cplen, w->after, w->alen) > 0) {
        if (!walk_take(w))
            return WALK_STOP;
        w->on_prefix(w, pail_arena_strndup(w->a, key, cplen));
    }
    *lo = upper_bound(w->a, key, cplen);
    return WALK_SEEK;
}

/* Runs the walk: one indexed range query per common prefix emitted (plus the
 * first), so a rolled-up group costs one row, not one row per key in it. */
static enum pail_err walk_run(struct walk *w)
{
    const char *lo = cmp_bytes(w->after, w->alen, w->prefix, w->plen) > 0 ? w->after : w->prefix;
    const char *hi = upper_bound(w->a, w->prefix, w->plen);
    while (lo) {
        sqlite3_stmt *st = query(w->s, w->q, hi ? "sss" : "ssz", w->bucket, lo, hi);
        if (!st)
            return PAIL_E_InternalError;
        int rc, act = WALK_NEXT;
        const char *next = NULL;
        while (act == WALK_NEXT && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            atomic_fetch_add_explicit(&pail__meta_sqlite_list_rows, 1, memory_order_relaxed);
            act = walk_row(w, st, &next);
        }
        if (act == WALK_STOP)
            return PAIL_OK;
        if (act == WALK_NEXT)
            return rc == SQLITE_DONE ? PAIL_OK : db_fail(w->s, rc, "list");
        if (next && cmp_bytes(next, strlen(next), lo, strlen(lo)) <= 0) {
            pail_error("meta_sqlite: list: seek did not advance"); /* never loop */
            return PAIL_E_InternalError;
        }
        lo = next;
    }
    return PAIL_OK;
}

/* Sets up a walk over query q of bucket with the given prefix/delimiter/after
 * (NULL taken as ""). */
static void walk_init(struct walk *w, struct msq *s, enum qid q, const char *bucket,
                      const char *prefix, const char *delim, const char *after,
                      unsigned max, struct pail_arena *a, void *out)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    w->q = q;
    w->bucket = pail_arena_strdup(a, bucket);
    w->prefix = prefix ? prefix : "";
    w->delim = delim ? delim : "";
    w->after = after ? after : "";
    w->plen = strlen(w->prefix);
    w->dlen = strlen(w->delim);
    w->alen = strlen(w->after);
    w->max = max;
    w->a = a;
    w->out = out;
}

/* Walk callbacks for object_list: append the row's record or the common
 * prefix, and keep `last` (NextMarker) on the newest entry. */
static void obj_on_row(struct walk *w, sqlite3_stmt *st)
{
    struct pail_list_out *out = w->out;
    out->objects = grow(w->a, out->objects, out->nobjects, &w->cap_rows, sizeof *out->objects);
    struct pail_object_rec *o = &out->objects[out->nobjects++];
    row_object(st, w->a, w->bucket, o);
    out->last = o->key;
}

static void obj_on_prefix(struct walk *w, const char *cp)
{
    struct pail_list_out *out = w->out;
    out->prefixes = grow(w->a, out->prefixes, out->nprefixes, &w->cap_prefixes,
                         sizeof *out->prefixes);
    out->prefixes[out->nprefixes++] = cp;
    out->last = cp;
}

static enum pail_err do_object_list(struct msq *s, const char *bucket,
                                    const struct pail_list_opts *o, struct pail_arena *a,
                                    struct pail_list_out *out)
{
    enum pail_err e = bucket_check(s, bucket);
    if (e != PAIL_OK)
        return e;
    struct walk w;
    walk_init(&w, s, Q_OBJ_RANGE, bucket, o->prefix, o->delimiter, o->after, o->max, a, out);
    w.on_row = obj_on_row;
    w.on_prefix = obj_on_prefix;
    e = walk_run(&w);
    out->truncated = w.truncated;
    return e;
}

static enum pail_err sq_object_list(void *vs, const char *bucket,
                                    const struct pail_list_opts *o, struct pail_arena *a,
                                    struct pail_list_out *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_object_list(s, bucket, o, a, out), NULL);
}

/* ===== 8. multipart uploads and parts ===== */

/* Finds upload_id; NoSuchUpload if absent or (bucket/key given) it belongs
 * elsewhere. Copies it into *out when out is not NULL. */
static enum pail_err upload_find(struct msq *s, const char *upload_id, const char *bucket,
                                 const char *key, struct pail_arena *a,
                                 struct pail_upload_rec *out)
{
    sqlite3_stmt *st = query(s, Q_UPL_GET, "s", upload_id);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return PAIL_E_NoSuchUpload;
    if (rc != SQLITE_ROW)
        return db_fail(s, rc, "upload get");
    const char *k = (const char *)sqlite3_column_text(st, 0);
    const char *b = (const char *)sqlite3_column_text(st, 8);
    if ((key && (!k || strcmp(k, key) != 0)) || (bucket && (!b || strcmp(b, bucket) != 0)))
        return PAIL_E_NoSuchUpload;
    if (out)
        row_upload(st, a, out);
    return PAIL_OK;
}

static enum pail_err do_upload_create(struct msq *s, const struct pail_upload_rec *u)
{
    enum pail_err e = bucket_check(s, u->bucket);
    if (e != PAIL_OK)
        return e;
    return run(s, Q_UPL_INSERT, "ssissssss", u->key, u->upload_id, u->initiated_ms,
               u->content_type, u->headers, u->checksum_algo, u->checksum_type, u->owner,
               u->bucket);
}

static enum pail_err sq_upload_create(void *vs, const struct pail_upload_rec *u)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_upload_create(s, u), NULL);
}

static enum pail_err sq_upload_get(void *vs, const char *bucket, const char *key,
                                   const char *upload_id, struct pail_arena *a,
                                   struct pail_upload_rec *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : tx_end(d, s, upload_find(s, upload_id, bucket, key, a, out), NULL);
}

/* Collects the part's old data id (if any), then writes the part. */
static enum pail_err do_part_put(struct msq *s, const struct pail_part_rec *p,
                                 struct pail_arena *a, struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = upload_find(s, p->upload_id, NULL, NULL, a, NULL)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_PART_DATA_ID, "sn", p->upload_id, p->part_number)) !=
            PAIL_OK ||
        (e = run(s, Q_PART_PUT, "snusiss", p->upload_id, p->part_number, p->size, p->etag,
                 p->mtime_ms, p->data_id, p->checksum)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_part_put(void *vs, const struct pail_part_rec *p,
                                 struct pail_arena *a, struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_part_put(s, p, a, g), g);
}

/* Fetches max + 1 parts: the extra one only decides `truncated`. */
static enum pail_err do_part_list(struct msq *s, const char *upload_id, int after_part,
                                  unsigned max, struct pail_arena *a, struct pail_parts_out *out)
{
    enum pail_err e = upload_find(s, upload_id, NULL, NULL, a, NULL);
    if (e != PAIL_OK)
        return e;
    sqlite3_stmt *st = query(s, Q_PART_LIST, "sni", upload_id, after_part, (int64_t)max + 1);
    if (!st)
        return PAIL_E_InternalError;
    const char *uid = pail_arena_strdup(a, upload_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->nparts == max) {
            out->truncated = true;
            return PAIL_OK;
        }
        out->parts = grow(a, out->parts, out->nparts, &cap, sizeof *out->parts);
        struct pail_part_rec *p = &out->parts[out->nparts++];
        p->upload_id = uid;
        p->part_number = sqlite3_column_int(st, 0);
        p->size = (uint64_t)sqlite3_column_int64(st, 1);
        p->etag = col_str(st, 2, a);
        p->mtime_ms = sqlite3_column_int64(st, 3);
        p->data_id = col_str(st, 4, a);
        p->checksum = col_str(st, 5, a);
        out->next_marker = p->part_number;
    }
    return rc == SQLITE_DONE ? PAIL_OK : db_fail(s, rc, "part list");
}

static enum pail_err sq_part_list(void *vs, const char *upload_id, int after_part,
                                  unsigned max, struct pail_arena *a, struct pail_parts_out *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_part_list(s, upload_id, after_part, max, a, out), NULL);
}

/* Removes an upload and its parts, collecting the parts' data ids. */
static enum pail_err upload_drop(struct msq *s, const char *upload_id, struct pail_arena *a,
                                 struct idvec *iv)
{
    enum pail_err e;
    if ((e = collect_q(s, a, iv, Q_UPL_PART_IDS, "s", upload_id)) != PAIL_OK ||
        (e = run(s, Q_UPL_DEL_PARTS, "s", upload_id)) != PAIL_OK)
        return e;
    return run(s, Q_UPL_DELETE, "s", upload_id);
}

static enum pail_err do_upload_complete(struct msq *s, const char *upload_id,
                                        const struct pail_object_rec *o, struct pail_arena *a,
                                        struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = upload_find(s, upload_id, o->bucket, o->key, a, NULL)) != PAIL_OK ||
        (e = collect_q(s, a, &iv, Q_OBJ_DATA_ID, "ss", o->bucket, o->key)) != PAIL_OK ||
        (e = upload_drop(s, upload_id, a, &iv)) != PAIL_OK ||
        (e = object_write(s, o)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_upload_complete(void *vs, const char *upload_id,
                                        const struct pail_object_rec *o, struct pail_arena *a,
                                        struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_upload_complete(s, upload_id, o, a, g), g);
}

static enum pail_err do_upload_abort(struct msq *s, const char *bucket, const char *key,
                                     const char *upload_id, struct pail_arena *a,
                                     struct pail_garbage *g)
{
    struct idvec iv = {0};
    enum pail_err e;
    if ((e = upload_find(s, upload_id, bucket, key, a, NULL)) != PAIL_OK ||
        (e = upload_drop(s, upload_id, a, &iv)) != PAIL_OK)
        return e;
    return garbage_finish(s, &iv, g);
}

static enum pail_err sq_upload_abort(void *vs, const char *bucket, const char *key,
                                     const char *upload_id, struct pail_arena *a,
                                     struct pail_garbage *g)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_WRITE, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_upload_abort(s, bucket, key, upload_id, a, g), g);
}

/* ===== 9. upload listing, data_id_used, the vtable ===== */

/* Walk callbacks for upload_list: as for objects, but the next markers are
 * (key, upload id) of the newest entry, or (prefix, NULL). */
static void upl_on_row(struct walk *w, sqlite3_stmt *st)
{
    struct pail_uploads_out *out = w->out;
    out->uploads = grow(w->a, out->uploads, out->nuploads, &w->cap_rows, sizeof *out->uploads);
    struct pail_upload_rec *u = &out->uploads[out->nuploads++];
    row_upload(st, w->a, u);
    out->next_key_marker = u->key;
    out->next_upload_id_marker = u->upload_id;
}

static void upl_on_prefix(struct walk *w, const char *cp)
{
    struct pail_uploads_out *out = w->out;
    out->prefixes = grow(w->a, out->prefixes, out->nprefixes, &w->cap_prefixes,
                         sizeof *out->prefixes);
    out->prefixes[out->nprefixes++] = cp;
    out->next_key_marker = cp;
    out->next_upload_id_marker = NULL;
}

/* The rest of key_marker's own uploads, after upload_id_marker in (initiated,
 * id) order. AWS: "uploads for a key equal to the key-marker might be
 * included … only if they have an upload ID lexicographically greater than
 * the upload-id-marker"; we use that rule only when the marker upload is
 * gone, since our order within a key is initiation time. Only called when
 * key_marker itself lies under the prefix and does not roll up. */
static enum pail_err upl_marker_rest(struct walk *w, const char *key_marker,
                                     const char *id_marker)
{
    struct pail_upload_rec m = {0};
    enum pail_err e = upload_find(w->s, id_marker, w->bucket, key_marker, w->a, &m);
    if (e != PAIL_OK && e != PAIL_E_NoSuchUpload)
        return e;
    bool found = e == PAIL_OK;
    sqlite3_stmt *st = query(w->s, Q_UPL_OF_KEY, "ss", w->bucket, key_marker);
    if (!st)
        return PAIL_E_InternalError;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 2);
        int c = strcmp((const char *)sqlite3_column_text(st, 1), id_marker);
        bool after = found ? (t > m.initiated_ms || (t == m.initiated_ms && c > 0)) : c > 0;
        if (!after)
            continue;
        if (!walk_take(w))
            return PAIL_OK;
        w->on_row(w, st);
    }
    return rc == SQLITE_DONE ? PAIL_OK : db_fail(w->s, rc, "uploads of key");
}

static enum pail_err do_upload_list(struct msq *s, const char *bucket,
                                    const struct pail_uploads_opts *o, struct pail_arena *a,
                                    struct pail_uploads_out *out)
{
    enum pail_err e = bucket_check(s, bucket);
    if (e != PAIL_OK)
        return e;
    struct walk w;
    walk_init(&w, s, Q_UPL_RANGE, bucket, o->prefix, o->delimiter, o->key_marker, o->max,
              a, out);
    w.on_row = upl_on_row;
    w.on_prefix = upl_on_prefix;
    /* The marker key's own later uploads come first; the walk then starts
     * strictly after the marker key. */
    bool marker_listable = w.alen && o->upload_id_marker && o->upload_id_marker[0] &&
                           w.alen >= w.plen && memcmp(w.after, w.prefix, w.plen) == 0 &&
                           !(w.dlen && memmem(w.after + w.plen, w.alen - w.plen, w.delim, w.dlen));
    if (marker_listable)
        e = upl_marker_rest(&w, w.after, o->upload_id_marker);
    if (e == PAIL_OK && !w.truncated)
        e = walk_run(&w);
    out->truncated = w.truncated;
    return e;
}

static enum pail_err sq_upload_list(void *vs, const char *bucket,
                                    const struct pail_uploads_opts *o, struct pail_arena *a,
                                    struct pail_uploads_out *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : tx_end(d, s, do_upload_list(s, bucket, o, a, out), NULL);
}

/* On any error this answers true: the sweep must never delete data because
 * the database could not be read. */
static bool sq_data_id_used(void *vs, const char *data_id)
{
    struct sqdb *d = vs;
    struct msq *s;
    if (tx_begin(d, TX_READ, &s) != PAIL_OK)
        return true;
    bool used = true;
    tx_end(d, s, id_used(s, data_id, &used), NULL);
    return used;
}

const struct pail_meta_ops pail_meta_sqlite = {
    .version = 4,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .bucket_create = sq_bucket_create,
    .bucket_get = sq_bucket_get,
    .bucket_delete = sq_bucket_delete,
    .bucket_list = sq_bucket_list,
    .object_put = sq_object_put,
    .object_get = sq_object_get,
    .object_delete = sq_object_delete,
    .object_list = sq_object_list,
    .upload_create = sq_upload_create,
    .upload_get = sq_upload_get,
    .part_put = sq_part_put,
    .part_list = sq_part_list,
    .upload_complete = sq_upload_complete,
    .upload_abort = sq_upload_abort,
    .upload_list = sq_upload_list,
    .data_id_used = sq_data_id_used,
    .object_delete_many = sq_object_delete_many,
    .exclusive = true, /* lock_store */
};
