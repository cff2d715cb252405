/* store/meta_sqlite_db.c — the database under the SQLite metadata backend
 * (see meta_sqlite_db.h for the backend's files). Owns <dir>/meta.db and
 * <dir>/meta.lock: the schema and its migrations, the connections and the
 * statements prepared on them, and every transaction. Must not: let an
 * SQLite result code escape (each is logged and mapped to a pail_err), or
 * hold a statement across calls.
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
 * Keys are TEXT with BINARY collation: memcmp order, which is S3's UTF-8
 * byte order.
 *
 * Sections: 1. statement table and cache, binding, error mapping;
 * 2. transactions: group commit, read barrier, reader pool, batches,
 * checkpointer; 3. open, close, schema migrations. */
#include "store/meta_sqlite_db.h"

#include "core/log.h"
#include "core/stats.h"

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

/* ===== 1. statement table and cache, binding, error mapping ===== */

static const char *const query_sql[Q__COUNT] = {
#define X(id, sql) [id] = sql,
    QUERIES(X)
#undef X
};

_Static_assert(Q__COUNT <= 64, "the used-statement mask is a uint64_t");

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
enum pail_err msq_fail(struct msq *s, int rc, const char *what)
{
    pail_error("meta_sqlite: %s: %s (%d): %s", what, sqlite3_errstr(rc), rc,
               sqlite3_errmsg(s->db));
    return (rc & 0xff) == SQLITE_FULL ? PAIL_E_InsufficientStorage
                                      : PAIL_E_InternalError;
}

/* Statement q, reset and unbound, marked used so msq_tx_end resets it again;
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
            msq_fail(s, rc, "prepare");
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
sqlite3_stmt *msq_vquery(struct msq *s, enum qid q, const char *fmt, va_list ap)
{
    sqlite3_stmt *st = prep(s, q);
    int rc = st ? vbind(st, fmt, ap) : SQLITE_OK;
    if (rc == SQLITE_OK)
        return st;
    msq_fail(s, rc, "bind");
    return NULL;
}

/* vquery with the arguments inline. */
sqlite3_stmt *msq_query(struct msq *s, enum qid q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = msq_vquery(s, q, fmt, ap);
    va_end(ap);
    return st;
}

/* Runs statement q, which returns no rows. */
enum pail_err msq_run(struct msq *s, enum qid q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = msq_vquery(s, q, fmt, ap);
    va_end(ap);
    if (!st)
        return PAIL_E_InternalError;
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(s, rc, query_sql[q]);
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
        uint64_t t0 = pail_stats_now_us();
        if (fdatasync(d->wal_fd) != 0) {
            char buf[128];
            pail_error("meta_sqlite: fdatasync of the WAL: %s; stopping",
                       strerror_r(errno, buf, sizeof buf));
            abort();
        }
        pail_hist_observe(&pail_stat_wal_fsync_us, pail_stats_now_us() - t0);
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
enum pail_err msq_tx_begin(struct sqdb *d, enum tx_kind k, struct msq **out)
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
    enum pail_err e = s->explicit_tx ? msq_run(s, k == TX_WRITE ? Q_BEGIN_WRITE : Q_BEGIN_READ, "")
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

/* Ends the transaction msq_tx_begin opened on s: commits when e is PAIL_OK, else
 * (or when the commit fails) rolls back and empties *g, since a rolled-back
 * change freed nothing. Resets every statement used and gives the connection
 * back. A write returns only once its commit is durable (wal_sync), a read
 * once what it saw is (read_barrier). Returns e. */
enum pail_err msq_tx_end(struct sqdb *d, struct msq *s, enum pail_err e,
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
        e = msq_run(s, Q_COMMIT, "");
    reset_used(s);
    if (n) {
        pthread_mutex_lock(&d->smu);
        d->done = n; /* a failed COMMIT too: syncing past it is harmless */
        pthread_mutex_unlock(&d->smu);
    }
    if (e != PAIL_OK && !sqlite3_get_autocommit(s->db)) {
        msq_run(s, Q_ROLLBACK, "");
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
    enum pail_err e = msq_run(s, Q_BEGIN_WRITE, "");
    reset_used(s);
    for (struct wop *w = batch; w; w = w->next) {
        if (e != PAIL_OK) {
            w->e = e;
            continue;
        }
        e = msq_run(s, Q_SAVEPOINT, "");
        w->e = e != PAIL_OK ? e : w->fn(s, w);
        reset_used(s);
        if (e == PAIL_OK && w->e != PAIL_OK)
            e = msq_run(s, Q_ROLLBACK_TO, "");
        if (e == PAIL_OK)
            e = msq_run(s, Q_RELEASE, "");
        reset_used(s);
        if (e != PAIL_OK && w->e == PAIL_OK)
            w->e = e; /* the savepoint machinery failed: the batch ends */
    }
    uint64_t n = 0;
    if (e == PAIL_OK) {
        pthread_mutex_lock(&d->smu);
        n = ++d->begun;
        pthread_mutex_unlock(&d->smu);
        e = msq_run(s, Q_COMMIT, "");
        reset_used(s);
        pthread_mutex_lock(&d->smu);
        d->done = n;
        pthread_mutex_unlock(&d->smu);
    }
    if (e != PAIL_OK) { /* nothing of the batch stands */
        if (!sqlite3_get_autocommit(s->db))
            msq_run(s, Q_ROLLBACK, "");
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
enum pail_err msq_batch_write(struct sqdb *d, struct wop *op)
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
        uint64_t writes = 0;
        for (struct wop *w = batch; w; w = w->next)
            writes++;
        pail_hist_observe(&pail_stat_commit_batch, writes);
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
            msq_fail(&d->ck, rc, "checkpoint");
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
    /* 3: permissions. Bucket settings (ACL, policy, ownership, Block Public
     * Access, later CORS and website) as documents beside the bucket; object
     * and upload ACLs; identity records (accounts, users, keys...). */
    "CREATE TABLE bucket_conf("
    "  bucket TEXT NOT NULL REFERENCES buckets(name),"
    "  name TEXT NOT NULL, doc TEXT NOT NULL,"
    "  PRIMARY KEY(bucket, name)) WITHOUT ROWID;"
    "CREATE TABLE iam("
    "  kind TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,"
    "  PRIMARY KEY(kind, name)) WITHOUT ROWID;"
    "ALTER TABLE objects ADD COLUMN acl TEXT;"
    "ALTER TABLE uploads ADD COLUMN acl TEXT;",
    /* 4: tag sets of objects and of the objects uploads will make. */
    "ALTER TABLE objects ADD COLUMN tags TEXT;"
    "ALTER TABLE uploads ADD COLUMN tags TEXT;",
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
        return msq_fail(s, rc, sql);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? PAIL_OK : msq_fail(s, rc, sql);
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

void msq_close(void *state)
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
    return rc == SQLITE_OK ? PAIL_OK : msq_fail(s, rc, path);
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

enum pail_err msq_open(const char *location, void **state)
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
        msq_close(d);
        return e;
    }
    *state = d;
    return PAIL_OK;
}
