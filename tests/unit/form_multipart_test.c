/* tests/unit/form_multipart_test.c — http/form_multipart.c: POST Object forms
 * as python-requests (s3-tests), browsers and the SDKs send them, each fed
 * whole, one byte at a time, split at every position and in random pieces,
 * with binary file content full of "\r\n--" and near-delimiters; the
 * Content-Type's boundary, Content-Disposition parsing, fields after the file,
 * missing file / closing boundary, limits and hostile framing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "http/form_multipart.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B "----pailFormBoundary7MA4YWxkTrZu0gW"
#define B_BUT_LAST "----pailFormBoundary7MA4YWxkTrZu0g"
#define CT "multipart/form-data; boundary=" B

/* ---- helpers ------------------------------------------------------------ */

struct bytes {
    char *p;
    size_t len, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(struct bytes *b, const char *s) { put(b, s, strlen(s)); }

/* A form body under construction. */
struct form {
    struct bytes b;
    const char *boundary;
    bool started;
};

/* A part with the given header lines (each ending in CRLF) and content. */
static void form_part(struct form *f, const char *headers, const void *content, size_t n)
{
    puts_(&f->b, f->started ? "\r\n--" : "--");
    puts_(&f->b, f->boundary);
    puts_(&f->b, "\r\n");
    puts_(&f->b, headers);
    puts_(&f->b, "\r\n");
    put(&f->b, content, n);
    f->started = true;
}

/* A field the way python-requests' files= sends it: filename= the name. */
static void form_field(struct form *f, const char *name, const char *value)
{
    char h[512];
    snprintf(h, sizeof(h), "Content-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n",
             name, name);
    form_part(f, h, value, strlen(value));
}

static void form_close(struct form *f)
{
    puts_(&f->b, "\r\n--");
    puts_(&f->b, f->boundary);
    puts_(&f->b, "--\r\n");
}

#define MAXF 128

/* What the callbacks saw. */
struct rec {
    size_t nfields;
    char *names[MAXF];
    struct bytes vals[MAXF];
    char *filename, *ctype;
    int begins, ends;
    struct bytes file;
    size_t pieces;
    char events[64]; /* 'f' field, 'B' begin, 'D' data (runs collapsed), 'E' end */
    size_t nev;
    enum pail_err fail_field, fail_begin, fail_data, fail_end;
};

static void event(struct rec *r, char c)
{
    if (c == 'D' && r->nev && r->events[r->nev - 1] == 'D')
        return;
    if (r->nev + 1 < sizeof(r->events))
        r->events[r->nev++] = c;
}

static enum pail_err on_field(void *ctx, const char *name, const char *value, size_t len)
{
    struct rec *r = ctx;
    event(r, 'f');
    assert_true(r->nfields < MAXF);
    assert_int_equal(value[len], 0);
    r->names[r->nfields] = strdup(name);
    memset(&r->vals[r->nfields], 0, sizeof(r->vals[0]));
    put(&r->vals[r->nfields], value, len);
    r->nfields++;
    return r->fail_field;
}

static enum pail_err on_begin(void *ctx, const char *filename, const char *ctype)
{
    struct rec *r = ctx;
    event(r, 'B');
    r->begins++;
    r->filename = filename ? strdup(filename) : NULL;
    r->ctype = ctype ? strdup(ctype) : NULL;
    return r->fail_begin;
}

static enum pail_err on_data(void *ctx, const void *p, size_t n)
{
    struct rec *r = ctx;
    assert_true(n > 0);
    event(r, 'D');
    r->pieces++;
    put(&r->file, p, n);
    return r->fail_data;
}

static enum pail_err on_end(void *ctx)
{
    struct rec *r = ctx;
    event(r, 'E');
    r->ends++;
    return r->fail_end;
}

static void rec_free(struct rec *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        free(r->names[i]);
        free(r->vals[i].p);
    }
    free(r->filename);
    free(r->ctype);
    free(r->file.p);
    memset(r, 0, sizeof(*r));
}

/* How to cut the body: NULL piece = whole. */
typedef size_t (*piece_fn)(size_t at, void *arg);

static size_t one_byte(size_t at, void *arg) { return 1; }

static size_t random_piece(size_t at, void *arg)
{
    unsigned *seed = arg;
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = (*seed >> 8) % 100;
    return r < 70 ? 1 + r % 5 : r < 95 ? 1 + (*seed >> 4) % 100 : 1 + (*seed >> 4) % 50000;
}

