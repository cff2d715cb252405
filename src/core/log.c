/* core/log.c — see log.h. A line is formatted first, then written whole, so
 * lines from request threads never interleave.
 *
 * Access lines (pail_log_access) are gathered in one buffer and written by a
 * flusher thread every FLUSH_MS, or by the appender itself when the buffer is
 * full: a write(2) per request was 4% of a small GET's CPU. Every other line
 * first writes out what is buffered, so the log keeps its order. Two locks:
 * `out` serialises writes to stderr, `buf` guards the buffer; when both are
 * needed, `out` is taken first. */
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 2048
#define BUF_SIZE (64 * 1024)
#define FLUSH_MS 100

static enum pail_log_level min_level = PAIL_LOG_INFO;
static bool json_mode;
static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t buf = PTHREAD_MUTEX_INITIALIZER;
static char pending[BUF_SIZE]; /* access lines not yet written; under buf */
static size_t npending;
static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;
static bool flusher_ok;

void pail_log_set_level(enum pail_log_level l) { min_level = l; }
void pail_log_set_json(bool on) { json_mode = on; }
bool pail_log_json(void) { return json_mode; }

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (!k || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
        return 0;
    return k;
}

size_t pail_log_json_str(char *dst, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        char esc[8];
        const char *piece = esc;
        size_t k = 1, plen;
        if (u[i] == '"' || u[i] == '\\') {
            esc[0] = '\\', esc[1] = (char)u[i], plen = 2;
        } else if (u[i] < 0x20 || u[i] == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[u[i] >> 4], esc[5] = hex[u[i] & 15], plen = 6;
        } else if (u[i] < 0x80) {
            piece = s + i, plen = 1;
        } else if ((k = utf8_len(u + i, n - i)) != 0) {
            piece = s + i, plen = k;
        } else {
            piece = "\xef\xbf\xbd", plen = 3, k = 1; /* U+FFFD */
        }
        if (len + plen > cap)
            break;
        memcpy(dst + len, piece, plen);
        len += plen;
        i += k;
    }
    return len;
}

/* write(2) of all n bytes to stderr; a failing log has nowhere to report. */
static void write_all(const char *p, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = write(STDERR_FILENO, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

/* Writes out the buffer. Holds out; takes buf. */
static void drain_locked(void)
{
    static char copy[BUF_SIZE]; /* only ever used under out */
    pthread_mutex_lock(&buf);
    size_t n = npending;
    memcpy(copy, pending, n);
    npending = 0;
    pthread_mutex_unlock(&buf);
    write_all(copy, n);
}

static void *flusher(void *arg)
{
    (void)arg;
    const struct timespec tick = {0, FLUSH_MS * 1000000L};
    for (;;) {
        nanosleep(&tick, NULL);
        pthread_mutex_lock(&out);
        drain_locked();
        pthread_mutex_unlock(&out);
    }
    return NULL;
}

static void flusher_start(void)
{
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    flusher_ok = pthread_create(&t, &at, flusher, NULL) == 0;
    pthread_attr_destroy(&at);
}

/* "2026-12-02T00:38:57.249" of now, plus "Z"; returns its length (24). */
static size_t stamp_now(char *dst)
{
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
    size_t len = strlen(stamp);
    memcpy(dst, stamp, len);
    long ms = ts.tv_nsec / 1000000;
    dst[len++] = '.';
    dst[len++] = (char)('0' + ms / 100);
    dst[len++] = (char)('0' + ms / 10 % 10);
    dst[len++] = (char)('0' + ms % 10);
    dst[len++] = 'Z';
    return len;
}

static size_t put(char *line, size_t len, const char *s)
{
    size_t n = strlen(s);
    memcpy(line + len, s, n);
    return len + n;
}

/* Formats "<time> <level> <text>\n" into line (LINE_MAX_LEN), or in JSON
 * mode {"time":…,"level":…, then text as members (access lines) or as "msg",
 * then "}\n"; returns its length. By hand: snprintf was a visible share of a
 * small GET's CPU. A text too long is cut: JSON members are kept whole by
 * their writer, which stays within the access line's smaller buffer. */
static size_t format(char *line, enum pail_log_level l, const char *text, size_t n, bool members)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    size_t len = 0;
    if (json_mode) {
        len = put(line, len, "{\"time\":\"");
        len += stamp_now(line + len);
        len = put(line, len, "\",\"level\":\"");
        len = put(line, len, names[l]);
        len = put(line, len, members ? "\"," : "\",\"msg\":\"");
        size_t room = LINE_MAX_LEN - 4 - len; /* the closing "}\n */
        if (members) {
            if (n > room)
                n = room;
            memcpy(line + len, text, n);
            len += n;
        } else {
            len += pail_log_json_str(line + len, room, text, n);
            line[len++] = '"';
        }
        line[len++] = '}';
        line[len++] = '\n';
        return len;
    }
    len += stamp_now(line);
    line[len++] = ' ';
    len = put(line, len, names[l]);
    line[len++] = ' ';
    if (n > LINE_MAX_LEN - 1 - len)
        n = LINE_MAX_LEN - 1 - len; /* truncated: keep the newline */
    memcpy(line + len, text, n);
    len += n;
    line[len++] = '\n';
    return len;
}

/* A line written now, after whatever access lines are buffered. */
static void emit(enum pail_log_level l, const char *text, size_t n)
{
    char line[LINE_MAX_LEN];
    size_t len = format(line, l, text, n, false);
    pthread_mutex_lock(&out);
    drain_locked();
    write_all(line, len);
    pthread_mutex_unlock(&out);
}

void pail_log(enum pail_log_level l, const char *fmt, ...)
{
    if (l < min_level)
        return;
    char text[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    emit(l, text, m < 0 ? 0 : (size_t)m < sizeof text ? (size_t)m : sizeof text - 1);
}

void pail_log_access(const char *text, size_t n)
{
    if (PAIL_LOG_INFO < min_level)
        return;
    pthread_once(&flusher_once, flusher_start);
    char line[LINE_MAX_LEN];
    size_t len = format(line, PAIL_LOG_INFO, text, n, true);
    pthread_mutex_lock(&buf);
    if (flusher_ok && npending + len <= sizeof pending) {
        memcpy(pending + npending, line, len);
        npending += len;
        pthread_mutex_unlock(&buf);
        return;
    }
    pthread_mutex_unlock(&buf);
    /* Full (the flusher is behind) or no flusher: write it out here. */
    pthread_mutex_lock(&out);
    drain_locked();
    write_all(line, len);
    pthread_mutex_unlock(&out);
}
