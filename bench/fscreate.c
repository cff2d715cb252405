/* bench/fscreate.c — the rate of durable small-file creates, one at a time:
 * write SIZE bytes to tmp/N, fsync it, rename it to obj/N, fsync obj/.
 * This is the floor under a durable PutObject: pail's PUT does this plus
 * a SQLite commit, so "PUT 4 KiB @16 conns / this rate" shows how much
 * pail gains from concurrency (group commit, parallel fsyncs).
 *
 *   fscreate DIR SECONDS [SIZE]   → one JSON line:
 *   {"creates":N,"seconds":S,"per_s":R,"p50_ms":..,"p99_ms":..}
 * DIR is created and must be on the filesystem being measured; the files
 * are removed at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what)
{
    fprintf(stderr, "fscreate: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fscreate DIR SECONDS [SIZE]\n");
        return 2;
    }
    const char *dir = argv[1];
    double secs = atof(argv[2]);
    size_t size = argc > 3 ? strtoul(argv[3], NULL, 10) : 4096;
    char tmpd[4096], objd[4096], a[4200], b[4200];
    snprintf(tmpd, sizeof tmpd, "%s/tmp", dir);
    snprintf(objd, sizeof objd, "%s/obj", dir);
    if ((mkdir(dir, 0700) && errno != EEXIST) || (mkdir(tmpd, 0700) && errno != EEXIST) ||
        (mkdir(objd, 0700) && errno != EEXIST))
        die("mkdir");
    char *buf = malloc(size ? size : 1);
    memset(buf, 'x', size);
    int dfd = open(objd, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        die("open dir");
    size_t cap = 1 << 16, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    double t0 = now(), t = t0;
    while (t - t0 < secs) {
        snprintf(a, sizeof a, "%s/%zu", tmpd, n);
        snprintf(b, sizeof b, "%s/%zu", objd, n);
        int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            die("open");
        if (write(fd, buf, size) != (ssize_t)size)
            die("write");
        if (fsync(fd))
            die("fsync");
        close(fd);
        if (rename(a, b))
            die("rename");
        if (fsync(dfd))
            die("fsync dir");
        double e = now();
        if (n == cap)
            lat = realloc(lat, (cap *= 2) * sizeof *lat);
        lat[n++] = e - t;
        t = e;
    }
    double el = t - t0;
    for (size_t i = 0; i < n; i++) {
        snprintf(b, sizeof b, "%s/%zu", objd, i);
        unlink(b);
    }
    close(dfd);
    rmdir(tmpd);
    rmdir(objd);
    rmdir(dir);
    qsort(lat, n, sizeof *lat, cmp);
    printf("{\"creates\":%zu,\"seconds\":%.3f,\"per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n", n,
           el, n / el, n ? lat[n / 2] * 1e3 : 0, n ? lat[(size_t)(n * 0.99)] * 1e3 : 0);
    return 0;
}