/* Cut once, at *arg. */
static size_t split_at(size_t at, void *arg)
{
    size_t k = *(size_t *)arg;
    return at < k ? k - at : SIZE_MAX;
}

/* Parses body with content type ct into r (whose fail_* are kept);
 * returns the first error of begin, feed or finish. *detail gets the
 * parser's detail. */
static enum pail_err parse(const char *ct, const struct bytes *body, piece_fn piece, void *arg,
                           struct rec *r, const char **detail)
{
    struct pail_arena *a = pail_arena_new();
    struct pail_form_cb cb = {on_field, on_begin, on_data, on_end, r};
    struct pail_form *f = NULL;
    const char *why = NULL;
    enum pail_err e = pail_form_begin(a, ct, &cb, &f, &why);
    if (!e) {
        for (size_t at = 0; at < body->len && !e;) {
            size_t n = piece ? piece(at, arg) : body->len;
            if (n > body->len - at)
                n = body->len - at;
            e = pail_form_feed(f, body->p + at, n);
            at += n;
        }
        if (!e)
            e = pail_form_finish(f);
        assert_int_equal(pail_form_finish(f), e); /* sticky */
        assert_int_equal(pail_form_file_length(f), r->file.len);
        why = pail_form_error_detail(f);
    }
    if (detail)
        *detail = why; /* static strings: outlive the arena */
    pail_arena_free(a);
    return e;
}

static void assert_bytes(const struct bytes *b, const void *p, size_t n)
{
    assert_int_equal(b->len, n);
    assert_memory_equal(b->p ? b->p : "", p, n);
}

static void assert_same(const struct rec *x, const struct rec *y)
{
    assert_int_equal(x->nfields, y->nfields);
    for (size_t i = 0; i < x->nfields; i++) {
        assert_string_equal(x->names[i], y->names[i]);
        assert_bytes(&x->vals[i], y->vals[i].p, y->vals[i].len);
    }
    assert_int_equal(x->begins, y->begins);
    assert_int_equal(x->ends, y->ends);
    if (x->filename || y->filename)
        assert_string_equal(x->filename, y->filename);
    if (x->ctype || y->ctype)
        assert_string_equal(x->ctype, y->ctype);
    assert_bytes(&x->file, y->file.p, y->file.len);
    assert_string_equal(x->events, y->events);
}

/* Parses body whole into *ref, then one byte at a time, split in two at
 * every position (bodies up to 4 KiB) and in 25 random cuts: every way must
 * give the same error and the same callbacks. Returns the error. */
static enum pail_err parse_all_ways(const char *ct, const struct bytes *body, struct rec *ref)
{
    enum pail_err want = parse(ct, body, NULL, NULL, ref, NULL);
    struct rec r = {0};
    assert_int_equal(parse(ct, body, one_byte, NULL, &r, NULL), want);
    assert_same(&r, ref);
    rec_free(&r);
    if (body->len <= 4096) {
        for (size_t k = 0; k <= body->len; k++) {
            assert_int_equal(parse(ct, body, split_at, &k, &r, NULL), want);
            assert_same(&r, ref);
            rec_free(&r);
        }
    }
    for (unsigned seed = 1; seed <= 25; seed++) {
        unsigned s = seed;
        assert_int_equal(parse(ct, body, random_piece, &s, &r, NULL), want);
        assert_same(&r, ref);
        rec_free(&r);
    }
    return want;
}

static const char *field_value(const struct rec *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->names[i], name) == 0)
            return r->vals[i].p;
    return NULL;
}

/* ---- well-formed forms --------------------------------------------------- */

/* s3-tests' test_post_object_authenticated_request, as python-requests sends it. */
static void test_requests_style_form(void **state)
{
    struct form f = {.boundary = B};
    form_field(&f, "key", "foo.txt");
    form_field(&f, "AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE");
    form_field(&f, "acl", "private");
    form_field(&f, "signature", "V3ZQ0Oqg3FkJMW0sEkNqNDLHjZo=");
    form_field(&f, "policy", "eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIn0=");
    form_field(&f, "Content-Type", "text/plain");
    form_part(&f, "Content-Disposition: form-data; name=\"file\"; filename=\"file\"\r\n", "bar", 3);
    form_close(&f);

    struct rec r = {0};
    assert_err(parse_all_ways(CT, &f.b, &r), PAIL_OK);
    assert_int_equal(r.nfields, 6);
    assert_string_equal(r.names[1], "awsaccesskeyid"); /* lower-cased */
    assert_string_equal(field_value(&r, "key"), "foo.txt");
    assert_string_equal(field_value(&r, "content-type"), "text/plain");
    assert_string_equal(field_value(&r, "awsaccesskeyid"), "AKIAIOSFODNN7EXAMPLE");
    assert_string_equal(r.filename, "file");
    assert_null(r.ctype);
    assert_bytes(&r.file, "bar", 3);
    assert_string_equal(r.events, "ffffffBDE");
    rec_free(&r);
    free(f.b.p);
}

