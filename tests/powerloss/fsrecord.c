/* tests/powerloss/fsrecord.c — an LD_PRELOAD shim that records every
 * durability-relevant file-system call a process makes under one directory.
 *
 *   cc -O2 -shared -fPIC -o fsrecord.so fsrecord.c -ldl -lpthread
 *   LD_PRELOAD=./fsrecord.so PAIL_FSREC_DIR=/abs/data PAIL_FSREC_LOG=/abs/fs.log pail serve ...
 *
 * Output: PAIL_FSREC_LOG (one text record per line) and PAIL_FSREC_LOG.data
 * (the bytes of every write, appended; a record names them by offset/length
 * and a CRC-32). Each record line is
 *
 *   <seq> <t_ns> <tid> <OP> key=value ...
 *
 * seq is global and gap-free; t_ns is CLOCK_MONOTONIC (the same clock as
 * Python's time.monotonic_ns()) taken under the same lock as seq, after the
 * call returned, so seq order == time order. Paths (p=, p2=) are relative to
 * PAIL_FSREC_DIR ("." is the directory itself) and percent-encoded. Ops:
 *
 *   OPEN   p ino fd created=0|1 trunc=0|1 dir=0|1 flags(hex)
 *   WRITE  p ino off len doff hash [via=write|pwrite|writev|copy|sendfile]
 *   TRUNC  p ino len           FALLOC p ino mode off len
 *   FSYNC  p ino dir=0|1 kind=fsync|fdatasync snap=<last seq before the call started>
 *   RENAME p p2 ino flags      UNLINK p       RMDIR p     MKDIR p ino
 *   MKSOCK p ino               (bind() of an AF_UNIX socket: a new directory entry)
 *   CLOSE  p ino fd            SYNCALL snap   MMAPW p ino (a shared writable map: unsupported)
 *   OUTSIDE op p p2            (a rename/link crossing the directory's edge: unsupported)
 *
 * A second process started on the same log continues the seq numbering.
 * PAIL_FSREC_KILL_ON="OP path" (e.g. "MKDIR data/objects") SIGKILLs the
 * process right after that record is written: a crash at an exact point
 * (the page cache survives it; the test then restarts on the same files).
 *
 * Only successful calls are recorded. Files whose name ends in "-shm"
 * (SQLite's WAL index, rebuilt after a crash) are tracked but not recorded.
 * fds are resolved to paths when opened (open/openat/creat, all variants) and
 * forgotten at close/closedir; an fd whose inode no longer matches (closed
 * behind our back) is forgotten when next used. Not handled (pail and SQLite
 * use none of them on these files): dup*, F_DUPFD, splice, io_uring, aio,
 * link/symlink (recorded as OUTSIDE so replay refuses the log).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define MAX_FDS 65536

/* ---- the real functions ---- */
static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static int (*r___open_2)(const char *, int);
static int (*r___open64_2)(const char *, int);
static int (*r___openat_2)(int, const char *, int);
static int (*r___openat64_2)(int, const char *, int);
static int (*r_creat)(const char *, mode_t);
static int (*r_creat64)(const char *, mode_t);
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static ssize_t (*r_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*r_pwritev64)(int, const struct iovec *, int, off_t);
static int (*r_ftruncate)(int, off_t);
static int (*r_ftruncate64)(int, off_t);
static int (*r_truncate)(const char *, off_t);
static int (*r_truncate64)(const char *, off_t);
static int (*r_fallocate)(int, int, off_t, off_t);
static int (*r_fallocate64)(int, int, off_t, off_t);
static int (*r_posix_fallocate)(int, off_t, off_t);
static int (*r_posix_fallocate64)(int, off_t, off_t);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static void (*r_sync)(void);
static int (*r_syncfs)(int);
static int (*r_rename)(const char *, const char *);
static int (*r_renameat)(int, const char *, int, const char *);
static int (*r_renameat2)(int, const char *, int, const char *, unsigned);
static int (*r_unlink)(const char *);
static int (*r_unlinkat)(int, const char *, int);
static int (*r_rmdir)(const char *);
static int (*r_mkdir)(const char *, mode_t);
static int (*r_mkdirat)(int, const char *, mode_t);
static int (*r_link)(const char *, const char *);
static int (*r_linkat)(int, const char *, int, const char *, int);
static int (*r_close)(int);
static int (*r_closedir)(DIR *);
static ssize_t (*r_copy_file_range)(int, off_t *, int, off_t *, size_t, unsigned);
static ssize_t (*r_sendfile)(int, int, off_t *, size_t);
static ssize_t (*r_sendfile64)(int, int, off_t *, size_t);
static void *(*r_mmap)(void *, size_t, int, int, int, off_t);
static void *(*r_mmap64)(void *, size_t, int, int, int, off_t);
static int (*r_bind)(int, const struct sockaddr *, socklen_t);

