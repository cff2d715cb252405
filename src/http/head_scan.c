/* http/head_scan.c — see head_scan.h. One state machine, a byte at a time:
 * the doorman runs it from the start over everything received so far each
 * time more arrives; the head guard (http/head_guard.c) feeds it the bytes
 * libmicrohttpd reads, as they come. */
#include "http/head_scan.h"

#include <limits.h>
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

/* Where the request line "TOKEN SP target SP HTTP/1.DIGIT" (RFC 9112 §3)
 * is. The target may hold any byte but controls and blanks (MHD decodes it
 * later; target.c judges its form). */
enum { RL_METHOD, RL_TARGET0, RL_TARGET, RL_VERSION, RL_DONE };

/* A request-line byte (not CR or LF, no control); false when it breaks it. */
static bool request_line_byte(struct pail_head_stream *s, unsigned char c)
{
    switch (s->rl) {
    case RL_METHOD:
        if (c == ' ') {
            s->rl = RL_TARGET0;
            return true;
        }
        return is_tchar(c) && s->line < METHOD_MAX;
    case RL_TARGET0:
        s->rl = RL_TARGET;
        return c != ' ' && c != '\t';
    case RL_TARGET:
        if (c == ' ')
            s->rl = RL_VERSION;
        return c != '\t';
    default: /* RL_VERSION */
        if (s->ver < 7)
            return c == "HTTP/1."[s->ver++];
        return s->ver++ == 7 && c >= '0' && c <= '9';
    }
}

/* A Content-Length value byte: blanks, then digits, then blanks. */
static void length_byte(struct pail_head_stream *s, unsigned char c)
{
    if (c == ' ' || c == '\t') {
        if (s->val == 1)
            s->val = 2;
    } else if (c >= '0' && c <= '9' && s->val < 2) {
        if (s->val == 0)
            s->length = 0; /* each field's own value */
        s->val = 1;
        if (s->length > (ULLONG_MAX - 9) / 10)
            s->length_bad = 1;
        else
            s->length = s->length * 10 + (unsigned)(c - '0');
    } else {
        s->length_bad = 1;
    }
}

/* A byte of a field name: kept, lower case, only as far as the framing
 * fields' names go. */
static void name_byte(struct pail_head_stream *s, unsigned char c)
{
    if (s->name_len < sizeof s->name)
        s->name[s->name_len] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (s->name_len < UCHAR_MAX)
        s->name_len++;
}

/* A field-line byte (not CR or LF, no control). */
static void field_byte(struct pail_head_stream *s, unsigned char c)
{
    if (s->colon) {
        if (s->fld == 1)
            length_byte(s, c);
        return;
    }
    if (c != ':') {
        name_byte(s, c);
        return;
    }
    s->colon = s->line ? 1 : 2;
    if (s->colon == 2)
        return;
    if (s->name_len == 14 && !memcmp(s->name, "content-length", 14)) {
        s->fld = 1;
        s->content_lengths++;
    } else if (s->name_len == 17 && !memcmp(s->name, "transfer-encoding", 17)) {
        s->fld = 2;
        s->chunked = 1;
    }
}

/* The LF of a line: the request line must be whole, a field line needs a
 * colon after a non-empty name (edge.c checks that the name is a token once
 * MHD has split it), an empty line ends the head. */
static enum pail_head line_ended(struct pail_head_stream *s, size_t max_fields)
{
    if (s->rl != RL_DONE) {
        if (s->rl != RL_VERSION || s->ver != 8)
            return PAIL_HEAD_BAD;
        s->rl = RL_DONE;
        return PAIL_HEAD_MORE;
    }
    if (s->line == 0)
        return PAIL_HEAD_DONE;
    if (s->colon != 1)
        return PAIL_HEAD_BAD;
    if (s->fld == 1 && s->val == 0)
        s->length_bad = 1;
    return s->fields++ == max_fields ? PAIL_HEAD_TOO_BIG : PAIL_HEAD_MORE;
}

void pail_head_stream_init(struct pail_head_stream *s)
{
    memset(s, 0, sizeof *s);
}

/* The end of the run of bytes from b[j] below end that are neither below
 * lowest nor DEL, eight at a time while eight are left (bytes of 0x80 and up,
 * obs-text, belong to the run). */