/* A browser form: no filename on fields, a Content-Type on the file, a
 * preamble and an epilogue, the file's name with a path and odd bytes. */
static void test_browser_form_preamble_epilogue(void **state)
{
    struct bytes b = {0};
    puts_(&b, "This is a preamble.\r\n-- " B "\r\n--" B_BUT_LAST "\r\nstill preamble\r\n");
    puts_(&b, "--" B "\r\ncontent-disposition: form-data; name=\"x-amz-meta-Color\"\r\n\r\nblue");
    puts_(&b, "\r\n--" B "\r\nContent-Disposition: form-data; name=\"FILE\"; "
              "filename=\"C:\\Users\\eric\\r\\u00e9sum\xc3\xa9 \\\"1\\\".txt\"\r\n"
              "CONTENT-TYPE:   image/png  \r\n\r\n");
    puts_(&b, "\x89PNG\r\n\x1a\n");
    puts_(&b, "\r\n--" B "--\r\nThis is the epilogue.\r\n--" B "\r\nignored\r\n");
    struct rec r = {0};
    assert_err(parse_all_ways(CT, &b, &r), PAIL_OK);
    assert_int_equal(r.nfields, 1);
    assert_string_equal(r.names[0], "x-amz-meta-color");
    assert_string_equal(r.vals[0].p, "blue");
    /* \" unescaped; other backslashes (a Windows path) kept. */
    assert_string_equal(r.filename, "C:\\Users\\eric\\r\\u00e9sum\xc3\xa9 \"1\".txt");
    assert_string_equal(r.ctype, "image/png");
    assert_bytes(&r.file, "\x89PNG\r\n\x1a\n", 8);
    rec_free(&r);
    free(b.p);
}

/* The first delimiter preceded by a CRLF (an empty preamble line). */
static void test_leading_crlf(void **state)
{
    struct bytes b = {0};
    puts_(&b, "\r\n--" B "\r\nContent-Disposition: form-data; name=file\r\n\r\nx\r\n--" B "--");
    struct rec r = {0};
    assert_err(parse_all_ways(CT, &b, &r), PAIL_OK);
    assert_null(r.filename);
    assert_bytes(&r.file, "x", 1);
    rec_free(&r);
    free(b.p);
}

/* Binary file content: every byte value, and everything that looks like the
 * start of a delimiter without being one. */
static void test_binary_near_delimiters(void **state)
{
    struct bytes c = {0};
    for (int i = 0; i < 256; i++) {
        char ch = (char)i;
        put(&c, &ch, 1);
    }
    /* "\r\n--" B followed by anything is a delimiter, so only broken forms
     * of it may appear: truncated, case-changed, without the CR or a dash. */
    static const char *const near[] = {
        "\r\n--", "\r\n-", "\r\n", "\r", "\n--" B, "\r\n-- " B, "\r\n-" B,
        "\r\n--" B_BUT_LAST, "\r\r\n--\r\n--" B_BUT_LAST "X",
        "\r\n----PAILFORMBOUNDARY7MA4YWXKTRZU0GW", "--" B, "\r\n\r\n--" B_BUT_LAST "\r\n--",
    };
    for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
        puts_(&c, near[i]);
        puts_(&c, "data");
    }
    put(&c, "\r\n--" B, strlen("\r\n--" B) - 1); /* ends with a near-delimiter */
    struct form f = {.boundary = B};
    form_field(&f, "key", "k\r\n--x");
    form_part(&f, "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
                  "Content-Type: application/octet-stream\r\n",
              c.p, c.len);
    form_close(&f);
    struct rec r = {0};
    assert_err(parse_all_ways(CT, &f.b, &r), PAIL_OK);
    assert_string_equal(field_value(&r, "key"), "k\r\n--x");
    assert_bytes(&r.file, c.p, c.len);
    assert_string_equal(r.ctype, "application/octet-stream");
    rec_free(&r);
    free(c.p);
    free(f.b.p);
}

