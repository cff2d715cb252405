/* admin/admin_store.c — see admin_store.h. Problems are collected first
 * (in an arena, freed at the end) and repaired after the metadata snapshot
 * is closed, so a repair never writes while the walk holds a reader. */
#include "admin/admin_store.h"

#include "core/arena.h"
#include "core/buf.h"
#include "s3/log_delivery.h"
#include "s3/services.h"
#include "store/data.h"
#include "store/meta.h"
#include "store/reaper.h"
#include "util/checksum.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256u << 10)

/* ===== check ===== */

enum damage { D_OK, D_MISSING, D_SIZE, D_MD5, D_CHECKSUM, D_UNREADABLE };

struct bad_row {
    struct bad_row *next;
    char *bucket, *key, *upload_id, *data_id;
    int part_number;
    enum damage what;
};

struct name_item {
    struct name_item *next;
    char *name;
};

struct check {
    const struct pail_services *svc;
    struct pail_arena *a;
    struct pail_buf *out;
    bool verbose;
    char *buf; /* READ_CHUNK, for hashing */
    struct bad_row *bad;
    struct name_item *temps, *blobs;
    unsigned long objects, inline_objects, parts, problems, files;
    unsigned long long bytes;
};

static bool is_md5_etag(const char *etag)
{
    if (!etag || strlen(etag) != 32)
        return false;
    for (const char *p = etag; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* A multipart ETag ("<md5 of the parts' MD5s>-N") can be checked when the
 * row keeps its N part sizes (pail_object_rec.parts) and they add up:
 * *bounds gets the sizes (malloc'd, the caller frees). A copy of a
 * multipart object keeps the ETag but not the sizes: not checkable. */
static size_t multipart_bounds(const struct pail_data_ref *r, uint64_t **bounds)
{
    *bounds = NULL;
    const char *dash = r->etag ? strchr(r->etag, '-') : NULL;
    if (!dash || dash - r->etag != 32 || !r->parts)
        return 0;
    char hex[33];
    memcpy(hex, r->etag, 32);
    hex[32] = 0;
    if (!is_md5_etag(hex))
        return 0;
    json_t *j = json_loads(r->parts, 0, NULL);
    json_t *sizes = json_object_get(j, "sizes");
    size_t n = json_is_array(sizes) ? json_array_size(sizes) : 0;
    uint64_t sum = 0;
    if (n && (unsigned long)n == strtoul(dash + 1, NULL, 10) &&
        (*bounds = malloc(n * sizeof **bounds))) {
        for (size_t i = 0; i < n; i++)
            sum += (*bounds)[i] = (uint64_t)json_integer_value(json_array_get(sizes, i));
    }
    json_decref(j);
    if (!*bounds || sum != r->size) {
        free(*bounds);
        *bounds = NULL;
        return 0;
    }
    return n;
}

/* A checksum of the whole of these bytes: a part's, or an object's unless
 * it is a checksum of part checksums (COMPOSITE, "...-N"). */
static enum pail_cksum_algo full_checksum(const struct pail_data_ref *r)
{
    if (!r->checksum || !*r->checksum || strchr(r->checksum, '-') ||
        (r->checksum_type && !strcmp(r->checksum_type, "COMPOSITE")))
        return PAIL_CKSUM_NONE;
    enum pail_cksum_algo algo = pail_cksum_algo_from_name(r->checksum_algo);
    return algo == PAIL_CKSUM_MD5 ? PAIL_CKSUM_NONE : algo;
}

/* The hex form of a finished MD5 into hex[33]; false if it failed. */
static bool md5_hex(struct pail_cksum *md5, char hex[33])
{
    unsigned char raw[PAIL_CKSUM_MAX_RAW];
    if (pail_cksum_final(md5, raw) != 16)
        return false;
    for (size_t i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    return true;
}

/* Reads fd to the end through the hashers its row allows: the MD5 of a
 * single-part ETag, or of each part for a multipart ETag, and the stored
 * full checksum. */
static enum damage hash_blob(struct check *c, int fd, const struct pail_data_ref *r)
{
    uint64_t *bounds;
    size_t nparts = multipart_bounds(r, &bounds), part = 0;
    bool want_md5 = is_md5_etag(r->etag) || nparts;
    enum pail_cksum_algo algo = full_checksum(r);
    struct pail_cksum md5 = {0}, sum = {0}, of_parts = {0};
    enum damage d = D_OK;
    if (pail_cksum_init(&md5, want_md5 ? PAIL_CKSUM_MD5 : PAIL_CKSUM_NONE) != PAIL_OK ||
        pail_cksum_init(&sum, algo) != PAIL_OK ||
        pail_cksum_init(&of_parts, nparts ? PAIL_CKSUM_MD5 : PAIL_CKSUM_NONE) != PAIL_OK) {
        d = D_UNREADABLE;
        goto out;
    }
    off_t off = 0;
    uint64_t left_in_part = nparts ? bounds[0] : UINT64_MAX;
    for (;;) {
        size_t want = READ_CHUNK;
        if (nparts && left_in_part < want)
            want = (size_t)left_in_part;
        ssize_t k = want ? pread(fd, c->buf, want, off) : 0;
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            d = D_UNREADABLE;
            goto out;
        }
        if (k > 0) {
            pail_cksum_update(&md5, c->buf, (size_t)k);
            pail_cksum_update(&sum, c->buf, (size_t)k);
            off += k;
            c->bytes += (unsigned long long)k;
        }
        if (nparts && (left_in_part -= (uint64_t)k) == 0 && part < nparts) {
            unsigned char raw[PAIL_CKSUM_MAX_RAW];
            if (pail_cksum_final(&md5, raw) != 16) {
                d = D_UNREADABLE;
                goto out;
            }
            pail_cksum_update(&of_parts, raw, 16);
            if (++part < nparts) {
                left_in_part = bounds[part];
                pail_cksum_init(&md5, PAIL_CKSUM_MD5);
                continue;
            }
            break;
        }
        if (k == 0)
            break;
    }
    char hex[33], b64[PAIL_CKSUM_MAX_B64];
    if (nparts) {
        if (!md5_hex(&of_parts, hex) || part != nparts || strncmp(hex, r->etag, 32) != 0)
            d = D_MD5;
    } else if (want_md5 && (!md5_hex(&md5, hex) || strcmp(hex, r->etag) != 0)) {
        d = D_MD5;
    }
    pail_cksum_final_b64(&sum, b64);
    if (d == D_OK && algo != PAIL_CKSUM_NONE && strcmp(b64, r->checksum) != 0)
        d = D_CHECKSUM;
out:
    pail_cksum_free(&md5);
    pail_cksum_free(&sum);
    pail_cksum_free(&of_parts);
    free(bounds);
    return d;
}

static const char *damage_text(enum damage d)
{
    switch (d) {
    case D_OK: return "ok";
    case D_MISSING: return "missing: its data file does not exist";
    case D_SIZE: return "corrupt: its data file has the wrong size";
    case D_MD5: return "corrupt: its bytes do not match the ETag (MD5)";
    case D_CHECKSUM: return "corrupt: its bytes do not match the stored checksum";
    case D_UNREADABLE: return "unreadable: its data file cannot be read";
    }
    return "damaged";
}

static void print_row(struct pail_buf *out, const char *bucket, const char *key,
                      const char *upload_id, int part, const char *data_id)
{
    if (upload_id)
        pail_buf_printf(out, "%s/%s upload=%s part=%d data=%s", bucket, key, upload_id, part,
                        data_id);
    else
        pail_buf_printf(out, "%s/%s data=%s", bucket, key, data_id);
}

static void on_row(void *ctx, const struct pail_data_ref *r)
{
    struct check *c = ctx;
    if (r->upload_id)
        c->parts++;
    else
        c->objects++;
    if (r->is_inline) { /* the bytes are in the metadata: the database vouches for them */
        c->inline_objects++;
        return;
    }
    int fd = -1;
    uint64_t size = 0;
    enum pail_err e = pail_data_open_read(c->svc->data, r->data_id, &fd, &size);
    enum damage d = e == PAIL_E_NoSuchKey ? D_MISSING
                    : e != PAIL_OK        ? D_UNREADABLE
                    : size != r->size     ? D_SIZE
                                          : hash_blob(c, fd, r);
    if (fd >= 0)
        close(fd);
    if (d == D_OK) {
        if (c->verbose) {
            pail_buf_puts(c->out, "ok: ");
            print_row(c->out, r->bucket, r->key, r->upload_id, r->part_number, r->data_id);
            pail_buf_printf(c->out, " size=%llu\n", (unsigned long long)r->size);
        }
        return;
    }
    c->problems++;
    pail_buf_puts(c->out, "problem: ");
    print_row(c->out, r->bucket, r->key, r->upload_id, r->part_number, r->data_id);
    pail_buf_printf(c->out, ": %s\n", damage_text(d));
    struct bad_row *b = pail_arena_alloc(c->a, sizeof *b);
    *b = (struct bad_row){.next = c->bad, .bucket = pail_arena_strdup(c->a, r->bucket),
                          .key = pail_arena_strdup(c->a, r->key),
                          .upload_id = r->upload_id ? pail_arena_strdup(c->a, r->upload_id) : NULL,
                          .data_id = pail_arena_strdup(c->a, r->data_id),
                          .part_number = r->part_number, .what = d};
    c->bad = b;
}

static void on_file(void *ctx, const char *name, bool temporary)
{
    struct check *c = ctx;
    struct name_item *it = pail_arena_alloc(c->a, sizeof *it);
    it->name = pail_arena_strdup(c->a, name);
    struct name_item **list = temporary ? &c->temps : &c->blobs;
    it->next = *list;
    *list = it;
    c->files++;
}

/* The object's row goes only if it still names the damaged data; its bytes,
 * when some exist, are moved to DIR/lost+found rather than destroyed: they
 * may be all that is left of the object. */
static void repair_row(struct check *c, struct pail_data *lost, const struct bad_row *b)
{
    struct pail_buf *out = c->out;
    if (b->upload_id) {
        pail_buf_printf(out, "not repaired: %s/%s upload=%s part=%d: upload the part again, "
                             "or abort the upload\n", b->bucket, b->key, b->upload_id,
                        b->part_number);
        return;
    }
    struct pail_object_rec o;
    enum pail_err e = pail_meta_object_get(c->svc->meta, b->bucket, b->key, c->a, &o);
    if (e != PAIL_OK || strcmp(o.data_id, b->data_id) != 0) {
        pail_buf_printf(out, "not repaired: %s/%s changed since it was checked\n", b->bucket,
                        b->key);
        return;
    }
    struct pail_garbage g = {0};
    e = pail_meta_object_delete(c->svc->meta, b->bucket, b->key, c->a, &g);
    if (e != PAIL_OK) {
        pail_buf_printf(out, "repair failed: %s/%s: %s\n", b->bucket, b->key,
                        pail_err_message(e));
        return;
    }
    pail_buf_printf(out, "repair: removed the metadata of %s/%s (data=%s)\n", b->bucket, b->key,
                    b->data_id);
    for (size_t i = 0; i < g.n; i++) {
        if (b->what == D_MISSING)
            continue;
        e = lost ? pail_data_export(c->svc->data, g.ids[i], lost) : PAIL_E_InternalError;
        if (e == PAIL_OK || e == PAIL_E_NoSuchKey) {
            pail_data_remove(c->svc->data, g.ids[i]);
            if (e == PAIL_OK)
                pail_buf_printf(out, "repair: kept its bytes as %s/lost+found data=%s\n",
                                c->svc->data_dir, g.ids[i]);
        } else {
            pail_buf_printf(out, "repair: could not keep data=%s in lost+found; left in place "
                                 "(an orphan now)\n", g.ids[i]);
        }
    }
}

static void check_files(struct check *c, bool repair)
{
    for (struct name_item *t = c->temps; t; t = t->next) {
        c->problems++;
        pail_buf_printf(c->out, "problem: tmp/%s: a leftover temporary\n", t->name);
        if (repair) {
            enum pail_err e = pail_data_remove_temp(c->svc->data, t->name);
            pail_buf_printf(c->out, e == PAIL_OK ? "repair: removed tmp/%s\n"
                                                 : "repair failed: tmp/%s\n", t->name);
        }
    }
    for (struct name_item *b = c->blobs; b; b = b->next) {
        if (pail_meta_data_id_used(c->svc->meta, b->name))
            continue;
        c->problems++;
        pail_buf_printf(c->out, "problem: data=%s: an orphan (no metadata row refers to it)\n",
                        b->name);
        if (repair) {
            enum pail_err e = pail_data_remove(c->svc->data, b->name);
            pail_buf_printf(c->out, e == PAIL_OK ? "repair: removed orphan data=%s\n"
                                                 : "repair failed: orphan data=%s\n", b->name);
        }
    }
}

int pail_admin_check(const struct pail_services *svc, bool repair, bool verbose,
                     struct pail_buf *out)
{
    struct check c = {.svc = svc, .out = out, .verbose = verbose, .a = pail_arena_new(),
                      .buf = malloc(READ_CHUNK)};
    if (!c.a || !c.buf) {
        pail_arena_free(c.a);
        free(c.buf);
        pail_buf_puts(out, "pail: check: out of memory\n");
        return 1;
    }
    int rc = 1;
    enum pail_err e = pail_meta_snapshot(svc->meta, NULL, on_row, &c);
    if (e == PAIL_OK)
        e = pail_data_scan(svc->data, on_file, &c);
    if (e != PAIL_OK) {
        pail_buf_printf(out, "pail: check: cannot read the store: %s\n", pail_err_message(e));
        goto done;
    }
    /* Orphans before repairs: a repaired row's bytes go to lost+found, not
     * into the orphan list. */
    check_files(&c, repair);
    if (repair && c.bad) {
        struct pail_data *lost = NULL;
        char *dir = pail_arena_printf(c.a, "%s/lost+found", svc->data_dir);
        if (pail_data_open(pail_data_backend_name(svc->data), dir, &lost) != PAIL_OK)
            lost = NULL;
        for (struct bad_row *b = c.bad; b; b = b->next)
            repair_row(&c, lost, b);
        pail_data_close(lost);
    }
    pail_buf_printf(out, "checked %lu objects (%lu inline), %lu parts, %lu files, %llu bytes "
                         "read: %lu problem(s)%s\n", c.objects, c.inline_objects, c.parts,
                    c.files, c.bytes, c.problems,
                    c.problems && repair ? ", repaired as logged above" : "");
    rc = c.problems ? 1 : 0;
done:
    pail_arena_free(c.a);
    free(c.buf);
    return rc;
}

/* ===== backup ===== */

struct backup {
    struct pail_arena *a;
    struct name_item *ids;
    unsigned long objects, parts;
};

static void on_ref(void *ctx, const struct pail_data_ref *r)
{
    struct backup *b = ctx;
    if (r->upload_id)
        b->parts++;
    else
        b->objects++;
    if (r->is_inline)
        return;
    struct name_item *it = pail_arena_alloc(b->a, sizeof *it);
    it->name = pail_arena_strdup(b->a, r->data_id);
    it->next = b->ids;
    b->ids = it;
}

/* dest must be absent (made here) or an empty directory: a backup never
 * mixes with, or overwrites, anything. */
static int prepare_dest(const char *dest, struct pail_buf *out)
{
    if (mkdir(dest, 0700) == 0)
        return 0;
    if (errno != EEXIST) {
        pail_buf_printf(out, "pail: backup: cannot create %s: %s\n", dest, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dest);
    if (!d) {
        pail_buf_printf(out, "pail: backup: %s: %s\n", dest, strerror(errno));
        return -1;
    }
    bool empty = true;
    for (struct dirent *de; empty && (de = readdir(d));)
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    if (!empty) {
        pail_buf_printf(out, "pail: backup: %s is not empty; give a new or empty directory\n",
                        dest);
        return -1;
    }
    return 0;
}

/* Copies DIR/root-credentials, if there is one, durably. */
static int copy_credentials(const char *from_dir, const char *dest, struct pail_buf *out)
{
    char from[4096], to[4096], buf[512];
    snprintf(from, sizeof from, "%s/root-credentials", from_dir);
    snprintf(to, sizeof to, "%s/root-credentials", dest);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno == ENOENT ? 0 : -1;
    int o = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ssize_t k = o < 0 ? -1 : read(in, buf, sizeof buf);
    int rc = k >= 0 && write(o, buf, (size_t)k) == k && fsync(o) == 0 ? 0 : -1;
    close(in);
    if (o >= 0)
        close(o);
    if (rc != 0)
        pail_buf_printf(out, "pail: backup: cannot copy root-credentials: %s\n",
                        strerror(errno));
    return rc;
}

int pail_admin_backup(const struct pail_services *svc, const char *dest, struct pail_buf *out)
{
    if (dest[0] != '/') {
        pail_buf_printf(out, "pail: backup: %s: give an absolute path\n", dest);
        return 1;
    }
    if (!svc->reaper) {
        pail_buf_puts(out, "pail: backup: the store removes blobs inline (no reaper thread), so "
                           "a consistent copy cannot be guaranteed\n");
        return 1;
    }
    if (prepare_dest(dest, out) != 0)
        return 1;
    struct backup b = {.a = pail_arena_new()};
    struct pail_data *dst = NULL;
    char *db = b.a ? pail_arena_printf(b.a, "%s/meta.db", dest) : NULL;
    if (!db || pail_data_open(pail_data_backend_name(svc->data), dest, &dst) != PAIL_OK) {
        pail_buf_printf(out, "pail: backup: cannot set up %s\n", dest);
        pail_arena_free(b.a);
        return 1;
    }
    int rc = 1;
    unsigned long exported = 0, missing = 0;
    /* Held before the snapshot is taken: a blob the snapshot refers to is
     * released (if at all) by a later commit, so it is queued, not removed,
     * until every blob is exported. */
    pail_reaper_hold(svc->reaper, true);
    /* Held from before the snapshot too: a spool delivered after it would
     * otherwise be in neither the copy's objects nor its spool. */
    s3_log_delivery_hold(svc->logs, true);
    enum pail_err e = pail_meta_snapshot(svc->meta, db, on_ref, &b);
    long spools = e == PAIL_OK ? s3_log_spool_copy(svc->logs, svc->data_dir, dest) : 0;
    s3_log_delivery_hold(svc->logs, false);
    if (spools < 0) {
        pail_buf_printf(out, "pail: backup: cannot copy the access log spool: %s\n",
                        strerror(errno));
        e = PAIL_E_InternalError;
    }
    for (struct name_item *it = b.ids; e == PAIL_OK && it; it = it->next) {
        enum pail_err x = pail_data_export(svc->data, it->name, dst);
        if (x == PAIL_OK)
            exported++;
        else if (x == PAIL_E_NoSuchKey)
            missing++, pail_buf_printf(out, "warning: data=%s is missing in the source "
                                            "(run pail admin check there)\n", it->name);
        else
            e = x;
    }
    pail_reaper_hold(svc->reaper, false);
    if (e != PAIL_OK) {
        pail_buf_printf(out, "pail: backup into %s failed: %s; remove it and try again\n", dest,
                        pail_err_message(e));
        goto done;
    }
    if (copy_credentials(svc->data_dir, dest, out) != 0)
        goto done;
    /* Hard links and the database are durable only with their directories. */
    int fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        pail_buf_printf(out, "pail: backup: cannot sync %s: %s\n", dest, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto done;
    }
    close(fd);
    pail_buf_printf(out,
                    "backup of %s in %s: %lu objects, %lu parts, %lu data files, %ld access "
                    "log spools%s\n",
                    svc->data_dir, dest, b.objects, b.parts, exported, spools,
                    missing ? " (some missing in the source: see above)" : "");
    rc = 0;
done:
    pail_data_close(dst);
    pail_arena_free(b.a);
    return rc;
}