/* ---- state ---- */
struct fdinfo {
    char *rel;      /* path relative to the root; NULL: not tracked */
    dev_t dev;
    ino_t ino;
    int isdir, quiet, append;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct fdinfo fds[MAX_FDS];
static char root[PATH_MAX];
static size_t root_len;
static int active;       /* env present and log open */
static int log_fd = -1, data_fd = -1;
static uint64_t seq;     /* last assigned sequence number */
static uint64_t data_off;
static __thread int in_shim; /* our own calls must not recurse */
static char kill_op[32], kill_p[PATH_MAX]; /* PAIL_FSREC_KILL_ON="OP path" */

static void crc_init(void);

#define REAL(name) (r_##name = dlsym(RTLD_NEXT, #name))

/* The seq of the last complete line of an existing log (0 if none): a
 * process started on the same log continues the numbering. */
static uint64_t last_seq(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0)
        return 0;
    char buf[8192];
    off_t from = st.st_size > (off_t)sizeof buf - 1 ? st.st_size - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, (size_t)(st.st_size - from), from);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* drop a torn last line, then find the start of the last one */
    while (n > 0 && buf[n - 1] != '\n')
        buf[--n] = 0;
    if (n > 0)
        buf[--n] = 0;
    char *line = strrchr(buf, '\n');
    line = line ? line + 1 : buf;
    return strtoull(line, NULL, 10);
}