/* Content ending in CR, CRLF or "\r\n-" right before the delimiter. */
static void test_content_ending_like_delimiter(void **state)
{
    static const char *const tails[] = {"\r", "\r\n", "\r\n-", "\r\n--", "\r\r", "\r\n\r\n"};
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        char content[32];
        snprintf(content, sizeof(content), "abc%s", tails[i]);
        struct form f = {.boundary = B};
        form_field(&f, "key", content);
        form_part(&f, "Content-Disposition: form-data; name=\"file\"\r\n", content,
                  strlen(content));
        form_close(&f);
        struct rec r = {0};
        assert_err(parse_all_ways(CT, &f.b, &r), PAIL_OK);
        assert_string_equal(field_value(&r, "key"), content);
        assert_bytes(&r.file, content, strlen(content));
        rec_free(&r);
        free(f.b.p);
    }
}

/* Random content over the delimiter's own alphabet (CR, LF, '-', 'a'; a
 * dash-heavy boundary), kept only when it holds no delimiter, must come back
 * byte for byte however it is cut. */
static void test_random_delimiter_alphabet(void **state)
{
    static const char bnd[] = "--a--a-";
    const char *ct = "multipart/form-data; boundary=\"--a--a-\"";
    char delim[32];
    snprintf(delim, sizeof(delim), "\r\n--%s", bnd);
    unsigned seed = 7;
    int kept = 0;
    for (int round = 0; round < 400; round++) {
        struct bytes c = {0};
        size_t n = 1 + round % 60;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            char ch = "\r\n-a"[(seed >> 16) % 4];
            put(&c, &ch, 1);
        }
        struct bytes probe = {0}; /* content + delimiter: the first delimiter must be the real one */
        put(&probe, c.p, c.len);
        puts_(&probe, delim);
        char *hit = memmem(probe.p, probe.len, delim, strlen(delim));
        free(probe.p);
        if ((size_t)(hit - probe.p) != c.len) {
            free(c.p);
            continue;
        }
        kept++;
        struct form f = {.boundary = bnd};
        form_part(&f, "Content-Disposition: form-data; name=\"f1\"\r\n", c.p, c.len);
        form_part(&f, "Content-Disposition: form-data; name=\"file\"\r\n", c.p, c.len);
        form_close(&f);
        struct rec r = {0};
        unsigned s = seed;
        assert_err(parse(ct, &f.b, random_piece, &s, &r, NULL), PAIL_OK);
        assert_bytes(&r.vals[0], c.p, c.len);
        assert_bytes(&r.file, c.p, c.len);
        rec_free(&r);
        assert_err(parse(ct, &f.b, one_byte, NULL, &r, NULL), PAIL_OK);
        assert_bytes(&r.file, c.p, c.len);
        rec_free(&r);
        free(f.b.p);
        free(c.p);
    }
    assert_true(kept > 100);
}

/* A 3 MiB file in 64 KiB pieces: streamed, never held. */
static void test_large_file_streams(void **state)
{
    size_t n = 3u << 20;
    struct bytes c = {0};
    put(&c, "", 0);
    c.p = realloc(c.p, n + 1);
    for (size_t i = 0; i < n; i++)
        c.p[i] = (i % 97 == 0) ? '\r' : (i % 89 == 0) ? '\n' : (char)('a' + i % 26);
    c.len = n;
    struct form f = {.boundary = B};
    form_field(&f, "key", "big");
    form_part(&f, "Content-Disposition: form-data; name=\"file\"\r\n", c.p, c.len);
    size_t start = f.b.len - n; /* where the file's content begins */
    form_close(&f);
    size_t piece = 65536, dlen = strlen("\r\n--" B);
    struct rec r = {0};
    struct pail_arena *a = pail_arena_new();
    struct pail_form_cb cb = {on_field, on_begin, on_data, on_end, &r};
    struct pail_form *fm;
    assert_err(pail_form_begin(a, CT, &cb, &fm, NULL), PAIL_OK);
    for (size_t at = 0; at < f.b.len; at += piece) {
        size_t k = f.b.len - at < piece ? f.b.len - at : piece;
        assert_err(pail_form_feed(fm, f.b.p + at, k), PAIL_OK);
        /* All file bytes fed so far are passed on but a possible delimiter start. */
        size_t fed = at + k <= start ? 0 : at + k - start > n ? n : at + k - start;
        assert_true(fed - r.file.len <= dlen);
    }
    assert_err(pail_form_finish(fm), PAIL_OK);
    assert_int_equal(pail_form_file_length(fm), n);
    assert_true(pail_form_file_seen(fm));
    assert_bytes(&r.file, c.p, n);
    pail_arena_free(a);
    rec_free(&r);
    free(c.p);
    free(f.b.p);
}