static size_t plain_run(const unsigned char *b, size_t j, size_t end, unsigned char lowest)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (end - j >= 8) {
        uint64_t x;
        memcpy(&x, b + j, 8);
        uint64_t del = x ^ (0x7f * ones);
        /* a high bit where a byte is below lowest (and not 0x80+), or is DEL */
        if (((x - lowest * ones) & ~x & highs) | ((del - ones) & ~del & highs))
            break;
        j += 8;
    }
    while (j < end && b[j] >= lowest && b[j] != 0x7f)
        j++;
    return j;
}

/* Most of a head is the target, field names and field values, whose bytes
 * only have to be no control (in the target no blank either; a name ends at
 * its colon): the run of such bytes from b[i], as far as n and the limit
 * allow, is taken in one tight loop instead of the state machine's steps (a
 * signed request's head costs about a quarter as much). Returns the index of
 * the first byte not taken. */
static size_t skip_plain(struct pail_head_stream *s, const unsigned char *b, size_t i, size_t n,
                         size_t limit)
{
    size_t end = n - i < limit - s->n ? n : i + (limit - s->n);
    size_t j = i;
    if (s->rl == RL_DONE && s->line && !s->colon) {
        while (j < end && b[j] >= 0x20 && b[j] != 0x7f && b[j] != ':')
            name_byte(s, b[j++]);
    } else {
        unsigned char lowest;
        if (s->colon && s->fld != 1)
            lowest = 0x20; /* an ordinary field's value: SP is part of it */
        else if (s->rl == RL_TARGET)
            lowest = 0x21; /* the target: SP ends it */
        else
            return i;
        j = plain_run(b, j, end, lowest);
    }
    s->n += j - i;
    s->line += j - i;
    return j;
}

enum pail_head pail_head_stream_feed(struct pail_head_stream *s, const char *buf, size_t n,
                                     size_t limit, size_t max_fields, size_t *used)
{
    const unsigned char *b = (const unsigned char *)buf;
    for (size_t i = 0; i < n; i++) {
        if (s->n >= limit)
            return PAIL_HEAD_TOO_BIG;
        if (!s->cr) {
            i = skip_plain(s, b, i, n, limit);
            if (i == n)
                break;
            if (s->n >= limit)
                return PAIL_HEAD_TOO_BIG;
        }
        unsigned char c = b[i];
        if (s->n++ == 0 && (c < 'A' || c > 'Z'))
            return PAIL_HEAD_BAD; /* every method starts with a capital; a ClientHello with 0x16 */
        if (s->cr && c != '\n')
            return PAIL_HEAD_BAD; /* a bare CR (RFC 9112 §2.2) */
        s->cr = c == '\r';
        if (c == '\r')
            continue;
        if (c == '\n') {
            enum pail_head h = line_ended(s, max_fields);
            if (h == PAIL_HEAD_DONE && used)
                *used = i + 1;
            if (h != PAIL_HEAD_MORE)
                return h;
            s->line = 0;
            s->colon = s->fld = s->val = s->name_len = 0;
            continue;
        }
        if (is_control(c))
            return PAIL_HEAD_BAD;
        if (s->rl != RL_DONE) {
            if (!request_line_byte(s, c))
                return PAIL_HEAD_BAD;
        } else if (s->line == 0 && (c == ' ' || c == '\t')) {
            return PAIL_HEAD_BAD; /* obs-fold (RFC 9112 §5.2), or a blank before the first field */
        } else {
            field_byte(s, c);
        }
        s->line++;
    }
    return s->n >= limit ? PAIL_HEAD_TOO_BIG : PAIL_HEAD_MORE;
}

enum pail_head pail_head_scan(const char *buf, size_t n, size_t limit, size_t *head_len)
{
    return pail_head_scan_fields(buf, n, limit, SIZE_MAX, head_len);
}

enum pail_head pail_head_scan_fields(const char *buf, size_t n, size_t limit, size_t max_fields,
                                     size_t *head_len)
{
    struct pail_head_stream s;
    pail_head_stream_init(&s);
    size_t used = 0;
    enum pail_head h = pail_head_stream_feed(&s, buf, n < limit ? n : limit, limit, max_fields,
                                             &used);
    if (h == PAIL_HEAD_DONE && head_len)
        *head_len = used;
    return h;
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
