/* http/head_scan.c — see head_scan.h. One pass over the bytes received so
 * far: the doorman calls it again, from the start, each time more arrive. */
#include "http/head_scan.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Longer than any method; garbage that starts with a capital is refused
 * before its line ends. */
#define METHOD_MAX 32

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* "TOKEN SP target SP HTTP/1.DIGIT" (RFC 9112 §3), len bytes without the
 * line end. Controls were refused already; the target may hold any other
 * byte except blanks (MHD decodes it later; target.c judges its form). */
static bool request_line(const unsigned char *s, size_t len)
{
    const unsigned char *sp1 = memchr(s, ' ', len);
    if (!sp1 || sp1 == s)
        return false;
    for (const unsigned char *p = s; p < sp1; p++)
        if (!is_tchar(*p))
            return false;
    const unsigned char *target = sp1 + 1, *end = s + len;
    const unsigned char *sp2 = memchr(target, ' ', (size_t)(end - target));
    if (!sp2 || sp2 == target || memchr(target, '\t', (size_t)(sp2 - target)))
        return false;
    const unsigned char *version = sp2 + 1;
    return end - version == 8 && memcmp(version, "HTTP/1.", 7) == 0 && version[7] >= '0' &&
           version[7] <= '9';
}

/* A field line needs a colon after a non-empty name (edge.c checks that the
 * name is a token once MHD has split it). */
static bool field_line(const unsigned char *s, size_t len)
{
    const unsigned char *colon = memchr(s, ':', len);
    return colon && colon != s;
}

/* Judges the line [s, s+len) that just ended; PAIL_HEAD_MORE when it is
 * fine and the head goes on. */
static enum pail_head line_ended(const unsigned char *s, size_t len, bool first)
{
    if (first)
        return request_line(s, len) ? PAIL_HEAD_MORE : PAIL_HEAD_BAD;
    if (len == 0)
        return PAIL_HEAD_DONE;
    return field_line(s, len) ? PAIL_HEAD_MORE : PAIL_HEAD_BAD;
}

enum pail_head pail_head_scan(const char *buf, size_t n, size_t limit, size_t *head_len)
{
    return pail_head_scan_fields(buf, n, limit, SIZE_MAX, head_len);
}

enum pail_head pail_head_scan_fields(const char *buf, size_t n, size_t limit, size_t max_fields,
                                     size_t *head_len)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t end = n < limit ? n : limit;
    if (end == 0)
        return PAIL_HEAD_MORE;
    if (b[0] < 'A' || b[0] > 'Z')
        return PAIL_HEAD_BAD;
    size_t line = 0;         /* where the current line starts */
    bool first = true;       /* in the request line */
    bool in_method = true;   /* before the request line's first SP */
    size_t fields = 0;       /* field lines ended so far */
    for (size_t i = 0; i < end; i++) {
        unsigned char c = b[i];
        if (c == '\r') {
            if (i + 1 == end)
                break; /* its LF may be next */
            if (b[i + 1] != '\n')
                return PAIL_HEAD_BAD; /* a bare CR (RFC 9112 §2.2) */
            continue;
        }
        if (c == '\n') {
            size_t len = i - line;
            if (len && b[i - 1] == '\r')
                len--;
            enum pail_head h = line_ended(b + line, len, first);
            if (h == PAIL_HEAD_DONE && head_len)
                *head_len = i + 1;
            if (h != PAIL_HEAD_MORE)
                return h;
            if (!first && fields++ == max_fields)
                return PAIL_HEAD_TOO_BIG;
            first = false;
            line = i + 1;
            continue;
        }
        if (is_control(c))
            return PAIL_HEAD_BAD;
        if (!first && i == line && (c == ' ' || c == '\t'))
            return PAIL_HEAD_BAD; /* obs-fold (RFC 9112 §5.2), or a blank before the first field */
        if (in_method) {
            if (c == ' ')
                in_method = false;
            else if (!is_tchar(c) || i >= METHOD_MAX)
                return PAIL_HEAD_BAD;
        }
    }
    return n >= limit ? PAIL_HEAD_TOO_BIG : PAIL_HEAD_MORE;
}

enum pail_head pail_hello_scan(const char *buf, size_t n, size_t limit, int *plain_http)
{
    const unsigned char *b = (const unsigned char *)buf;
    *plain_http = 0;
    if (n == 0)
        return PAIL_HEAD_MORE;
    if (b[0] != 22) { /* not a handshake record */
        *plain_http = b[0] >= 'A' && b[0] <= 'Z';
        return PAIL_HEAD_BAD;
    }
    if (n < 5)
        return n >= 2 && b[1] != 3 ? PAIL_HEAD_BAD : PAIL_HEAD_MORE;
    size_t len = (size_t)b[3] << 8 | b[4];
    if (b[1] != 3 || len == 0 || len > 16384 + 2048) /* RFC 8446 §5.1: at most 2^14 (+2^11 if protected) */
        return PAIL_HEAD_BAD;
    return n >= 5 + len || n >= limit ? PAIL_HEAD_DONE : PAIL_HEAD_MORE;
}