/* Empty field values and an empty file. */
static void test_empty_values(void **state)
{
    struct form f = {.boundary = B};
    form_field(&f, "x-amz-meta-foo", "");
    form_part(&f, "Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n", "", 0);
    form_close(&f);
    struct rec r = {0};
    assert_err(parse_all_ways(CT, &f.b, &r), PAIL_OK);
    assert_string_equal(field_value(&r, "x-amz-meta-foo"), "");
    assert_string_equal(r.filename, "");
    assert_int_equal(r.file.len, 0);
    assert_string_equal(r.events, "fBE");
    rec_free(&r);
    free(f.b.p);
}

/* Everything after the file is ignored, a second "file" included. */
static void test_fields_after_file_ignored(void **state)
{
    struct form f = {.boundary = B};
    form_field(&f, "key", "a");
    form_part(&f, "Content-Disposition: form-data; name=\"File\"\r\n", "one", 3);
    form_field(&f, "acl", "public-read");
    form_part(&f, "Content-Disposition: form-data; name=\"file\"\r\n", "two", 3);
    form_close(&f);
    struct rec r = {0};
    assert_err(parse_all_ways(CT, &f.b, &r), PAIL_OK);
    assert_int_equal(r.nfields, 1);
    assert_int_equal(r.begins, 1);
    assert_bytes(&r.file, "one", 3);
    assert_string_equal(r.events, "fBDE");
    rec_free(&r);
    free(f.b.p);
}

/* Content-Disposition and header syntax in their less common forms. */
static void test_disposition_forms(void **state)
{
    struct bytes b = {0};
    puts_(&b, "--" B "\r\n");
    /* unquoted token, spaces around '=' and ';', a stray ';', extra params */
    puts_(&b, "Content-Disposition:form-data ;  charset=utf-8;; NAME = key ; x=\"y;z\"\r\n\r\nv1");
    puts_(&b, "\r\n--" B "\r\n");
    /* folded header (obs-fold), header names in odd case, LF-only lines */
    puts_(&b, "X-Other: 1\nCONTENT-disposition: form-data;\r\n\tname=\"Success_Action_Status\"\n\n201");
    puts_(&b, "\r\n--" B "   \t\r\n"); /* transport padding after the boundary */
    /* filename* (RFC 5987) is not the filename; an escaped quote in a name */
    puts_(&b, "Content-Disposition: form-data; filename*=UTF-8''x.txt; name=\"x-ignore-\\\"q\\\"\"\r\n\r\nv3");
    puts_(&b, "\r\n--" B "\n"); /* bare LF after a boundary */
    puts_(&b, "Content-Disposition: form-data; name=\"file\"; filename=report.csv\r\n"
              "Content-Type: text/csv; charset=utf-8\r\n\r\n1,2\r\n");
    puts_(&b, "\r\n--" B "--");
    struct rec r = {0};
    assert_err(parse_all_ways(CT, &b, &r), PAIL_OK);
    assert_int_equal(r.nfields, 3);
    assert_string_equal(field_value(&r, "key"), "v1");
    assert_string_equal(field_value(&r, "success_action_status"), "201");
    assert_string_equal(field_value(&r, "x-ignore-\"q\""), "v3");
    assert_string_equal(r.filename, "report.csv");
    assert_string_equal(r.ctype, "text/csv; charset=utf-8");
    assert_bytes(&r.file, "1,2\r\n", 5);
    rec_free(&r);
    free(b.p);
}

/* ---- the request's Content-Type ------------------------------------------ */

static void test_content_type_forms(void **state)
{
    static const char *const good[] = {
        "multipart/form-data; boundary=" B,
        "Multipart/Form-Data;BOUNDARY=\"" B "\"",
        "multipart/form-data; charset=utf-8; boundary=" B "; x=y",
        "multipart/form-data; boundary=\"" B "\" ",
        "  multipart/form-data ; boundary = " B,
    };
    struct form f = {.boundary = B};
    form_part(&f, "Content-Disposition: form-data; name=file\r\n", "z", 1);
    form_close(&f);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct rec r = {0};
        assert_err(parse(good[i], &f.b, NULL, NULL, &r, NULL), PAIL_OK);
        assert_bytes(&r.file, "z", 1);
        rec_free(&r);
    }
    /* A quoted boundary with characters a token cannot hold. */
    struct form g = {.boundary = "a b:c=d?e"};
    form_part(&g, "Content-Disposition: form-data; name=file\r\n", "z", 1);
    form_close(&g);
    struct rec r = {0};
    assert_err(parse("multipart/form-data; boundary=\"a b:c=d?e\"", &g.b, one_byte, NULL, &r,
                     NULL),
               PAIL_OK);
    assert_bytes(&r.file, "z", 1);
    rec_free(&r);
    free(f.b.p);
    free(g.b.p);
}

