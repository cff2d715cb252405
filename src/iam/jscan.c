/* iam/jscan.c — see jscan.h. Values are skipped structurally (strings with
 * their escapes, nested objects and arrays by depth); nothing is validated
 * beyond what finding spans needs. */
#include "iam/jscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Past the string starting at p ('"'), or NULL. */
static const char *skip_str(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p >= end)
                return NULL;
        } else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Past the value starting at p, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_str(p, end);
    if (*p != '{' && *p != '[') {
        const char *s = p;
        while (p < end && !strchr(",]} \t\r\n", *p))
            p++;
        return p > s ? p : NULL;
    }
    int depth = 0;
    while (p < end) {
        if (*p == '"') {
            p = skip_str(p, end);
            if (!p)
                return NULL;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

bool jv_root(const char *doc, struct jv *out)
{
    if (!doc)
        return false;
    const char *end = doc + strlen(doc), *p = ws(doc, end), *e = skip_value(p, end);
    if (!e || ws(e, end) != end)
        return false;
    *out = (struct jv){p, (size_t)(e - p)};
    return true;
}

bool jv_is_str(struct jv v) { return v.p && v.n >= 2 && v.p[0] == '"'; }
bool jv_is_obj(struct jv v) { return v.p && v.n >= 2 && v.p[0] == '{'; }
bool jv_is_arr(struct jv v) { return v.p && v.n >= 2 && v.p[0] == '['; }
bool jv_true(struct jv v) { return v.p && v.n == 4 && memcmp(v.p, "true", 4) == 0; }

/* Walks the members (objects) or elements (arrays) of v from *pos; the
 * member's key span goes to *key when wanted. */
static bool next_item(struct jv v, size_t *pos, struct jv *key, struct jv *val)
{
    const char *end = v.p + v.n - 1; /* the closing bracket */
    const char *p = ws(v.p + (*pos ? *pos : 1), end);
    if (p >= end)
        return false;
    if (*pos) { /* after the previous item: a comma */
        if (*p != ',')
            return false;
        p = ws(p + 1, end);
    }
    if (key) {
        const char *ke = *p == '"' ? skip_str(p, end) : NULL;
        if (!ke)
            return false;
        *key = (struct jv){p, (size_t)(ke - p)};
        p = ws(ke, end);
        if (p >= end || *p != ':')
            return false;
        p = ws(p + 1, end);
    }
    const char *e = skip_value(p, end);
    if (!e)
        return false;
    *val = (struct jv){p, (size_t)(e - p)};
    *pos = (size_t)(e - v.p);
    return true;
}

bool jv_member(struct jv obj, const char *key, struct jv *out)
{
    if (!jv_is_obj(obj))
        return false;
    size_t kl = strlen(key), pos = 0;
    struct jv k, v;
    while (next_item(obj, &pos, &k, &v))
        if (k.n == kl + 2 && memcmp(k.p + 1, key, kl) == 0) {
            *out = v;
            return true;
        }
    return false;
}

bool jv_next(struct jv arr, size_t *pos, struct jv *elem)
{
    return jv_is_arr(arr) && next_item(arr, pos, NULL, elem);
}

int64_t jv_int(struct jv v)
{
    if (!v.p || !v.n || (v.p[0] != '-' && (v.p[0] < '0' || v.p[0] > '9')))
        return 0;
    char buf[32];
    size_t n = v.n < sizeof buf - 1 ? v.n : sizeof buf - 1;
    memcpy(buf, v.p, n);
    buf[n] = '\0';
    return strtoll(buf, NULL, 10);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool hex4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

static size_t put_utf8(unsigned cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescapes string v into o (at least v.n bytes: unescaping never grows a
 * string); returns the length or -1. */
static long unescape(struct jv v, char *o)
{
    const char *p = v.p + 1, *end = v.p + v.n - 1;
    size_t n = 0;
    while (p < end) {
        if (*p != '\\') {
            o[n++] = *p++;
            continue;
        }
        if (++p >= end)
            return -1;
        char c = *p++;
        switch (c) {
        case '"': case '\\': case '/': o[n++] = c; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!hex4(p, end, &cp))
                return -1;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                hex4(p + 2, end, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            n += put_utf8(cp, o + n);
            break;
        }
        default: return -1;
        }
    }
    o[n] = '\0';
    return (long)n;
}

char *jv_strdup(struct jv v)
{
    if (!jv_is_str(v))
        return NULL;
    char *s = malloc(v.n + 1);
    if (!s) {
        fputs("pail: out of memory\n", stderr);
        abort();
    }
    if (unescape(v, s) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

bool jv_strbuf(struct jv v, char *buf, size_t cap)
{
    if (!jv_is_str(v))
        return false;
    char tmp[512];
    if (v.n + 1 > sizeof tmp)
        return false;
    long n = unescape(v, tmp);
    if (n < 0 || (size_t)n + 1 > cap)
        return false;
    memcpy(buf, tmp, (size_t)n + 1);
    return true;
}

char *jv_get_strdup(struct jv obj, const char *key)
{
    struct jv v;
    return jv_member(obj, key, &v) ? jv_strdup(v) : NULL;
}
