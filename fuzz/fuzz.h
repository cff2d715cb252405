/* fuzz/fuzz.h — what the libFuzzer harnesses share: a cursor over the input
 * (bytes that steer the harness, then lines, then the rest), a struct
 * pail_req in a fresh arena with a fixed keystore, built the way the unit
 * tests build one (tests/unit/sigv4_test.c), and feeding a push parser in
 * splits the input chooses. Every harness frees all it made before it
 * returns: a leak is a finding (LeakSanitizer reports it at exit, or with
 * -detect_leaks=1 per input). Header-only, one harness per binary. */
#ifndef PAIL_FUZZ_H
#define PAIL_FUZZ_H

#include "auth/auth.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "http/request.h"
#include "s3/services.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The example credential of AWS's SigV4 documentation: the committed seeds
 * carry signatures made with it. */
#define FZ_AK "AKIAIOSFODNN7EXAMPLE"
#define FZ_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define FZ_T0 ((time_t)1369353600) /* 2013-05-24T00:00:00Z, the examples' date */

/* ---- input cursor ---------------------------------------------------------- */

struct fz {
    const uint8_t *p;
    size_t n;
};

/* One steering byte (0 once the input is used up). */
static inline uint8_t fz_byte(struct fz *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

/* The next line (up to '\n', which is dropped, as is a '\r' before it) as a
 * NUL-terminated copy in a; NULL at the end of the input. */
static inline char *fz_line(struct fz *f, struct pail_arena *a)
{
    if (!f->n)
        return NULL;
    const uint8_t *nl = memchr(f->p, '\n', f->n);
    size_t len = nl ? (size_t)(nl - f->p) : f->n;
    char *s = pail_arena_strndup(a, (const char *)f->p, len);
    f->p += len + (nl ? 1 : 0);
    f->n -= len + (nl ? 1 : 0);
    if (len && s[len - 1] == '\r')
        s[len - 1] = 0;
    return s;
}

/* The rest of the input as a NUL-terminated copy in a (its length in *n). */
static inline char *fz_rest(struct fz *f, struct pail_arena *a, size_t *n)
{
    char *s = pail_arena_strndup(a, (const char *)f->p, f->n);
    if (n)
        *n = f->n;
    f->p += f->n;
    f->n = 0;
    return s;
}

/* ---- a request ------------------------------------------------------------- */

#define FZ_MAX_HEADERS 64

struct fz_req {
    struct pail_creds creds;
    struct pail_keystore keys;
    struct pail_services svc;
    struct pail_req req;
    struct pail_hdr hdrs[FZ_MAX_HEADERS + 1]; /* one spare, as server.c keeps */
};

static const char *const fz_domains[] = {"s3.localhost", "s3.example.com"};

static inline void fz_req_init(struct fz_req *f)
{
    memset(f, 0, sizeof *f);
    strcpy(f->creds.access_key, FZ_AK);
    strcpy(f->creds.secret_key, FZ_SK);
    pail_keystore_fixed(&f->keys, &f->creds);
    f->svc.keys = &f->keys;
    f->svc.region = "us-east-1";
    f->svc.domains = fz_domains;
    f->svc.ndomains = sizeof fz_domains / sizeof fz_domains[0];
    f->req.arena = pail_arena_new();
    if (!f->req.arena)
        abort();
    f->req.svc = &f->svc;
    f->req.now = FZ_T0;
    f->req.method = "GET";
    f->req.raw_target = "/";
    f->req.raw_path = "/";
    f->req.raw_query = "";
    f->req.headers = f->hdrs;
    f->req.resp.fd = -1;
    f->req.resp.tail = &f->req.resp.headers;
    pail_buf_init(&f->req.resp.buf, SIZE_MAX / 2); /* as server.c does */
    pail_buf_in_arena(&f->req.resp.buf, f->req.arena);
    strcpy(f->req.id, "FUZZREQUEST00000");
}

/* Adds "name: value" (name lower-cased, value with blanks around it trimmed,
 * as MHD hands them over); false when line has no ':' or the table is full. */
static inline bool fz_req_header_line(struct fz_req *f, char *line)
{
    char *colon = strchr(line, ':');
    if (!colon || f->req.nheaders >= FZ_MAX_HEADERS)
        return false;
    *colon = 0;
    for (char *c = line; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vl = strlen(v);
    while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        v[--vl] = 0;
    f->hdrs[f->req.nheaders++] = (struct pail_hdr){.name = line, .value = v};
    return true;
}

/* Reads header lines up to an empty line or the end of the input. */
static inline void fz_req_headers(struct fz_req *f, struct fz *in)
{
    char *line;
    while ((line = fz_line(in, f->req.arena)) && *line)
        fz_req_header_line(f, line);
}

/* Reads "METHOD TARGET" (any HTTP version after it is ignored) and splits
 * the target at '?' into raw_path and raw_query, as target.c does. */
static inline void fz_req_line(struct fz_req *f, struct fz *in)
{
    char *line = fz_line(in, f->req.arena);
    if (!line)
        return;
    char *sp = strchr(line, ' ');
    if (!sp)
        return;
    *sp = 0;
    f->req.method = line;
    char *t = sp + 1, *sp2 = strchr(t, ' ');
    if (sp2)
        *sp2 = 0;
    f->req.raw_target = t;
    char *qm = strchr(t, '?');
    f->req.raw_path = qm ? pail_arena_strndup(f->req.arena, t, (size_t)(qm - t)) : t;
    f->req.raw_query = qm ? qm + 1 : "";
}

static inline void fz_req_free(struct fz_req *f)
{
    pail_arena_free(f->req.arena);
}

/* FZ_VERBOSE=1 in the environment: harnesses print what they decided (for
 * checking that a seed reaches what it was written for). */
static inline bool fz_verbose(void)
{
    static int v = -1;
    if (v < 0)
        v = getenv("FZ_VERBOSE") != NULL;
    return v;
}

/* ---- split feeding --------------------------------------------------------- */

/* Feeds n bytes of p to feed(ctx, ...) in pieces whose sizes come from the
 * steering bytes of sizes (each byte b: a piece of b % 64 + 1 bytes; when
 * they run out, the rest in one piece). Stops at the first error. */
static inline enum pail_err fz_split_feed(const uint8_t *sizes, size_t nsizes, const void *p,
                                          size_t n,
                                          enum pail_err (*feed)(void *ctx, const void *p,
                                                                size_t n),
                                          void *ctx)
{
    const uint8_t *b = p;
    size_t i = 0;
    while (n) {
        size_t k = i < nsizes ? (size_t)(sizes[i++] % 64) + 1 : n;
        if (k > n)
            k = n;
        enum pail_err e = feed(ctx, b, k);
        if (e != PAIL_OK)
            return e;
        b += k;
        n -= k;
    }
    return PAIL_OK;
}

#endif
