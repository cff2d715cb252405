/* s3/log_delivery.c — see log_delivery.h. Spool file layout:
 *   #pail-logspool {"source":..,"account":..,"region":..,"config":"<logging JSON>"}\n
 *   <record>\n<record>\n...
 * named DATA/logspool/<ns since the epoch>-<pid>-<n>.spool, so a new file
 * never takes the name of one waiting for delivery. The open files are kept
 * in a list under one mutex; a delivery pass first closes them all (their
 * next records start new files), then delivers every file not open. */
#include "s3/log_delivery.h"

#include "core/arena.h"
#include "core/log.h"
#include "http/request.h"
#include "iam/acl.h"
#include "s3/authz.h"
#include "s3/bucket_cache.h"
#include "s3/bucket_logging.h"
#include "s3/owner.h"
#include "s3/services.h"
#include "store/data.h"
#include "store/meta.h"
#include "store/reaper.h"
#include "util/checksum.h"
#include "util/encode.h"
#include "util/time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEADER_TAG "#pail-logspool "

struct spool {
    struct spool *next;
    char *source;  /* malloc'd, like header and path */
    char *header;  /* the first line, without its '\n' */
    char *path;
    int fd;
};

struct s3_log_delivery {
    const struct pail_services *svc;
    char dir[4096];
    unsigned interval;
    pthread_mutex_t mu;   /* guards open, seq, stop */
    pthread_mutex_t pass; /* held by a delivery pass, and by a backup */
    pthread_cond_t cv;
    struct spool *open;
    unsigned long long seq;
    bool stop;
    pthread_t thread;
};

/* ---- spooling ---------------------------------------------------------------- */

/* The header line for records of source logged as cfg; malloc'd (the
 * caller frees), NULL when it cannot be made. */
static char *header_of(const char *source, const char *account, const char *region,
                       const struct s3_logging *cfg)
{
    struct pail_arena *a = pail_arena_new();
    const char *conf = a ? s3_logging_to_json(a, cfg) : NULL;
    char *out = NULL;
    if (conf) {
        json_t *o = json_object();
        json_object_set_new(o, "source", json_string(source));
        json_object_set_new(o, "account", json_string(account ? account : ""));
        json_object_set_new(o, "region", json_string(region ? region : ""));
        json_object_set_new(o, "config", json_string(conf));
        char *j = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        if (j && asprintf(&out, "%s%s", HEADER_TAG, j) < 0)
            out = NULL;
        free(j);
    }
    pail_arena_free(a);
    return out;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static void spool_free(struct spool *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->source);
    free(s->header);
    free(s->path);
    free(s);
}

/* A new spool file for source with its header; with d->mu held. NULL on
 * failure (logged). Takes header. */
static struct spool *spool_new(struct s3_log_delivery *d, const char *source, char *header)
{
    struct spool *s = calloc(1, sizeof *s);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!s || asprintf(&s->path, "%s/%lld%09ld-%d-%llu.spool", d->dir, (long long)ts.tv_sec,
                       ts.tv_nsec, (int)getpid(), d->seq++) < 0) {
        free(s);
        free(header);
        return NULL;
    }
    s->header = header;
    s->source = strdup(source);
    s->fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    size_t hn = strlen(header);
    bool ok = s->source && s->fd >= 0;
    if (ok) { /* header and its newline in one write: a file is never headless */
        header[hn] = '\n';
        ok = write_all(s->fd, header, hn + 1);
        header[hn] = 0;
    }
    if (!ok) {
        pail_warn("access log spool %s: %s", s->path, strerror(errno));
        if (s->fd >= 0)
            unlink(s->path);
        spool_free(s);
        return NULL;
    }
    return s;
}

void s3_log_spool(struct s3_log_delivery *d, const char *source, const char *account,
                  const char *region, const struct s3_logging *cfg, const char *lines,
                  size_t len)
{
    char *header = header_of(source, account, region, cfg);
    if (!header) {
        pail_warn("access log for bucket %s: out of memory, records lost", source);
        return;
    }
    pthread_mutex_lock(&d->mu);
    struct spool **pp = &d->open, *s;
    while ((s = *pp) && strcmp(s->source, source) != 0)
        pp = &s->next;
    if (s && strcmp(s->header, header) != 0) { /* the configuration changed */
        *pp = s->next;
        spool_free(s); /* the file waits for delivery */
        s = NULL;
    }
    if (!s && (s = spool_new(d, source, header)) != NULL) {
        header = NULL;
        s->next = d->open;
        d->open = s;
    }
    if (s && !write_all(s->fd, lines, len))
        pail_warn("access log spool %s: %s: records lost", s->path, strerror(errno));
    pthread_mutex_unlock(&d->mu);
    free(header);
}