static void init(void)
{
    REAL(open); REAL(open64); REAL(openat); REAL(openat64);
    REAL(__open_2); REAL(__open64_2); REAL(__openat_2); REAL(__openat64_2);
    REAL(creat); REAL(creat64);
    REAL(write); REAL(pwrite); REAL(pwrite64); REAL(writev); REAL(pwritev); REAL(pwritev64);
    REAL(ftruncate); REAL(ftruncate64); REAL(truncate); REAL(truncate64);
    REAL(fallocate); REAL(fallocate64); REAL(posix_fallocate); REAL(posix_fallocate64);
    REAL(fsync); REAL(fdatasync); REAL(sync); REAL(syncfs);
    REAL(rename); REAL(renameat); REAL(renameat2);
    REAL(unlink); REAL(unlinkat); REAL(rmdir); REAL(mkdir); REAL(mkdirat);
    REAL(link); REAL(linkat);
    REAL(close); REAL(closedir);
    REAL(copy_file_range); REAL(sendfile); REAL(sendfile64);
    REAL(mmap); REAL(mmap64);
    REAL(bind);

    const char *dir = getenv("PAIL_FSREC_DIR"), *logp = getenv("PAIL_FSREC_LOG");
    if (!dir || !*dir || !logp || !*logp)
        return;
    if (!realpath(dir, root)) {
        /* The directory may not exist yet: keep it lexically. */
        snprintf(root, sizeof root, "%s", dir);
    }
    root_len = strlen(root);
    while (root_len > 1 && root[root_len - 1] == '/')
        root[--root_len] = 0;
    char datap[PATH_MAX + 8];
    snprintf(datap, sizeof datap, "%s.data", logp);
    log_fd = r_open(logp, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644); /* read: last_seq */
    data_fd = r_open(datap, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0 || data_fd < 0) {
        fprintf(stderr, "fsrecord: cannot open %s: %s\n", logp, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(data_fd, &st) == 0)
        data_off = (uint64_t)st.st_size;
    seq = last_seq(log_fd);
    crc_init();
    const char *k = getenv("PAIL_FSREC_KILL_ON");
    if (k && sscanf(k, "%31s %4095s", kill_op, kill_p) != 2)
        kill_op[0] = 0;
    active = 1;
}

static inline void ensure_init(void) { pthread_once(&once, init); }

/* ---- small helpers ---- */

/* CRC-32 (zlib's): replay checks it with zlib.crc32. */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_up(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *c = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ c[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void full_write(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = r_write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            abort(); /* a broken log is worse than no log */
        c += k;
        n -= (size_t)k;
    }
}

/* Percent-encodes a relative path (spaces, '%', '=', controls). */
static void enc(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    if (!*s)
        s = ".";
    for (; *s && o + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '%' || c == '=' || c >= 0x7f) {
            snprintf(out + o, 4, "%%%02X", c);
            o += 3;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
}

/* Appends one record. body has no seq/time; data (if any) goes to the side
 * file and "doff=.. hash=.." is appended. Returns the seq assigned. */
static uint64_t emit(const char *op, const char *body, const void *data, size_t dlen,
                     const struct iovec *iov, int iovcnt)
{
    char line[PATH_MAX * 2 + 512];
    struct timespec ts;
    int saved = errno;
    pthread_mutex_lock(&mu);
    uint64_t s = ++seq;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int n = snprintf(line, sizeof line, "%llu %lld %ld %s %s", (unsigned long long)s,
                     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (long)syscall(SYS_gettid),
                     op, body);
    if (data || iov) {
        uint32_t h = 0;
        uint64_t at = data_off;
        if (data) {
            h = crc32_up(h, data, dlen);
            full_write(data_fd, data, dlen);
        } else {
            size_t left = dlen;
            for (int i = 0; i < iovcnt && left > 0; i++) {
                size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
                h = crc32_up(h, iov[i].iov_base, k);
                full_write(data_fd, iov[i].iov_base, k);
                left -= k;
            }
        }
        data_off += dlen;
        n += snprintf(line + n, sizeof line - (size_t)n, " doff=%llu crc=%08x",
                      (unsigned long long)at, (unsigned)h);
    }
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    full_write(log_fd, line, (size_t)n);
    if (kill_op[0] && strcmp(op, kill_op) == 0 && strncmp(body, "p=", 2) == 0 &&
        strncmp(body + 2, kill_p, strlen(kill_p)) == 0 &&
        (body[2 + strlen(kill_p)] == ' ' || body[2 + strlen(kill_p)] == 0))
        kill(getpid(), SIGKILL); /* still holding mu: nothing is logged after */
    pthread_mutex_unlock(&mu);
    errno = saved;
    return s;
}

static uint64_t current_seq(void)
{
    pthread_mutex_lock(&mu);
    uint64_t s = seq;
    pthread_mutex_unlock(&mu);
    return s;
}

/* Lexically normalises an absolute path in place ("//", ".", ".."). */
static void normalize(char *p)
{
    char out[PATH_MAX];
    size_t o = 0;
    const char *c = p;
    while (*c) {
        while (*c == '/')
            c++;
        if (!*c)
            break;
        const char *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if (len == 1 && c[0] == '.') {
            /* skip */
        } else if (len == 2 && c[0] == '.' && c[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (o + len + 2 < sizeof out) {
            out[o++] = '/';
            memcpy(out + o, c, len);
            o += len;
        }
        c += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = 0;
    memcpy(p, out, o + 1);
}

/* The absolute path of (dirfd, path) into abs; 0 or -1. */
static int abspath(int dirfd, const char *path, char abs[PATH_MAX])
{
    if (!path)
        return -1;
    char base[PATH_MAX];
    if (path[0] == '/') {
        snprintf(abs, PATH_MAX, "%s", path);
    } else {
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base))
                return -1;
        } else if (dirfd >= 0 && dirfd < MAX_FDS && fds[dirfd].rel) {
            pthread_mutex_lock(&mu);
            const char *r = fds[dirfd].rel;
            if (r && snprintf(base, sizeof base, "%s%s%s", root, *r ? "/" : "", r) >=
                         (int)sizeof base)
                r = NULL;
            pthread_mutex_unlock(&mu);
            if (!r)
                return -1;
        } else {
            char lnk[64];
            snprintf(lnk, sizeof lnk, "/proc/self/fd/%d", dirfd);
            ssize_t k = readlink(lnk, base, sizeof base - 1);
            if (k < 0)
                return -1;
            base[k] = 0;
        }
        if (snprintf(abs, PATH_MAX, "%s/%s", base, path) >= PATH_MAX)
            return -1;
    }
    normalize(abs);
    return 0;
}

/* If abs is under the root: its relative part ("" for the root); else NULL. */
static const char *under_root(const char *abs)
{
    if (!active || strncmp(abs, root, root_len) != 0)
        return NULL;
    if (abs[root_len] == 0)
        return abs + root_len;
    if (abs[root_len] == '/')
        return abs + root_len + 1;
    if (root_len == 1) /* root is "/" */
        return abs + 1;
    return NULL;
}

static int quiet_name(const char *rel)
{
    size_t n = strlen(rel);
    return n >= 4 && strcmp(rel + n - 4, "-shm") == 0;
}

/* A tracked fd (checked against its inode: an fd closed behind our back and
 * reused is forgotten). Copies its info out; 0 if not tracked. */
static int tracked(int fd, struct fdinfo *out, char *relbuf, size_t cap)
{
    if (!active || fd < 0 || fd >= MAX_FDS || !fds[fd].rel)
        return 0;
    struct stat st;
    int ok = fstat(fd, &st) == 0;
    pthread_mutex_lock(&mu);
    struct fdinfo *f = &fds[fd];
    int r = 0;
    if (f->rel) {
        if (ok && st.st_ino == f->ino && st.st_dev == f->dev) {
            *out = *f;
            snprintf(relbuf, cap, "%s", f->rel);
            out->rel = relbuf;
            r = 1;
        } else {
            free(f->rel);
            f->rel = NULL;
        }
    }
    pthread_mutex_unlock(&mu);
    return r && !out->quiet;
}

/* ---- open ---- */

static int after_open(int fd, int dirfd, const char *path, int flags, int existed_known,
                      int existed)
{
    if (fd < 0 || !active || fd >= MAX_FDS)
        return fd;
    char abs[PATH_MAX];
    if (abspath(dirfd, path, abs) != 0)
        return fd;
    const char *rel = under_root(abs);
    struct stat st;
    if (!rel || fstat(fd, &st) != 0) {
        pthread_mutex_lock(&mu);
        free(fds[fd].rel);
        fds[fd].rel = NULL;
        pthread_mutex_unlock(&mu);
        return fd;
    }
    int quiet = quiet_name(rel);
    int isdir = S_ISDIR(st.st_mode);
    char *copy = strdup(rel);
    pthread_mutex_lock(&mu);
    free(fds[fd].rel);
    fds[fd] = (struct fdinfo){.rel = copy, .dev = st.st_dev, .ino = st.st_ino,
                              .isdir = isdir, .quiet = quiet, .append = !!(flags & O_APPEND)};
    pthread_mutex_unlock(&mu);
    if (quiet)
        return fd;
    int created = (flags & O_CREAT) && existed_known && !existed;
    int trunc = (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && S_ISREG(st.st_mode);
    char e[PATH_MAX * 3 + 4], body[PATH_MAX * 3 + 200];
    enc(rel, e, sizeof e);
    snprintf(body, sizeof body, "p=%s ino=%llu fd=%d created=%d trunc=%d dir=%d flags=%x", e,
             (unsigned long long)st.st_ino, fd, created, trunc, isdir, flags);
    emit("OPEN", body, NULL, 0, NULL, 0);
    return fd;
}

/* Whether (dirfd, path) exists before an O_CREAT open; *known=0 if unsure. */
static int pre_exists(int dirfd, const char *path, int flags, int *known)
{
    *known = 0;
    if (!active || !(flags & O_CREAT))
        return 0;
    struct stat st;
    *known = 1;
    return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

#define OPEN_BODY(call, dirfd)                                                   \
    ensure_init();                                                               \
    mode_t mode = 0;                                                             \
    if (flags & (O_CREAT | __O_TMPFILE)) {                                       \
        va_list ap;                                                              \
        va_start(ap, flags);                                                     \
        mode = va_arg(ap, mode_t);                                               \
        va_end(ap);                                                              \
    }                                                                            \
    if (in_shim)                                                                 \
        return call;                                                             \
    int known, existed = pre_exists(dirfd, path, flags, &known);                 \
    int fd = call;                                                               \
    return after_open(fd, dirfd, path, flags, known, existed);

int open(const char *path, int flags, ...) { OPEN_BODY(r_open(path, flags, mode), AT_FDCWD) }
int open64(const char *path, int flags, ...) { OPEN_BODY(r_open64(path, flags, mode), AT_FDCWD) }
int openat(int dirfd, const char *path, int flags, ...)
{
    OPEN_BODY(r_openat(dirfd, path, flags, mode), dirfd)
}
int openat64(int dirfd, const char *path, int flags, ...)
{
    OPEN_BODY(r_openat64(dirfd, path, flags, mode), dirfd)
}

int __open_2(const char *path, int flags)
{
    ensure_init();
    int known, existed = pre_exists(AT_FDCWD, path, flags, &known);
    return after_open(r___open_2(path, flags), AT_FDCWD, path, flags, known, existed);
}
int __open64_2(const char *path, int flags)
{
    ensure_init();
    int known, existed = pre_exists(AT_FDCWD, path, flags, &known);
    return after_open(r___open64_2(path, flags), AT_FDCWD, path, flags, known, existed);
}
int __openat_2(int dirfd, const char *path, int flags)
{
    ensure_init();
    int known, existed = pre_exists(dirfd, path, flags, &known);
    return after_open(r___openat_2(dirfd, path, flags), dirfd, path, flags, known, existed);
}
int __openat64_2(int dirfd, const char *path, int flags)
{
    ensure_init();
    int known, existed = pre_exists(dirfd, path, flags, &known);
    return after_open(r___openat64_2(dirfd, path, flags), dirfd, path, flags, known, existed);
}
int creat(const char *path, mode_t mode)
{
    ensure_init();
    int flags = O_CREAT | O_WRONLY | O_TRUNC;
    int known, existed = pre_exists(AT_FDCWD, path, flags, &known);
    return after_open(r_creat(path, mode), AT_FDCWD, path, flags, known, existed);
}
int creat64(const char *path, mode_t mode)
{
    ensure_init();
    int flags = O_CREAT | O_WRONLY | O_TRUNC;
    int known, existed = pre_exists(AT_FDCWD, path, flags, &known);
    return after_open(r_creat64(path, mode), AT_FDCWD, path, flags, known, existed);
}

/* ---- writes ---- */

static void rec_write(const struct fdinfo *f, const char *via, off_t off, const void *buf,
                      size_t len, const struct iovec *iov, int iovcnt)
{
    char e[PATH_MAX * 3 + 4], body[PATH_MAX * 3 + 200];
    enc(f->rel, e, sizeof e);
    snprintf(body, sizeof body, "p=%s ino=%llu off=%lld len=%zu via=%s", e,
             (unsigned long long)f->ino, (long long)off, len, via);
    emit("WRITE", body, buf, len, iov, iovcnt);
}

/* The offset a write through fd's file position will land at. */
static off_t cur_off(int fd, const struct fdinfo *f)
{
    if (f->append) {
        struct stat st;
        return fstat(fd, &st) == 0 ? st.st_size : -1;
    }
    return lseek(fd, 0, SEEK_CUR);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return r_write(fd, buf, n);
    off_t off = cur_off(fd, &f);
    ssize_t k = r_write(fd, buf, n);
    if (k > 0)
        rec_write(&f, "write", off, buf, (size_t)k, NULL, 0);
    return k;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return r_pwrite(fd, buf, n, off);
    ssize_t k = r_pwrite(fd, buf, n, off);
    if (k > 0)
        rec_write(&f, "pwrite", off, buf, (size_t)k, NULL, 0);
    return k;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return r_pwrite64(fd, buf, n, off);
    ssize_t k = r_pwrite64(fd, buf, n, off);
    if (k > 0)
        rec_write(&f, "pwrite", off, buf, (size_t)k, NULL, 0);
    return k;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return r_writev(fd, iov, cnt);
    off_t off = cur_off(fd, &f);
    ssize_t k = r_writev(fd, iov, cnt);
    if (k > 0)
        rec_write(&f, "writev", off, NULL, (size_t)k, iov, cnt);
    return k;
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return r_pwritev(fd, iov, cnt, off);
    ssize_t k = r_pwritev(fd, iov, cnt, off);
    if (k > 0)
        rec_write(&f, "pwritev", off, NULL, (size_t)k, iov, cnt);
    return k;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return r_pwritev64(fd, iov, cnt, off);
    ssize_t k = r_pwritev64(fd, iov, cnt, off);
    if (k > 0)
        rec_write(&f, "pwritev", off, NULL, (size_t)k, iov, cnt);
    return k;
}

/* Reads back n bytes at off of fd (for copies); NULL on failure. */
static void *read_back(int fd, off_t off, size_t n)
{
    char *b = malloc(n ? n : 1);
    size_t got = 0;
    while (b && got < n) {
        ssize_t k = pread(fd, b + got, n - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            free(b);
            return NULL;
        }
        got += (size_t)k;
    }
    return b;
}

ssize_t copy_file_range(int in, off_t *off_in, int out, off_t *off_out, size_t len,
                        unsigned flags)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(out, &f, rb, sizeof rb))
        return r_copy_file_range(in, off_in, out, off_out, len, flags);
    off_t src_at = off_in ? *off_in : lseek(in, 0, SEEK_CUR);
    off_t dst_at = off_out ? *off_out : cur_off(out, &f);
    ssize_t k = r_copy_file_range(in, off_in, out, off_out, len, flags);
    if (k > 0) {
        int saved = errno;
        void *b = read_back(in, src_at, (size_t)k);
        if (!b) {
            char e[PATH_MAX * 3 + 4], body[PATH_MAX * 3 + 64];
            enc(f.rel, e, sizeof e);
            snprintf(body, sizeof body, "p=%s why=copy_file_range_readback", e);
            emit("UNSUPPORTED", body, NULL, 0, NULL, 0);
        } else {
            rec_write(&f, "copy", dst_at, b, (size_t)k, NULL, 0);
            free(b);
        }
        errno = saved;
    }
    return k;
}

static ssize_t sendfile_common(ssize_t (*real)(int, int, off_t *, size_t), int out, int in,
                               off_t *offset, size_t count)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(out, &f, rb, sizeof rb))
        return real(out, in, offset, count);
    off_t src_at = offset ? *offset : lseek(in, 0, SEEK_CUR);
    off_t dst_at = cur_off(out, &f);
    ssize_t k = real(out, in, offset, count);
    if (k > 0) {
        int saved = errno;
        void *b = read_back(in, src_at, (size_t)k);
        if (b) {
            rec_write(&f, "sendfile", dst_at, b, (size_t)k, NULL, 0);
            free(b);
        } else {
            emit("UNSUPPORTED", "why=sendfile_readback", NULL, 0, NULL, 0);
        }
        errno = saved;
    }
    return k;
}
ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
    ensure_init();
    return sendfile_common(r_sendfile, out, in, offset, count);
}
ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
    ensure_init();
    return sendfile_common(r_sendfile64, out, in, offset, count);
}

