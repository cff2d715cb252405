/* store/meta_sqlite_snap.c — pail_meta_snapshot for the SQLite backend: a
 * copy of the database (SQLite's online backup API) and a walk over every
 * object and part row, both inside one read transaction on a pooled reader,
 * so a backup's copy and the data ids it exports describe the same instant,
 * and writers never wait for either (WAL). */
#include "store/meta_sqlite_db.h"

#include "core/log.h"

#include <string.h>

/* Parts carry their upload's checksum algorithm; objects their own. */
static const char *const rows_sql =
    "SELECT bucket, key, NULL, 0, data_id, size, etag, checksum_algo, checksum, checksum_type,"
    " parts FROM objects"
    " UNION ALL "
    "SELECT u.bucket, u.key, p.upload_id, p.part_number, p.data_id, p.size, p.etag,"
    " u.checksum_algo, p.checksum, NULL, NULL"
    " FROM parts p JOIN uploads u ON u.upload_id = p.upload_id";

static const char *col(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

/* Copies the reader's snapshot: its read transaction is already open, so
 * the backup reads that snapshot's pages, and one step copies them all. */
static enum pail_err copy_db(struct msq *s, const char *to)
{
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        pail_error("meta_sqlite: backup: cannot create %s: %s", to,
                   dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close(dst);
        return PAIL_E_InternalError;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b) {
        pail_error("meta_sqlite: backup: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return PAIL_E_InternalError;
    }
    rc = sqlite3_backup_step(b, -1);
    int rc2 = sqlite3_backup_finish(b);
    enum pail_err e = PAIL_OK;
    if (rc != SQLITE_DONE || rc2 != SQLITE_OK) {
        pail_error("meta_sqlite: backup into %s: %s", to, sqlite3_errstr(rc != SQLITE_DONE ? rc : rc2));
        e = rc == SQLITE_FULL || rc2 == SQLITE_FULL ? PAIL_E_InsufficientStorage
                                                    : PAIL_E_InternalError;
    }
    if (sqlite3_close(dst) != SQLITE_OK && e == PAIL_OK)
        e = PAIL_E_InternalError;
    return e;
}

static enum pail_err walk_rows(struct msq *s,
                               void (*fn)(void *ctx, const struct pail_data_ref *r), void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, rows_sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return msq_fail(s, rc, "snapshot rows");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = col(st, 4);
        struct pail_data_ref r = {
            .bucket = col(st, 0), .key = col(st, 1), .upload_id = col(st, 2),
            .part_number = sqlite3_column_int(st, 3), .data_id = id ? id : "",
            .is_inline = id && id[0] == 'i', /* INLINE_MARK (meta_sqlite.c) */
            .size = (uint64_t)sqlite3_column_int64(st, 5), .etag = col(st, 6),
            .checksum_algo = col(st, 7), .checksum = col(st, 8), .checksum_type = col(st, 9),
            .parts = col(st, 10),
        };
        fn(ctx, &r);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(s, rc, "snapshot rows");
}

enum pail_err msq_snapshot(void *vs, const char *copy_to,
                           void (*fn)(void *ctx, const struct pail_data_ref *r), void *ctx)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ, &s);
    if (e != PAIL_OK)
        return e;
    /* BEGIN takes no snapshot; the first read does, and the transaction
     * keeps it to the end. A backup started without one would take (and
     * end) a read transaction of its own, and the walk would then see a
     * later snapshot than the copy. msq_tx_end returns once what it saw is
     * durable. */
    int rc = sqlite3_exec(s->db, "SELECT 1 FROM objects LIMIT 1", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        e = msq_fail(s, rc, "snapshot");
    if (e == PAIL_OK && copy_to)
        e = copy_db(s, copy_to);
    if (e == PAIL_OK && fn)
        e = walk_rows(s, fn, ctx);
    return msq_tx_end(d, s, e, NULL);
}