/* ---- delivery ------------------------------------------------------------------ */

/* The whole file at path, malloc'd (NUL-terminated), into *out; false on
 * error (logged). */
static bool read_file(const char *path, char **out, size_t *len, time_t *mtime)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        pail_warn("access log spool %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *b = malloc(n + 2);
    while (b && got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (!b || got != n) {
        pail_warn("access log spool %s: cannot read it", path);
        free(b);
        return false;
    }
    b[n] = 0;
    *out = b;
    *len = n;
    *mtime = st.st_mtime;
    return true;
}

/* The time of the record at line ("... [06/Feb/2019:00:00:38 +0000] ..."). */
static bool record_time(const char *line, time_t *out)
{
    const char *p = strchr(line, '[');
    struct tm tm = {0};
    if (!p || !strptime(p + 1, "%d/%b/%Y:%H:%M:%S", &tm))
        return false;
    *out = timegm(&tm);
    return true;
}

static void random_unique(char out[17])
{
    static const char alphabet[] = "0123456789ABCDEF";
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        for (size_t i = 0; i < sizeof rnd; i++) /* no entropy: still unique enough per key */
            rnd[i] = (unsigned char)(rand() & 0xff);
    for (int i = 0; i < 16; i++)
        out[i] = alphabet[rnd[i] & 15];
    out[16] = 0;
}

/* What a spool's header says. */
struct spool_header {
    const char *source, *account, *region;
    const struct s3_logging *cfg;
};

static bool parse_header(struct pail_arena *a, const char *line, struct spool_header *h)
{
    if (strncmp(line, HEADER_TAG, strlen(HEADER_TAG)) != 0)
        return false;
    json_t *o = json_loads(line + strlen(HEADER_TAG), 0, NULL);
    const char *src = json_string_value(json_object_get(o, "source"));
    const char *acct = json_string_value(json_object_get(o, "account"));
    const char *region = json_string_value(json_object_get(o, "region"));
    const char *conf = json_string_value(json_object_get(o, "config"));
    bool ok = src && acct && region && conf;
    if (ok) {
        h->source = pail_arena_strdup(a, src);
        h->account = pail_arena_strdup(a, acct);
        h->region = pail_arena_strdup(a, region);
        h->cfg = s3_logging_from_json(a, conf);
        ok = h->cfg != NULL;
    }
    json_decref(o);
    return ok;
}

/* The log object's ACL: the target owner's FULL_CONTROL plus TargetGrants;
 * NULL (the default, the owner alone) without grants. */
static const char *object_acl(struct pail_req *r, const struct s3_logging *cfg,
                              const char *owner)
{
    if (!cfg->grants.n)
        return NULL;
    const char *canon = s3_owner_canonical(r, owner);
    if (!canon)
        return NULL;
    struct pail_grant *g = pail_arena_alloc(r->arena, (cfg->grants.n + 1) * sizeof *g);
    g[0] = (struct pail_grant){.type = PAIL_GRANTEE_CANONICAL, .id = canon,
                               .perm = PAIL_ACL_FULL_CONTROL};
    memcpy(g + 1, cfg->grants.grants, cfg->grants.n * sizeof *g);
    struct pail_acl acl = {.owner_id = canon, .grants = g, .n = cfg->grants.n + 1};
    return pail_acl_to_json(&acl, r->arena);
}

/* Writes body as object key of bucket t. PAIL_OK, or the store's error
 * (nothing is left behind then). */
static enum pail_err put_object(struct pail_req *r, const struct s3_bucket *t, const char *key,
                                const struct s3_logging *cfg, const char *body, size_t len)
{
    const struct pail_services *svc = r->svc;
    struct pail_data_writer *w;
    enum pail_err e = pail_data_writer_open(svc->data, &w);
    if (e != PAIL_OK)
        return e;
    char id[33];
    snprintf(id, sizeof id, "%s", pail_data_writer_id(w));
    e = pail_data_write(w, body, len);
    if (e != PAIL_OK) {
        pail_data_abort(w);
        return e;
    }
    if ((e = pail_data_commit(w)) != PAIL_OK)
        return e;
    struct pail_cksum md5;
    unsigned char digest[PAIL_CKSUM_MAX_RAW];
    char etag[33];
    if (pail_cksum_init(&md5, PAIL_CKSUM_MD5) != PAIL_OK) {
        pail_data_remove(svc->data, id);
        return PAIL_E_InternalError;
    }
    pail_cksum_update(&md5, body, len);
    pail_cksum_final(&md5, digest);
    pail_hex(digest, 16, etag);
    const char *owner = s3_owner_account(r, t->owner);
    struct pail_object_rec o = {
        .bucket = t->rec.name, .key = key, .size = len, .etag = etag,
        .mtime_ms = pail_time_now_ms(), .data_id = id, .content_type = "text/plain",
        .headers = "{}", .owner = owner, .acl = object_acl(r, cfg, owner),
    };
    struct pail_garbage g = {0};
    e = pail_meta_object_put(svc->meta, &o, r->arena, &g);
    if (e != PAIL_OK) {
        pail_data_remove(svc->data, id);
        return e;
    }
    for (size_t i = 0; i < g.n; i++)
        if (g.ids[i] && *g.ids[i])
            pail_reaper_add(svc->reaper, svc->data, g.ids[i]);
    return PAIL_OK;
}

/* Delivers the spool at path; removes it unless delivery should be tried
 * again (a store error). */
static void deliver_file(struct s3_log_delivery *d, const char *path)
{
    char *buf;
    size_t len;
    time_t mtime;
    if (!read_file(path, &buf, &len, &mtime))
        return;
    struct pail_arena *a = pail_arena_new();
    struct pail_req *r = a ? pail_arena_alloc(a, sizeof *r) : NULL;
    if (!r) {
        free(buf);
        pail_arena_free(a);
        return;
    }
    *r = (struct pail_req){.arena = a, .svc = d->svc, .now = time(NULL)};
    char *nl = strchr(buf, '\n');
    struct spool_header h;
    bool remove = true;
    if (!nl) {
        /* a header cut short by a crash: no record follows it */
    } else if (*nl = 0, !parse_header(a, buf, &h)) {
        pail_warn("access log spool %s: unreadable header, dropped", path);
    } else if (nl + 1 < buf + len) {
        char *records = nl + 1;
        size_t rlen = (size_t)(buf + len - records);
        if (records[rlen - 1] != '\n') /* a record cut short: close its line */
            records[rlen++] = '\n';
        time_t event = mtime;
        record_time(records, &event);
        const struct s3_bucket *t;
        char unique[17];
        random_unique(unique);
        const char *key = s3_logging_object_key(a, h.cfg, h.account, h.region, h.source,
                                                r->now, event, unique);
        enum pail_err e = s3_bucket_get(d->svc->buckets, h.cfg->target_bucket, a, &t);
        if (e == PAIL_OK && !s3_log_delivery_allowed(r, t, key, h.source, h.account)) {
            pail_warn("access log of bucket %s: the logging service may not write to %s "
                      "(bucket policy or ACL); %zu bytes dropped", h.source,
                      h.cfg->target_bucket, rlen);
        } else if (e == PAIL_OK && (e = put_object(r, t, key, h.cfg, records, rlen)) == PAIL_OK) {
            pail_info("access log of bucket %s delivered to %s/%s (%zu bytes)", h.source,
                      h.cfg->target_bucket, key, rlen);
        } else if (e == PAIL_E_NoSuchBucket) {
            pail_warn("access log of bucket %s: target bucket %s is gone; %zu bytes dropped",
                      h.source, h.cfg->target_bucket, rlen);
        } else {
            pail_warn("access log of bucket %s: delivery to %s failed (%s), will retry",
                      h.source, h.cfg->target_bucket, pail_err_code(e));
            remove = false;
        }
    }
    if (remove && unlink(path) != 0 && errno != ENOENT)
        pail_warn("access log spool %s: %s", path, strerror(errno));
    pail_arena_free(a);
    free(buf);
}

static bool is_open(struct s3_log_delivery *d, const char *path)
{
    for (const struct spool *s = d->open; s; s = s->next)
        if (strcmp(s->path, path) == 0)
            return true;
    return false;
}

static bool spool_name(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && strcmp(name + n - 6, ".spool") == 0;
}

/* Closes the open spools: their next records start new files. */
static void cut_spools(struct s3_log_delivery *d)
{
    pthread_mutex_lock(&d->mu);
    for (struct spool *s = d->open, *next; s; s = next) {
        next = s->next;
        spool_free(s);
    }
    d->open = NULL;
    pthread_mutex_unlock(&d->mu);
}

/* One pass, with d->pass held: the open spools are cut, then every spool
 * no request holds open is delivered. */
static void deliver_all_held(struct s3_log_delivery *d)
{
    cut_spools(d);
    DIR *dir = opendir(d->dir);
    if (!dir) {
        pail_warn("access log spool %s: %s", d->dir, strerror(errno));
        return;
    }
    struct dirent *de;
    char path[sizeof d->dir + 300];
    while ((de = readdir(dir)) != NULL) {
        if (!spool_name(de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", d->dir, de->d_name);
        pthread_mutex_lock(&d->mu);
        bool busy = is_open(d, path);
        pthread_mutex_unlock(&d->mu);
        if (!busy)
            deliver_file(d, path);
    }
    closedir(dir);
}

static void deliver_all(struct s3_log_delivery *d)
{
    pthread_mutex_lock(&d->pass);
    deliver_all_held(d);
    pthread_mutex_unlock(&d->pass);
}

void s3_log_delivery_hold(struct s3_log_delivery *d, bool on)
{
    if (d && on)
        pthread_mutex_lock(&d->pass);
    else if (d)
        pthread_mutex_unlock(&d->pass);
}

/* Copies from to to (created, not there before) and syncs it. */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    if (in >= 0)
        out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out >= 0) {
        char buf[64 * 1024];
        ssize_t k;
        while ((k = read(in, buf, sizeof buf)) > 0 && write_all(out, buf, (size_t)k))
            ;
        rc = k == 0 && fsync(out) == 0 ? 0 : -1;
    }
    int saved = errno;
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    errno = saved;
    return rc;
}

long s3_log_spool_copy(struct s3_log_delivery *d, const char *data_dir, const char *dest)
{
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/logspool", data_dir);
    snprintf(to, sizeof to, "%s/logspool", dest);
    if (d)
        cut_spools(d);
    DIR *dir = opendir(from);
    if (!dir)
        return errno == ENOENT ? 0 : -1; /* never spooled */
    if (mkdir(to, 0700) != 0) {
        int saved = errno;
        closedir(dir);
        errno = saved;
        return -1;
    }
    long n = 0;
    char a[sizeof from + 300], b[sizeof to + 300];
    for (struct dirent *de; n >= 0 && (de = readdir(dir)) != NULL;) {
        if (!spool_name(de->d_name))
            continue;
        snprintf(a, sizeof a, "%s/%s", from, de->d_name);
        snprintf(b, sizeof b, "%s/%s", to, de->d_name);
        if (copy_file(a, b) == 0)
            n++;
        else if (errno != ENOENT) /* gone since it was listed: nothing to copy */
            n = -1;
    }
    int saved = errno;
    closedir(dir);
    errno = saved;
    return n;
}

static void *delivery_main(void *arg)
{
    struct s3_log_delivery *d = arg;
    deliver_all(d); /* what a previous process left */
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += d->interval;
        while (!d->stop && pthread_cond_timedwait(&d->cv, &d->mu, &until) != ETIMEDOUT)
            ;
        if (d->stop)
            break;
        pthread_mutex_unlock(&d->mu);
        deliver_all(d);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    deliver_all(d); /* at stop: everything spooled */
    return NULL;
}

struct s3_log_delivery *s3_log_delivery_start(const struct pail_services *svc,
                                              unsigned interval_s)
{
    struct s3_log_delivery *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->svc = svc;
    d->interval = interval_s ? interval_s : 1;
    snprintf(d->dir, sizeof d->dir, "%s/logspool", svc->data_dir);
    if (mkdir(d->dir, 0700) != 0 && errno != EEXIST) {
        pail_error("access log spool %s: %s", d->dir, strerror(errno));
        free(d);
        return NULL;
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_mutex_init(&d->pass, NULL);
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, delivery_main, d) != 0) {
        pail_error("access log delivery: cannot start its thread");
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->pass);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return NULL;
    }
    return d;
}

void s3_log_delivery_stop(struct s3_log_delivery *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->pass);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
