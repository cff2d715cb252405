/* util/xml_out.c — see xml_out.h. Owns escaping and tag bookkeeping only;
 * which elements a response contains is the caller's business. */
#include "util/xml_out.h"

#include "core/buf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length (2..4) of the well-formed UTF-8 sequence at p, or 0. Follows the
 * Unicode table of well-formed byte sequences: no overlongs, no surrogates,
 * nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    /* U+FFFE and U+FFFF are well-formed UTF-8 but not XML characters. */
    if (len == 3 && c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
        return 0;
    return len;
}

/* Bytes that pass through unchanged: printable ASCII other than the five
 * markup characters, plus TAB and LF. */
static bool plain(unsigned char c)
{
    if (c >= 0x20 && c < 0x80)
        return c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
    return c == '\t' || c == '\n';
}

/* The escape for one byte below 0x80 that is not plain. */
static bool escape_ascii(struct pail_buf *b, unsigned char c)
{
    switch (c) {
    case '&': return pail_buf_append(b, "&amp;", 5);
    case '<': return pail_buf_append(b, "&lt;", 4);
    case '>': return pail_buf_append(b, "&gt;", 4);
    case '"': return pail_buf_append(b, "&quot;", 6);
    case '\'': return pail_buf_append(b, "&apos;", 6);
    default: return pail_buf_printf(b, "&#x%X;", (unsigned)c);
    }
}

bool pail_xml_escape(struct pail_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && plain(p[run]))
            run++;
        if (run > i && !pail_buf_append(b, p + i, run - i))
            return false;
        i = run;
        if (i == n)
            break;
        bool ok;
        if (p[i] < 0x80) {
            ok = escape_ascii(b, p[i]);
            i++;
        } else {
            size_t len = utf8_seq(p + i, n - i);
            ok = len ? pail_buf_append(b, p + i, len)
                     : pail_buf_append(b, replacement, 3);
            i += len ? len : 1;
        }
        if (!ok)
            return false;
    }
    return !b->overflow;
}

/* Element names come from our own code; checking them is cheap insurance
 * against emitting markup from a bad pointer or an injected name. */
static bool valid_name(const char *name)
{
    if (!name || !*name || (name[0] >= '0' && name[0] <= '9') || name[0] == '-' ||
        name[0] == '.')
        return false;
    for (const char *c = name; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.' ||
                  *c == ':';
        if (!ok)
            return false;
    }
    return true;
}

/* Common guard: false (and the sticky error set) when x cannot be written. */
static bool usable(struct pail_xml *x, const char *name)
{
    if (x->error || !x->buf || x->buf->overflow || (name && !valid_name(name))) {
        x->error = true;
        return false;
    }
    return true;
}

static void note(struct pail_xml *x, bool ok)
{
    if (!ok)
        x->error = true;
}

void pail_xml_begin(struct pail_xml *x, struct pail_buf *buf)
{
    memset(x, 0, sizeof(*x));
    x->buf = buf;
    if (usable(x, NULL))
        note(x, pail_buf_puts(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
}

static void push(struct pail_xml *x, const char *name, const char *ns)
{
    if (!usable(x, name))
        return;
    if (x->depth >= PAIL_XML_MAX_DEPTH) {
        x->error = true;
        return;
    }
    bool ok = pail_buf_append(x->buf, "<", 1) && pail_buf_puts(x->buf, name);
    if (ns)
        ok = ok && pail_buf_puts(x->buf, " xmlns=\"") &&
             pail_xml_escape(x->buf, ns, strlen(ns)) && pail_buf_append(x->buf, "\"", 1);
    ok = ok && pail_buf_append(x->buf, ">", 1);
    note(x, ok);
    x->stack[x->depth++] = name;
}

void pail_xml_open(struct pail_xml *x, const char *name)
{
    push(x, name, NULL);
}

void pail_xml_open_ns(struct pail_xml *x, const char *name, const char *ns)
{
    push(x, name, ns ? ns : PAIL_XML_S3_NS);
}

static bool end_tag(struct pail_buf *b, const char *name)
{
    return pail_buf_append(b, "</", 2) && pail_buf_puts(b, name) &&
           pail_buf_append(b, ">", 1);
}

void pail_xml_close(struct pail_xml *x)
{
    if (!usable(x, NULL))
        return;
    if (x->depth == 0) {
        x->error = true;
        return;
    }
    note(x, end_tag(x->buf, x->stack[--x->depth]));
}

void pail_xml_elem_n(struct pail_xml *x, const char *name, const char *text, size_t n)
{
    if (!usable(x, name))
        return;
    bool ok = pail_buf_append(x->buf, "<", 1) && pail_buf_puts(x->buf, name) &&
              pail_buf_append(x->buf, ">", 1) &&
              (!text || pail_xml_escape(x->buf, text, n)) && end_tag(x->buf, name);
    note(x, ok);
}

void pail_xml_elem(struct pail_xml *x, const char *name, const char *text)
{
    pail_xml_elem_n(x, name, text, text ? strlen(text) : 0);
}

void pail_xml_elemf(struct pail_xml *x, const char *name, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        x->error = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        pail_xml_elem_n(x, name, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        x->error = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    pail_xml_elem_n(x, name, big, (size_t)n);
    free(big);
}

void pail_xml_elem_u64(struct pail_xml *x, const char *name, uint64_t v)
{
    pail_xml_elemf(x, name, "%" PRIu64, v);
}

void pail_xml_elem_bool(struct pail_xml *x, const char *name, bool v)
{
    pail_xml_elem(x, name, v ? "true" : "false");
}

void pail_xml_text(struct pail_xml *x, const char *text, size_t n)
{
    if (!usable(x, NULL))
        return;
    if (x->depth == 0) { /* character data outside the root is ill-formed */
        x->error = true;
        return;
    }
    note(x, pail_xml_escape(x->buf, text, n));
}

enum pail_err pail_xml_end(struct pail_xml *x)
{
    while (!x->error && x->depth > 0)
        pail_xml_close(x);
    if (x->buf && x->buf->overflow)
        x->error = true;
    return x->error ? PAIL_E_InternalError : PAIL_OK;
}