/* ---- size changes ---- */

static void rec_size(const struct fdinfo *f, const char *op, const char *extra)
{
    char e[PATH_MAX * 3 + 4], body[PATH_MAX * 3 + 200];
    enc(f->rel, e, sizeof e);
    snprintf(body, sizeof body, "p=%s ino=%llu %s", e, (unsigned long long)f->ino, extra);
    emit(op, body, NULL, 0, NULL, 0);
}

static int ftrunc_common(int (*real)(int, off_t), int fd, off_t len)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return real(fd, len);
    int r = real(fd, len);
    if (r == 0) {
        char x[64];
        snprintf(x, sizeof x, "len=%lld", (long long)len);
        rec_size(&f, "TRUNC", x);
    }
    return r;
}
int ftruncate(int fd, off_t len) { ensure_init(); return ftrunc_common(r_ftruncate, fd, len); }
int ftruncate64(int fd, off_t len) { ensure_init(); return ftrunc_common(r_ftruncate64, fd, len); }

static int trunc_path(int (*real)(const char *, off_t), const char *path, off_t len)
{
    ensure_init();
    char abs[PATH_MAX];
    const char *rel;
    if (in_shim || abspath(AT_FDCWD, path, abs) != 0 || !(rel = under_root(abs)) ||
        quiet_name(rel))
        return real(path, len);
    int r = real(path, len);
    struct stat st;
    if (r == 0 && stat(abs, &st) == 0) {
        struct fdinfo f = {.rel = (char *)rel, .ino = st.st_ino};
        char x[64];
        snprintf(x, sizeof x, "len=%lld", (long long)len);
        rec_size(&f, "TRUNC", x);
    }
    return r;
}
int truncate(const char *p, off_t len) { ensure_init(); return trunc_path(r_truncate, p, len); }
int truncate64(const char *p, off_t len) { ensure_init(); return trunc_path(r_truncate64, p, len); }

