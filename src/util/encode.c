/* util/encode.c — see encode.h. */
#include "util/encode.h"

#include "core/buf.h"

#include <string.h>

static const char hexd[] = "0123456789abcdef";

void pail_hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[p[i] >> 4];
        out[2 * i + 1] = hexd[p[i] & 15];
    }
    out[2 * n] = 0;
}

void pail_ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

int pail_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool pail_unhex(const char *s, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = pail_hex_value((unsigned char)s[2 * i]);
        int lo = hi < 0 ? -1 : pail_hex_value((unsigned char)s[2 * i + 1]);
        if (lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return s[2 * n] == 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void pail_base64(const unsigned char *p, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
}

static int b64val(int c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

long pail_unbase64(const char *s, unsigned char *out, size_t cap)
{
    size_t n = strlen(s), o = 0;
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            if (s[i + j] == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
            } else if (pad || (v[j] = b64val((unsigned char)s[i + j])) < 0) {
                return -1;
            }
        }
        unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        unsigned char bytes[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w};
        for (int j = 0; j < 3 - pad; j++) {
            if (o >= cap)
                return -1;
            out[o++] = bytes[j];
        }
    }
    return (long)o;
}

bool pail_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || (size_t)(end - p) < len)
            return false;
        unsigned cp = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3Fu);
        }
        static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += len;
    }
    return true;
}

/* RFC 3986 unreserved, plus '/' unless it is to be encoded. */
static bool uri_keep(unsigned char c, bool encode_slash)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash);
}

bool pail_uri_encode(struct pail_buf *b, const char *s, size_t n, bool encode_slash)
{
    static const char HEX[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n;) {
        size_t run = i; /* unreserved bytes go out as one run (most keys are all of them) */
        while (run < n && uri_keep((unsigned char)s[run], encode_slash))
            run++;
        if (run > i && !pail_buf_append(b, s + i, run - i))
            return false;
        if (run == n)
            break;
        unsigned char c = (unsigned char)s[run];
        char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
        if (!pail_buf_append(b, e, 3))
            return false;
        i = run + 1;
    }
    return true;
}

long pail_uri_decode(const char *s, size_t n, char *out, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = pail_hex_value((unsigned char)s[i + 1]);
            int lo = hi < 0 ? -1 : pail_hex_value((unsigned char)s[i + 2]);
            if (lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return (long)o;
}

/* Whether query parameter p (up to '=') is a credential. */
static bool secret_param(const char *p)
{
    static const char *const names[] = {"Signature=", "X-Amz-Signature=",
                                        "X-Amz-Security-Token=", "x-amz-security-token="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(p, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

struct out {
    char *b;
    size_t n, cap;
};

static void out_n(struct out *o, const char *s, size_t k)
{
    if (k > o->cap - o->n)
        k = o->cap - o->n;
    memcpy(o->b + o->n, s, k);
    o->n += k;
}

size_t pail_redact_target(const char *t, char *out, size_t cap)
{
    struct out o = {out, 0, cap};
    const char *q = strchr(t, '?');
    if (!q || (!strstr(q, "ignature=") && !strstr(q, "ecurity-Token=") &&
               !strstr(q, "ecurity-token="))) {
        out_n(&o, t, strlen(t));
        return o.n;
    }
    out_n(&o, t, (size_t)(q + 1 - t));
    for (const char *p = q + 1; *p;) {
        size_t n = strcspn(p, "&");
        if (secret_param(p)) { /* its '=' is inside the parameter */
            out_n(&o, p, (size_t)(strchr(p, '=') - p) + 1);
            out_n(&o, "REDACTED", 8);
        } else {
            out_n(&o, p, n);
        }
        p += n;
        if (*p == '&')
            out_n(&o, p++, 1);
    }
    return o.n;
}