static void test_content_type_rejected(void **state)
{
    char long_b[128];
    memset(long_b, 'x', 71);
    long_b[71] = 0;
    char long_ct[200];
    snprintf(long_ct, sizeof(long_ct), "multipart/form-data; boundary=%s", long_b);
    const char *const bad[] = {
        NULL,
        "",
        "application/x-www-form-urlencoded",
        "multipart/mixed; boundary=abc",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=ab\x01",
        "multipart/form-data; boundary=\"ab \"",
        "multipart/form-data; boundary",
        "multipart/form-data-x; boundary=abc",
        long_ct,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pail_arena *a = pail_arena_new();
        struct pail_form_cb cb = {0};
        struct pail_form *f = NULL;
        const char *why = NULL;
        assert_err(pail_form_begin(a, bad[i], &cb, &f, &why), PAIL_E_MalformedPOSTRequest);
        assert_null(f);
        assert_non_null(why);
        pail_arena_free(a);
    }
    /* 70 characters is the most RFC 2046 allows, and enough. */
    long_b[70] = 0;
    snprintf(long_ct, sizeof(long_ct), "multipart/form-data; boundary=%s", long_b);
    struct form f = {.boundary = long_b};
    form_part(&f, "Content-Disposition: form-data; name=file\r\n", "z", 1);
    form_close(&f);
    struct rec r = {0};
    assert_err(parse(long_ct, &f.b, NULL, NULL, &r, NULL), PAIL_OK);
    rec_free(&r);
    free(f.b.p);
}

/* ---- missing pieces ------------------------------------------------------ */

static void test_no_file_field(void **state)
{
    struct form f = {.boundary = B};
    form_field(&f, "key", "a");
    form_field(&f, "files", "not it");
    form_close(&f);
    struct rec r = {0};
    const char *why;
    assert_err(parse_all_ways(CT, &f.b, &r), PAIL_E_IncorrectNumberOfFilesInPostRequest);
    assert_int_equal(r.nfields, 2);
    rec_free(&r);
    assert_err(parse(CT, &f.b, NULL, NULL, &r, &why), PAIL_E_IncorrectNumberOfFilesInPostRequest);
    assert_string_equal(why, "POST requires exactly one file upload per request.");
    rec_free(&r);
    free(f.b.p);
}

static void test_missing_closing_boundary(void **state)
{
    struct form f = {.boundary = B};
    form_field(&f, "key", "a");
    form_part(&f, "Content-Disposition: form-data; name=\"file\"\r\n", "bar", 3);
    size_t full = f.b.len;
    form_close(&f);
    size_t closed = f.b.len;
    /* Every truncation before the close delimiter's "--" is malformed; a
     * truncation inside the file never reports its end. */
    for (size_t cut = 0; cut < closed - 2; cut++) {
        struct bytes t = {0};
        put(&t, f.b.p, cut);
        struct rec r = {0};
        assert_err(parse(CT, &t, NULL, NULL, &r, NULL), PAIL_E_MalformedPOSTRequest);
        if (cut <= full)
            assert_int_equal(r.ends, 0);
        rec_free(&r);
        free(t.p);
    }
    struct rec r = {0};
    struct bytes t = {0};
    put(&t, f.b.p, closed - 2); /* "--" present, no CRLF: complete */
    assert_err(parse(CT, &t, NULL, NULL, &r, NULL), PAIL_OK);
    rec_free(&r);
    free(t.p);
    free(f.b.p);
}

static void test_empty_body(void **state)
{
    struct bytes b = {0};
    put(&b, "", 0);
    struct rec r = {0};
    assert_err(parse(CT, &b, NULL, NULL, &r, NULL), PAIL_E_MalformedPOSTRequest);
    rec_free(&r);
    puts_(&b, "--" B "--\r\n"); /* a form with no parts at all */
    assert_err(parse(CT, &b, NULL, NULL, &r, NULL), PAIL_E_IncorrectNumberOfFilesInPostRequest);
    rec_free(&r);
    free(b.p);
}

/* ---- malformed framing and headers --------------------------------------- */