static int falloc_common(int (*real)(int, int, off_t, off_t), int fd, int mode, off_t off,
                         off_t len)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return real(fd, mode, off, len);
    int r = real(fd, mode, off, len);
    if (r == 0) {
        char x[96];
        snprintf(x, sizeof x, "mode=%d off=%lld len=%lld", mode, (long long)off, (long long)len);
        rec_size(&f, "FALLOC", x);
    }
    return r;
}
int fallocate(int fd, int mode, off_t off, off_t len)
{
    ensure_init();
    return falloc_common(r_fallocate, fd, mode, off, len);
}
int fallocate64(int fd, int mode, off_t off, off_t len)
{
    ensure_init();
    return falloc_common(r_fallocate64, fd, mode, off, len);
}
static int pfalloc_common(int (*real)(int, off_t, off_t), int fd, off_t off, off_t len)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return real(fd, off, len);
    int r = real(fd, off, len); /* returns an error number, not -1 */
    if (r == 0) {
        char x[96];
        snprintf(x, sizeof x, "mode=0 off=%lld len=%lld", (long long)off, (long long)len);
        rec_size(&f, "FALLOC", x);
    }
    return r;
}
int posix_fallocate(int fd, off_t off, off_t len)
{
    ensure_init();
    return pfalloc_common(r_posix_fallocate, fd, off, len);
}
int posix_fallocate64(int fd, off_t off, off_t len)
{
    ensure_init();
    return pfalloc_common(r_posix_fallocate64, fd, off, len);
}

