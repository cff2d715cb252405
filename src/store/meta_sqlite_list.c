/* store/meta_sqlite_list.c — listings for the SQLite metadata backend:
 * ListObjects(V2) and ListMultipartUploads through one walker that seeks
 * past whole common prefixes instead of stepping through their keys (the
 * backend's files are listed in meta_sqlite_db.h). */
#include "store/meta_sqlite_db.h"

#include "core/arena.h"
#include "core/log.h"
#include "store/meta_backends.h"

#include <stdatomic.h>
#include <string.h>

atomic_ulong pail__meta_sqlite_list_rows;

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
        sqlite3_stmt *st = msq_query(w->s, w->q, hi ? "sss" : "ssz", w->bucket, lo, hi);
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
            return rc == SQLITE_DONE ? PAIL_OK : msq_fail(w->s, rc, "list");
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
    out->objects = msq_grow(w->a, out->objects, out->nobjects, &w->cap_rows, sizeof *out->objects);
    struct pail_object_rec *o = &out->objects[out->nobjects++];
    msq_row_object(st, w->a, w->bucket, o);
    out->last = o->key;
}

static void obj_on_prefix(struct walk *w, const char *cp)
{
    struct pail_list_out *out = w->out;
    out->prefixes = msq_grow(w->a, out->prefixes, out->nprefixes, &w->cap_prefixes,
                         sizeof *out->prefixes);
    out->prefixes[out->nprefixes++] = cp;
    out->last = cp;
}

static enum pail_err do_object_list(struct msq *s, const char *bucket,
                                    const struct pail_list_opts *o, struct pail_arena *a,
                                    struct pail_list_out *out)
{
    enum pail_err e = msq_bucket_check(s, bucket);
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

enum pail_err msq_object_list(void *vs, const char *bucket,
                                    const struct pail_list_opts *o, struct pail_arena *a,
                                    struct pail_list_out *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_object_list(s, bucket, o, a, out), NULL);
}


/* Walk callbacks for upload_list: as for objects, but the next markers are
 * (key, upload id) of the newest entry, or (prefix, NULL). */
static void upl_on_row(struct walk *w, sqlite3_stmt *st)
{
    struct pail_uploads_out *out = w->out;
    out->uploads = msq_grow(w->a, out->uploads, out->nuploads, &w->cap_rows, sizeof *out->uploads);
    struct pail_upload_rec *u = &out->uploads[out->nuploads++];
    msq_row_upload(st, w->a, u);
    out->next_key_marker = u->key;
    out->next_upload_id_marker = u->upload_id;
}

static void upl_on_prefix(struct walk *w, const char *cp)
{
    struct pail_uploads_out *out = w->out;
    out->prefixes = msq_grow(w->a, out->prefixes, out->nprefixes, &w->cap_prefixes,
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
    enum pail_err e = msq_upload_find(w->s, id_marker, w->bucket, key_marker, w->a, &m);
    if (e != PAIL_OK && e != PAIL_E_NoSuchUpload)
        return e;
    bool found = e == PAIL_OK;
    sqlite3_stmt *st = msq_query(w->s, Q_UPL_OF_KEY, "ss", w->bucket, key_marker);
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
    return rc == SQLITE_DONE ? PAIL_OK : msq_fail(w->s, rc, "uploads of key");
}

static enum pail_err do_upload_list(struct msq *s, const char *bucket,
                                    const struct pail_uploads_opts *o, struct pail_arena *a,
                                    struct pail_uploads_out *out)
{
    enum pail_err e = msq_bucket_check(s, bucket);
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

enum pail_err msq_upload_list(void *vs, const char *bucket,
                                    const struct pail_uploads_opts *o, struct pail_arena *a,
                                    struct pail_uploads_out *out)
{
    struct sqdb *d = vs;
    struct msq *s;
    enum pail_err e = msq_tx_begin(d, TX_READ, &s);
    return e != PAIL_OK ? e : msq_tx_end(d, s, do_upload_list(s, bucket, o, a, out), NULL);
}