static void test_malformed_parts(void **state)
{
    static const char *const bodies[] = {
        /* no Content-Disposition */
        "--" B "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" B "--",
        /* no headers at all */
        "--" B "\r\n\r\nx\r\n--" B "--",
        /* not form-data */
        "--" B "\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\nx\r\n--" B "--",
        /* no name */
        "--" B "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--" B "--",
        /* a header line without ':' */
        "--" B "\r\nContent-Disposition: form-data; name=file\r\nbogus\r\n\r\nx\r\n--" B "--",
        /* unterminated quoted name */
        "--" B "\r\nContent-Disposition: form-data; name=\"file\r\n\r\nx\r\n--" B "--",
        /* parameter without '=' */
        "--" B "\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--" B "--",
        /* junk after a parameter */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\" junk\r\n\r\nx\r\n--" B "--",
        /* a boundary followed by other text */
        "--" B "\r\nContent-Disposition: form-data; name=file\r\n\r\nx\r\n--" B "x\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data; name=file\r\n\r\nx\r\n--" B "-x",
        "--" B " x\r\n",
        "--" B "\rx",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct bytes b = {0};
        puts_(&b, bodies[i]);
        struct rec r = {0};
        const char *why = NULL;
        assert_err(parse_all_ways(CT, &b, &r), PAIL_E_MalformedPOSTRequest);
        rec_free(&r);
        assert_err(parse(CT, &b, NULL, NULL, &r, &why), PAIL_E_MalformedPOSTRequest);
        assert_non_null(why);
        rec_free(&r);
        free(b.p);
    }
}

/* ---- limits --------------------------------------------------------------- */

static void test_field_limit(void **state)
{
    char *v = malloc(PAIL_FORM_FIELD_MAX + 2);
    memset(v, 'p', PAIL_FORM_FIELD_MAX + 1);
    v[PAIL_FORM_FIELD_MAX] = 0;
    struct form f = {.boundary = B};
    form_field(&f, "policy", v); /* exactly 20 KiB: fine */
    form_part(&f, "Content-Disposition: form-data; name=file\r\n", "z", 1);
    form_close(&f);
    struct rec r = {0};
    assert_err(parse(CT, &f.b, NULL, NULL, &r, NULL), PAIL_OK);
    assert_int_equal(r.vals[0].len, PAIL_FORM_FIELD_MAX);
    rec_free(&r);
    free(f.b.p);

    v[PAIL_FORM_FIELD_MAX] = 'p'; /* one more byte */
    v[PAIL_FORM_FIELD_MAX + 1] = 0;
    struct form g = {.boundary = B};
    form_field(&g, "policy", v);
    form_part(&g, "Content-Disposition: form-data; name=file\r\n", "z", 1);
    form_close(&g);
    const char *why;
    unsigned seed = 3;
    assert_err(parse(CT, &g.b, random_piece, &seed, &r, &why), PAIL_E_InvalidArgument);
    assert_string_equal(why, PAIL_FORM_PREDATA_MESSAGE);
    assert_int_equal(r.nfields, 0);
    assert_int_equal(r.begins, 0);
    rec_free(&r);
    free(g.b.p);
    free(v);
}

static void test_predata_limit(void **state)
{
    char *v = malloc(16 * 1024 + 1);
    memset(v, 'm', 16 * 1024);
    v[16 * 1024] = 0;
    /* 63 fields of 16 KiB fit in 1 MiB with their headers; 64 do not. */
    for (int n = 63; n <= 64; n++) {
        struct form f = {.boundary = B};
        for (int i = 0; i < n; i++) {
            char name[32];
            snprintf(name, sizeof(name), "x-amz-meta-%d", i);
            form_field(&f, name, v);
        }
        form_part(&f, "Content-Disposition: form-data; name=file\r\n", "z", 1);
        form_close(&f);
        struct rec r = {0};
        const char *why = NULL;
        enum pail_err e = parse(CT, &f.b, NULL, NULL, &r, &why);
        if (n == 63) {
            assert_err(e, PAIL_OK);
        } else {
            assert_err(e, PAIL_E_InvalidArgument);
            assert_string_equal(why, PAIL_FORM_PREDATA_MESSAGE);
            assert_int_equal(r.begins, 0);
        }
        rec_free(&r);
        free(f.b.p);
    }
    /* An endless preamble counts too. */
    struct bytes b = {0};
    for (int i = 0; i < 1100; i++)
        put(&b, v, 1024);
    struct rec r = {0};
    assert_err(parse(CT, &b, random_piece, &(unsigned){9}, &r, NULL), PAIL_E_InvalidArgument);
    rec_free(&r);
    free(b.p);
    free(v);
}

