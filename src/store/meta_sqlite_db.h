/* store/meta_sqlite_db.h — internal to the SQLite metadata backend
 * (pail_meta_sqlite), shared by its three files and nothing else:
 *   meta_sqlite_db.c    the database: statements, transactions (group commit,
 *                       batched writes, reader pool, read barrier), the
 *                       checkpointer, the store lock, open/close, migrations
 *   meta_sqlite.c       rows -> records, buckets, objects, multipart uploads,
 *                       data_id_used, the vtable
 *   meta_sqlite_list.c  the listing walker: object_list and upload_list
 *   meta_sqlite_snap.c  snapshot: the copy for backups, the rows for checks
 * Every vtable method is msq_tx_begin -> do_<m> -> msq_tx_end; do_<m> does
 * the work under the contract meta.h states for pail_meta_<m>. */
#ifndef PAIL_STORE_META_SQLITE_DB_H
#define PAIL_STORE_META_SQLITE_DB_H

#include "store/meta.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define OBJ_COLS "key, size, etag, mtime_ms, data_id, content_type, headers, " \
                 "checksum_algo, checksum, checksum_type, parts, owner, acl, tags"
#define UPL_COLS "key, upload_id, initiated_ms, content_type, headers, " \
                 "checksum_algo, checksum_type, owner, bucket, acl, tags"
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
    X(Q_BUCKET_USAGE, "SELECT count(*), coalesce(sum(size), 0) FROM objects "   \
      "WHERE bucket = ?1")                                                      \
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
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")          \
    X(Q_OBJ_DELETE, "DELETE FROM objects WHERE bucket = ?1 AND key = ?2")       \
    X(Q_OBJ_RANGE, "SELECT " OBJ_COLS " FROM objects "                          \
      "WHERE bucket = ?1 AND key >= ?2 AND key < ?3 ORDER BY key")              \
    X(Q_UPL_INSERT, "INSERT INTO uploads(" UPL_COLS ") "                        \
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")                        \
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
    X(Q_OBJ_ACL_PUT, "UPDATE objects SET acl = ?3 WHERE bucket = ?1 AND key = ?2") \
    X(Q_OBJ_TAGS_PUT, "UPDATE objects SET tags = ?3 WHERE bucket = ?1 AND key = ?2") \
    X(Q_CONF_PUT, "INSERT OR REPLACE INTO bucket_conf(bucket, name, doc) "      \
      "VALUES(?1, ?2, ?3)")                                                     \
    X(Q_CONF_DELETE, "DELETE FROM bucket_conf WHERE bucket = ?1 AND name = ?2") \
    X(Q_CONF_OF_BUCKET, "SELECT name, doc FROM bucket_conf WHERE bucket = ?1 "  \
      "ORDER BY name")                                                          \
    X(Q_CONF_DEL_BUCKET, "DELETE FROM bucket_conf WHERE bucket = ?1")           \
    X(Q_IAM_PUT, "INSERT OR REPLACE INTO iam(kind, name, doc) VALUES(?1, ?2, ?3)") \
    X(Q_IAM_DELETE, "DELETE FROM iam WHERE kind = ?1 AND name = ?2")            \
    X(Q_IAM_ALL, "SELECT kind, name, doc FROM iam ORDER BY kind, name")         \
    X(Q_DATA_ID_USED, "SELECT EXISTS(SELECT 1 FROM objects WHERE data_id = ?1) " \
      "OR EXISTS(SELECT 1 FROM parts WHERE data_id = ?1)")

enum qid {
#define X(id, sql) id,
    QUERIES(X)
#undef X
    Q__COUNT
};

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
    /* Batched writes (msq_batch_write): queued, run by one leader. */
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

/* ---- meta_sqlite_db.c ---- */

/* Logs an SQLite failure and maps it; only SQLITE_FULL has its own code. */
enum pail_err msq_fail(struct msq *s, int rc, const char *what);
/* Statement q with ?1, ?2… bound from fmt: 's' text or NULL (SQLITE_STATIC:
 * valid for the method), 'i' int64_t, 'u' uint64_t, 'n' int, 'z' empty BLOB
 * (no argument), 'b' BLOB from a const void * and a uint64_t. NULL, logged,
 * if it cannot be prepared or bound. Reset again by msq_tx_end. */
sqlite3_stmt *msq_vquery(struct msq *s, enum qid q, const char *fmt, va_list ap);
sqlite3_stmt *msq_query(struct msq *s, enum qid q, const char *fmt, ...);
/* Runs statement q, which returns no rows. */
enum pail_err msq_run(struct msq *s, enum qid q, const char *fmt, ...);
/* A transaction of kind k on the writer or a pooled reader (*out). */
enum pail_err msq_tx_begin(struct sqdb *d, enum tx_kind k, struct msq **out);
/* Ends it: commits when e is PAIL_OK, else rolls back and empties g; returns
 * once what it wrote, or read, is durable. */
enum pail_err msq_tx_end(struct sqdb *d, struct msq *s, enum pail_err e,
                         struct pail_garbage *g);
/* Runs op in the next batch of writes (one transaction, a savepoint each). */
enum pail_err msq_batch_write(struct sqdb *d, struct wop *op);
enum pail_err msq_open(const char *location, void **state);
void msq_close(void *state);

/* ---- meta_sqlite.c ---- */

/* Grows an arena array of elements of size sz so that index n fits. */
void *msq_grow(struct pail_arena *a, void *v, size_t n, size_t *cap, size_t sz);
/* A row of OBJ_COLS / UPL_COLS as a record, strings in the arena. */
void msq_row_object(sqlite3_stmt *st, struct pail_arena *a, const char *bucket,
                    struct pail_object_rec *o);
void msq_row_upload(sqlite3_stmt *st, struct pail_arena *a, struct pail_upload_rec *u);
/* NoSuchBucket unless the bucket exists (in the current transaction). */
enum pail_err msq_bucket_check(struct msq *s, const char *name);
/* The upload, if it belongs to bucket/key: else NoSuchUpload. */
enum pail_err msq_upload_find(struct msq *s, const char *upload_id, const char *bucket,
                              const char *key, struct pail_arena *a,
                              struct pail_upload_rec *out);

/* ---- meta_sqlite_list.c ---- */

enum pail_err msq_object_list(void *vs, const char *bucket, const struct pail_list_opts *o,
                              struct pail_arena *a, struct pail_list_out *out);
/* ---- meta_sqlite_snap.c ---- */
enum pail_err msq_snapshot(void *vs, const char *copy_to,
                           void (*fn)(void *ctx, const struct pail_data_ref *r), void *ctx);
enum pail_err msq_upload_list(void *vs, const char *bucket, const struct pail_uploads_opts *o,
                              struct pail_arena *a, struct pail_uploads_out *out);

#endif