/* ---- syncs ---- */

static int sync_common(int (*real)(int), const char *kind, int fd)
{
    ensure_init();
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || !tracked(fd, &f, rb, sizeof rb))
        return real(fd);
    /* Only what was recorded before the call started is covered by it. */
    uint64_t snap = current_seq();
    int r = real(fd);
    if (r == 0) {
        char x[96];
        snprintf(x, sizeof x, "dir=%d kind=%s snap=%llu", f.isdir, kind,
                 (unsigned long long)snap);
        rec_size(&f, "FSYNC", x);
    }
    return r;
}
int fsync(int fd) { ensure_init(); return sync_common(r_fsync, "fsync", fd); }
int fdatasync(int fd) { ensure_init(); return sync_common(r_fdatasync, "fdatasync", fd); }

void sync(void)
{
    ensure_init();
    uint64_t snap = current_seq();
    r_sync();
    if (active && !in_shim) {
        char x[64];
        snprintf(x, sizeof x, "snap=%llu", (unsigned long long)snap);
        emit("SYNCALL", x, NULL, 0, NULL, 0);
    }
}
int syncfs(int fd)
{
    ensure_init();
    uint64_t snap = current_seq();
    int r = r_syncfs(fd);
    if (r == 0 && active && !in_shim) {
        char x[64];
        snprintf(x, sizeof x, "snap=%llu", (unsigned long long)snap);
        emit("SYNCALL", x, NULL, 0, NULL, 0);
    }
    return r;
}