static void test_header_limit(void **state)
{
    char *pad = malloc(PAIL_FORM_HEADERS_MAX + 1);
    memset(pad, 'h', PAIL_FORM_HEADERS_MAX);
    pad[PAIL_FORM_HEADERS_MAX] = 0;
    struct bytes b = {0};
    puts_(&b, "--" B "\r\nX-Pad: ");
    puts_(&b, pad);
    puts_(&b, "\r\nContent-Disposition: form-data; name=file\r\n\r\nz\r\n--" B "--");
    struct rec r = {0};
    const char *why;
    assert_err(parse(CT, &b, one_byte, NULL, &r, &why), PAIL_E_MalformedPOSTRequest);
    assert_non_null(strstr(why, "8 KiB"));
    rec_free(&r);
    free(b.p);

    /* Just under the limit is fine. */
    pad[PAIL_FORM_HEADERS_MAX - 200] = 0;
    struct bytes c = {0};
    puts_(&c, "--" B "\r\nX-Pad: ");
    puts_(&c, pad);
    puts_(&c, "\r\nContent-Disposition: form-data; name=file\r\n\r\nz\r\n--" B "--");
    assert_err(parse(CT, &c, NULL, NULL, &r, NULL), PAIL_OK);
    rec_free(&r);
    free(c.p);
    free(pad);
}

/* ---- callback errors ------------------------------------------------------ */

static void test_callback_errors_pass_through(void **state)
{
    struct form f = {.boundary = B};
    form_field(&f, "key", "a");
    form_part(&f, "Content-Disposition: form-data; name=file\r\n", "bar", 3);
    form_close(&f);
    struct rec r = {.fail_field = PAIL_E_AccessDenied};
    const char *why = "x";
    assert_err(parse(CT, &f.b, one_byte, NULL, &r, &why), PAIL_E_AccessDenied);
    assert_null(why);
    assert_int_equal(r.begins, 0);
    rec_free(&r);
    r.fail_begin = PAIL_E_InvalidArgument;
    assert_err(parse(CT, &f.b, NULL, NULL, &r, NULL), PAIL_E_InvalidArgument);
    assert_int_equal(r.pieces, 0);
    rec_free(&r);
    r.fail_data = PAIL_E_InsufficientStorage;
    assert_err(parse(CT, &f.b, one_byte, NULL, &r, NULL), PAIL_E_InsufficientStorage);
    assert_int_equal(r.pieces, 1); /* stopped at the first piece */
    assert_int_equal(r.ends, 0);
    rec_free(&r);
    r.fail_end = PAIL_E_EntityTooLarge;
    assert_err(parse(CT, &f.b, NULL, NULL, &r, NULL), PAIL_E_EntityTooLarge);
    rec_free(&r);
    free(f.b.p);
}

/* A parser given NULL callbacks still parses and checks. */
static void test_null_callbacks(void **state)
{
    struct form f = {.boundary = B};
    form_field(&f, "key", "a");
    form_part(&f, "Content-Disposition: form-data; name=file\r\n", "bar", 3);
    form_close(&f);
    struct pail_arena *a = pail_arena_new();
    struct pail_form_cb cb = {0};
    struct pail_form *fm;
    assert_err(pail_form_begin(a, CT, &cb, &fm, NULL), PAIL_OK);
    assert_false(pail_form_file_seen(fm));
    assert_err(pail_form_feed(fm, f.b.p, f.b.len), PAIL_OK);
    assert_err(pail_form_finish(fm), PAIL_OK);
    assert_int_equal(pail_form_file_length(fm), 3);
    assert_null(pail_form_error_detail(fm));
    pail_arena_free(a);
    free(f.b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_style_form),
        cmocka_unit_test(test_browser_form_preamble_epilogue),
        cmocka_unit_test(test_leading_crlf),
        cmocka_unit_test(test_binary_near_delimiters),
        cmocka_unit_test(test_content_ending_like_delimiter),
        cmocka_unit_test(test_random_delimiter_alphabet),
        cmocka_unit_test(test_large_file_streams),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_fields_after_file_ignored),
        cmocka_unit_test(test_disposition_forms),
        cmocka_unit_test(test_content_type_forms),
        cmocka_unit_test(test_content_type_rejected),
        cmocka_unit_test(test_no_file_field),
        cmocka_unit_test(test_missing_closing_boundary),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_malformed_parts),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_predata_limit),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_callback_errors_pass_through),
        cmocka_unit_test(test_null_callbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
