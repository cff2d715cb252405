/* core/log.c — see log.h. A line is formatted first, then written with one
 * write(2) under a lock, so lines from request threads never interleave and
 * a busy server spends one system call per access-log line. */
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum pail_log_level min_level = PAIL_LOG_INFO;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void pail_log_set_level(enum pail_log_level l) { min_level = l; }

/* Writes one line: timestamp, level, the n bytes of text (cut to fit). */
static void emit(enum pail_log_level l, const char *text, size_t n)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* The date changes once a second; each thread formats it only then. */
    static _Thread_local time_t last_sec = -1;
    static _Thread_local char stamp[24];
    if (ts.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        last_sec = ts.tv_sec;
    }
    /* "<stamp>.<ms>Z <level> " by hand: snprintf was a visible share of a
     * small GET's CPU, paid on every access-log line. */
    size_t len = strlen(stamp);
    memcpy(line, stamp, len);
    long ms = ts.tv_nsec / 1000000;
    line[len++] = '.';
    line[len++] = (char)('0' + ms / 100);
    line[len++] = (char)('0' + ms / 10 % 10);
    line[len++] = (char)('0' + ms % 10);
    line[len++] = 'Z';
    line[len++] = ' ';
    size_t ln = strlen(names[l]);
    memcpy(line + len, names[l], ln);
    len += ln;
    line[len++] = ' ';
    if (n > sizeof line - 1 - len)
        n = sizeof line - 1 - len; /* truncated: keep the newline */
    memcpy(line + len, text, n);
    len += n;
    line[len++] = '\n';
    pthread_mutex_lock(&lock);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(STDERR_FILENO, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere to report a failing log */
        off += (size_t)w;
    }
    pthread_mutex_unlock(&lock);
}

void pail_log(enum pail_log_level l, const char *fmt, ...)
{
    if (l < min_level)
        return;
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    emit(l, text, m < 0 ? 0 : (size_t)m < sizeof text ? (size_t)m : sizeof text - 1);
}

void pail_log_text(enum pail_log_level l, const char *text, size_t n)
{
    if (l >= min_level)
        emit(l, text, n);
}