/* ---- names ---- */

/* Records a name operation on one path. ino_after: stat the path after. */
static void rec_name(const char *op, const char *abs, int with_ino)
{
    const char *rel = under_root(abs);
    if (!rel || quiet_name(rel))
        return;
    char e[PATH_MAX * 3 + 4], body[PATH_MAX * 3 + 100];
    enc(rel, e, sizeof e);
    struct stat st;
    if (with_ino && lstat(abs, &st) == 0)
        snprintf(body, sizeof body, "p=%s ino=%llu", e, (unsigned long long)st.st_ino);
    else
        snprintf(body, sizeof body, "p=%s", e);
    emit(op, body, NULL, 0, NULL, 0);
}

static int rename_common(int od, const char *op, int nd, const char *np, unsigned flags,
                         int r)
{
    if (r != 0 || !active)
        return r;
    char a[PATH_MAX], b[PATH_MAX];
    if (abspath(od, op, a) != 0 || abspath(nd, np, b) != 0)
        return r;
    const char *ra = under_root(a), *rb = under_root(b);
    if (!ra && !rb)
        return r;
    int saved = errno;
    char ea[PATH_MAX * 3 + 4], eb[PATH_MAX * 3 + 4], body[PATH_MAX * 6 + 100];
    if (ra && rb) {
        if (quiet_name(ra) && quiet_name(rb))
            return r;
        struct stat st;
        unsigned long long ino = lstat(b, &st) == 0 ? (unsigned long long)st.st_ino : 0;
        enc(ra, ea, sizeof ea);
        enc(rb, eb, sizeof eb);
        snprintf(body, sizeof body, "p=%s p2=%s ino=%llu flags=%u", ea, eb, ino, flags);
        emit("RENAME", body, NULL, 0, NULL, 0);
    } else {
        enc(ra ? ra : "", ea, sizeof ea);
        enc(rb ? rb : "", eb, sizeof eb);
        snprintf(body, sizeof body, "op=rename p=%s p2=%s in_src=%d in_dst=%d", ea, eb, !!ra,
                 !!rb);
        emit("OUTSIDE", body, NULL, 0, NULL, 0);
    }
    errno = saved;
    return r;
}

int rename(const char *o, const char *n)
{
    ensure_init();
    if (in_shim)
        return r_rename(o, n);
    return rename_common(AT_FDCWD, o, AT_FDCWD, n, 0, r_rename(o, n));
}
int renameat(int od, const char *o, int nd, const char *n)
{
    ensure_init();
    if (in_shim)
        return r_renameat(od, o, nd, n);
    /* resolve before: dir fds may be closed by other threads afterwards,
     * but the names are resolved from our table, so after is fine too */
    return rename_common(od, o, nd, n, 0, r_renameat(od, o, nd, n));
}
int renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
    ensure_init();
    if (in_shim)
        return r_renameat2(od, o, nd, n, flags);
    return rename_common(od, o, nd, n, flags, r_renameat2(od, o, nd, n, flags));
}

static int unlink_common(int dirfd, const char *path, int flags, int r)
{
    if (r != 0 || !active)
        return r;
    char a[PATH_MAX];
    if (abspath(dirfd, path, a) == 0)
        rec_name(flags & AT_REMOVEDIR ? "RMDIR" : "UNLINK", a, 0);
    return r;
}
int unlink(const char *p)
{
    ensure_init();
    if (in_shim)
        return r_unlink(p);
    return unlink_common(AT_FDCWD, p, 0, r_unlink(p));
}
int unlinkat(int d, const char *p, int flags)
{
    ensure_init();
    if (in_shim)
        return r_unlinkat(d, p, flags);
    /* resolve the path first: the name is gone afterwards but the dir fd
     * is what we resolve against, and it is still open */
    return unlink_common(d, p, flags, r_unlinkat(d, p, flags));
}
int rmdir(const char *p)
{
    ensure_init();
    if (in_shim)
        return r_rmdir(p);
    return unlink_common(AT_FDCWD, p, AT_REMOVEDIR, r_rmdir(p));
}

static int mkdir_common(int dirfd, const char *path, int r)
{
    if (r != 0 || !active)
        return r;
    int saved = errno;
    char a[PATH_MAX];
    if (abspath(dirfd, path, a) == 0)
        rec_name("MKDIR", a, 1);
    errno = saved;
    return r;
}
int mkdir(const char *p, mode_t m)
{
    ensure_init();
    if (in_shim)
        return r_mkdir(p, m);
    return mkdir_common(AT_FDCWD, p, r_mkdir(p, m));
}
int mkdirat(int d, const char *p, mode_t m)
{
    ensure_init();
    if (in_shim)
        return r_mkdirat(d, p, m);
    return mkdir_common(d, p, r_mkdirat(d, p, m));
}

static int link_common(int od, const char *o, int nd, const char *n, int r)
{
    if (r != 0 || !active)
        return r;
    char a[PATH_MAX], b[PATH_MAX];
    if (abspath(od, o, a) == 0 && abspath(nd, n, b) == 0 && (under_root(a) || under_root(b)))
        emit("OUTSIDE", "op=link", NULL, 0, NULL, 0);
    return r;
}
int link(const char *o, const char *n)
{
    ensure_init();
    return link_common(AT_FDCWD, o, AT_FDCWD, n, r_link(o, n));
}
int linkat(int od, const char *o, int nd, const char *n, int flags)
{
    ensure_init();
    return link_common(od, o, nd, n, r_linkat(od, o, nd, n, flags));
}

/* ---- bind: an AF_UNIX socket is a name in its directory (pail's admin.sock) ---- */

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    ensure_init();
    int r = r_bind(fd, sa, len);
    if (r != 0 || !active || in_shim || !sa || sa->sa_family != AF_UNIX ||
        len <= (socklen_t)offsetof(struct sockaddr_un, sun_path))
        return r;
    const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
    size_t max = (size_t)len - offsetof(struct sockaddr_un, sun_path);
    if (max > sizeof un->sun_path)
        max = sizeof un->sun_path;
    char path[sizeof un->sun_path + 1];
    size_t n = strnlen(un->sun_path, max);
    if (n == 0) /* abstract namespace: no file */
        return r;
    memcpy(path, un->sun_path, n);
    path[n] = 0;
    int saved = errno;
    char a[PATH_MAX];
    if (abspath(AT_FDCWD, path, a) == 0)
        rec_name("MKSOCK", a, 1);
    errno = saved;
    return r;
}

/* ---- close ---- */

static void forget(int fd)
{
    if (!active || fd < 0 || fd >= MAX_FDS || !fds[fd].rel)
        return;
    pthread_mutex_lock(&mu);
    char *rel = fds[fd].rel;
    struct fdinfo f = fds[fd];
    fds[fd].rel = NULL;
    pthread_mutex_unlock(&mu);
    if (rel && !f.quiet) {
        char e[PATH_MAX * 3 + 4], body[PATH_MAX * 3 + 100];
        enc(rel, e, sizeof e);
        snprintf(body, sizeof body, "p=%s ino=%llu fd=%d", e, (unsigned long long)f.ino, fd);
        emit("CLOSE", body, NULL, 0, NULL, 0);
    }
    free(rel);
}

int close(int fd)
{
    ensure_init();
    forget(fd);
    return r_close(fd);
}

int closedir(DIR *d)
{
    ensure_init();
    forget(dirfd(d));
    return r_closedir(d);
}

/* ---- mmap: a shared writable map of a recorded file is not supported ---- */

static void check_map(int prot, int flags, int fd)
{
    struct fdinfo f;
    char rb[PATH_MAX];
    if (in_shim || fd < 0 || !(prot & PROT_WRITE) || !(flags & MAP_SHARED))
        return;
    if (tracked(fd, &f, rb, sizeof rb))
        rec_size(&f, "MMAPW", "");
}
void *mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
    ensure_init();
    check_map(prot, flags, fd);
    return r_mmap(a, n, prot, flags, fd, off);
}
void *mmap64(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
    ensure_init();
    check_map(prot, flags, fd);
    return r_mmap64(a, n, prot, flags, fd, off);
}
