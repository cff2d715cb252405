/* http/form_multipart.c — see form_multipart.h. A byte-driven state machine
 * in the manner of aws_chunked.c. The delimiter "\r\n--boundary" is matched
 * without buffering: the held-back bytes of a partial match are, by
 * definition, the first `match` bytes of the delimiter, so on a mismatch they
 * are re-emitted from the delimiter itself. No KMP table is needed: the
 * delimiter starts with CR and a boundary cannot hold one, so no part of a
 * failed partial match can begin another, except the mismatching byte
 * itself when it is a CR. Runs of content without a CR are passed on in one
 * piece. A part's header block is
 * collected in a fixed buffer and parsed once its empty line arrives.
 *
 * Sections: 1. state  2. errors  3. header-value parameters  4. begin
 *           5. content and delimiters  6. part headers  7. feed / finish. */
#include "http/form_multipart.h"

#include "core/arena.h"

#include <string.h>
#include <strings.h>

/* ---- 1. state ----------------------------------------------------------- */

enum state {
    ST_BODY,       /* preamble or a part's content: looking for the delimiter */
    ST_DELIM_TAIL, /* just after a delimiter: "--", transport padding or CRLF */
    ST_DELIM_DASH, /* one '-' after a delimiter: the second makes it the close */
    ST_DELIM_PAD,  /* transport padding (spaces, tabs) before the CRLF */
    ST_DELIM_LF,   /* the LF after a delimiter line's CR */
    ST_HEADERS,    /* a part's header block, up to its empty line */
    ST_EPILOGUE,   /* after the close delimiter: ignored */
    ST_FAILED,
};

enum part {
    PART_PREAMBLE, /* before the first delimiter: discarded */
    PART_FIELD,    /* a form field before the file: buffered for cb.field */
    PART_FILE,     /* the upload: streamed to cb.file_data */
    PART_SKIP,     /* any part after the file: S3 ignores it */
};

struct pail_form {
    struct pail_form_cb cb;
    enum state st;
    enum part part;
    enum pail_err err;
    const char *detail;

    char *delim;  /* "\r\n--" boundary */
    size_t dlen;
    size_t match; /* delimiter bytes matched so far (held back, not emitted) */

    char *hdr;          /* the current part's header block, lines end in '\n' */
    size_t hlen;        /* bytes in hdr */
    size_t line_start;  /* where the line being collected starts */
    char *scratch;      /* decoded Content-Disposition parameters */

    const char *fname; /* the current field's lower-cased name (in scratch) */
    char *val;         /* its value so far */
    size_t vlen;

    uint64_t predata;  /* bytes consumed before the file's data began */
    uint64_t file_len;
    bool file_seen;
};

/* ---- 2. errors ---------------------------------------------------------- */

static enum pail_err fail(struct pail_form *f, enum pail_err e, const char *detail)
{
    if (!f->err) {
        f->err = e;
        f->detail = detail;
        f->st = ST_FAILED;
    }
    return f->err;
}

static enum pail_err malformed(struct pail_form *f, const char *detail)
{
    return fail(f, PAIL_E_MalformedPOSTRequest, detail);
}

static enum pail_err too_large(struct pail_form *f)
{
    return fail(f, PAIL_E_InvalidArgument, PAIL_FORM_PREDATA_MESSAGE);
}

/* ---- 3. header-value parameters ----------------------------------------- */

static bool is_ws(char c) { return c == ' ' || c == '\t'; }

static void skip_ws(const char **p)
{
    while (is_ws(**p))
        (*p)++;
}

/* Reads the leading token of a header value (a media type or a disposition
 * type) and tells whether it is want, case-insensitively. */
static bool leading_token_is(const char **p, const char *want)
{
    skip_ws(p);
    const char *t = *p;
    while (**p && **p != ';' && !is_ws(**p))
        (*p)++;
    size_t n = (size_t)(*p - t);
    return n == strlen(want) && strncasecmp(t, want, n) == 0;
}

/* A quoted-string at *p (on its opening quote), decoded into *out. Escapes:
 * \" and \\ only; any other backslash is kept, because browsers send Windows
 * paths ("C:\dir\a.txt") unescaped and turn '"' into %22 instead (HTML's
 * multipart/form-data encoding algorithm). false when the quote never ends. */
static bool quoted_value(const char **p, char **out)
{
    const char *s = *p + 1;
    char *o = *out;
    for (; *s && *s != '"'; s++) {
        if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
            s++;
        *o++ = *s;
    }
    if (*s != '"')
        return false;
    *p = s + 1;
    *o = 0;
    *out = o + 1;
    return true;
}

/* An unquoted value: everything up to ';' (RFC tokens, and the looser values
 * some clients send), trailing blanks trimmed. */
static void token_value(const char **p, char **out)
{
    const char *s = *p, *end;
    while (**p && **p != ';')
        (*p)++;
    end = *p;
    while (end > s && is_ws(end[-1]))
        end--;
    memcpy(*out, s, (size_t)(end - s));
    (*out)[end - s] = 0;
    *out += end - s + 1;
}

/* The next `; name=value` of a header value at *p. The name stays in the
 * source (*name, *nlen); the value is decoded into *out (advanced past its
 * NUL; room for strlen(*p) + 1 bytes is enough). Returns 1 for a parameter,
 * 0 at the end of the value, -1 when malformed. A stray ';' is skipped. */
static int next_param(const char **p, char **out, const char **name, size_t *nlen,
                      char **value)
{
    for (;;) {
        skip_ws(p);
        if (!**p)
            return 0;
        if (**p != ';')
            return -1;
        (*p)++;
        skip_ws(p);
        if (**p && **p != ';')
            break;
    }
    *name = *p;
    while (**p && **p != '=' && **p != ';' && !is_ws(**p))
        (*p)++;
    *nlen = (size_t)(*p - *name);
    skip_ws(p);
    if (*nlen == 0 || **p != '=')
        return -1;
    (*p)++;
    skip_ws(p);
    *value = *out;
    if (**p == '"') {
        if (!quoted_value(p, out))
            return -1;
    } else {
        token_value(p, out);
    }
    return 1;
}

static bool name_is(const char *name, size_t n, const char *want)
{
    return n == strlen(want) && strncasecmp(name, want, n) == 0;
}

/* ---- 4. begin ----------------------------------------------------------- */

/* RFC 2046 §5.1.1: 1..70 of DIGIT ALPHA '()+_,-./:=? and space, not ending
 * in a space. */
static bool boundary_ok(const char *b)
{
    size_t n = strlen(b);
    if (n == 0 || n > PAIL_FORM_BOUNDARY_MAX || b[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !strchr("'()+_,-./:=? ", c))
            return false;
    }
    return true;
}

/* The boundary parameter of a multipart/form-data Content-Type, in a; NULL
 * with *why set when there is none or the type is another. */
static const char *content_type_boundary(struct pail_arena *a, const char *ct, const char **why)
{
    const char *p = ct;
    if (!ct || !leading_token_is(&p, "multipart/form-data")) {
        *why = "Bucket POST must be of the enclosure-type multipart/form-data";
        return NULL;
    }
    char *out = pail_arena_alloc(a, strlen(p) + 1), *value;
    const char *name, *boundary = NULL;
    size_t nlen;
    int r;
    while ((r = next_param(&p, &out, &name, &nlen, &value)) == 1)
        if (!boundary && name_is(name, nlen, "boundary"))
            boundary = value;
    if (r < 0 || !boundary || !boundary_ok(boundary)) {
        *why = "multipart/form-data: the Content-Type has no valid boundary";
        return NULL;
    }
    return boundary;
}

enum pail_err pail_form_begin(struct pail_arena *a, const char *content_type,
                              const struct pail_form_cb *cb, struct pail_form **out,
                              const char **why)
{
    const char *detail = NULL;
    const char *boundary = content_type_boundary(a, content_type, &detail);
    if (!boundary) {
        if (why)
            *why = detail;
        return PAIL_E_MalformedPOSTRequest;
    }
    struct pail_form *f = pail_arena_alloc(a, sizeof(*f));
    f->cb = *cb;
    f->delim = pail_arena_printf(a, "\r\n--%s", boundary);
    f->dlen = strlen(f->delim);
    f->hdr = pail_arena_alloc(a, PAIL_FORM_HEADERS_MAX + 2);
    f->scratch = pail_arena_alloc(a, PAIL_FORM_HEADERS_MAX + 2);
    f->val = pail_arena_alloc(a, PAIL_FORM_FIELD_MAX + 1);
    /* The first delimiter may open the body without its CRLF (RFC 2046:
     * the CRLF belongs to the preceding line, and there is none): start as
     * if the CRLF had already been seen. */
    f->st = ST_BODY;
    f->part = PART_PREAMBLE;
    f->match = 2;
    *out = f;
    return PAIL_OK;
}

/* ---- 5. content and delimiters ------------------------------------------ */

/* Content proven not to be part of a delimiter. */
static enum pail_err emit(struct pail_form *f, const char *p, size_t n)
{
    if (n == 0)
        return PAIL_OK;
    switch (f->part) {
    case PART_FIELD:
        if (n > PAIL_FORM_FIELD_MAX - f->vlen)
            return too_large(f);
        memcpy(f->val + f->vlen, p, n);
        f->vlen += n;
        return PAIL_OK;
    case PART_FILE:
        f->file_len += n;
        if (f->cb.file_data) {
            enum pail_err e = f->cb.file_data(f->cb.ctx, p, n);
            if (e)
                return fail(f, e, NULL);
        }
        return PAIL_OK;
    case PART_PREAMBLE:
    case PART_SKIP:
        return PAIL_OK;
    }
    return PAIL_OK;
}

/* A delimiter ended the current part: hand it over. */
static enum pail_err part_end(struct pail_form *f)
{
    enum pail_err e = PAIL_OK;
    if (f->part == PART_FIELD && f->cb.field) {
        f->val[f->vlen] = 0;
        e = f->cb.field(f->cb.ctx, f->fname, f->val, f->vlen);
    } else if (f->part == PART_FILE && f->cb.file_end) {
        e = f->cb.file_end(f->cb.ctx);
    }
    if (e)
        return fail(f, e, NULL);
    f->match = 0;
    f->st = ST_DELIM_TAIL;
    return PAIL_OK;
}

/* Content bytes up to and including the next delimiter; returns how many of
 * the n bytes it consumed. `run` is where the input not yet emitted starts:
 * bytes that might begin a delimiter are consumed but held (match > 0). */
static size_t take_body(struct pail_form *f, const char *s, size_t n)
{
    size_t run = 0, i = 0;
    while (i < n) {
        if (f->match == 0) {
            /* Only a CR can start a delimiter: skip to the next one. */
            const char *cr = memchr(s + i, '\r', n - i);
            if (!cr) {
                i = n;
                break;
            }
            i = (size_t)(cr - s);
            if (emit(f, s + run, i - run))
                return n;
            f->match = 1;
            run = ++i;
            continue;
        }
        if (s[i] == f->delim[f->match]) { /* the match grows: hold this byte too */
            run = ++i;
            if (++f->match == f->dlen) {
                part_end(f);
                return i;
            }
            continue;
        }
        /* Mismatch: the held bytes were content after all. */
        if (emit(f, f->delim, f->match))
            return n;
        f->match = 0;
        run = i; /* this byte is content too, or (a CR) the next match's start */
    }
    emit(f, s + run, n - run);
    return n;
}

static void headers_begin(struct pail_form *f)
{
    f->hlen = 0;
    f->line_start = 0;
    f->st = ST_HEADERS;
}

/* One byte of what follows a delimiter: "--" (the close delimiter), or
 * optional transport padding and the CRLF before the next part's headers.
 * A bare LF is accepted for the CRLF. */
static void delim_tail(struct pail_form *f, char c)
{
    switch (f->st) {
    case ST_DELIM_TAIL:
        if (c == '-') {
            f->st = ST_DELIM_DASH;
            return;
        }
        /* fallthrough */
    case ST_DELIM_PAD:
        if (is_ws(c))
            f->st = ST_DELIM_PAD;
        else if (c == '\r')
            f->st = ST_DELIM_LF;
        else if (c == '\n')
            headers_begin(f);
        else
            malformed(f, "multipart/form-data: a boundary is followed by other text");
        return;
    case ST_DELIM_DASH:
        if (c == '-')
            f->st = ST_EPILOGUE;
        else
            malformed(f, "multipart/form-data: a boundary is followed by other text");
        return;
    case ST_DELIM_LF:
        if (c == '\n')
            headers_begin(f);
        else
            malformed(f, "multipart/form-data: a boundary line does not end in CRLF");
        return;
    default:
        return;
    }
}

/* ---- 6. part headers ----------------------------------------------------- */

/* Content-Disposition: form-data; name="..."; filename="..." → *name (lower-
 * cased) and *filename (NULL when absent), decoded into f->scratch. */
static enum pail_err disposition(struct pail_form *f, const char *v, char **name,
                                 const char **filename)
{
    const char *p = v, *pname;
    char *out = f->scratch, *value;
    size_t nlen;
    int r;
    if (!leading_token_is(&p, "form-data"))
        return malformed(f, "multipart/form-data: a part's Content-Disposition is not form-data");
    *name = NULL;
    *filename = NULL;
    while ((r = next_param(&p, &out, &pname, &nlen, &value)) == 1) {
        if (!*name && name_is(pname, nlen, "name"))
            *name = value;
        else if (!*filename && name_is(pname, nlen, "filename"))
            *filename = value;
    }
    if (r < 0)
        return malformed(f, "multipart/form-data: a part's Content-Disposition is malformed");
    if (!*name)
        return malformed(f, "multipart/form-data: a part's Content-Disposition has no name");
    for (char *c = *name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c | 0x20);
    return PAIL_OK;
}

static char *trim(char *s, char *end)
{
    while (s < end && is_ws(*s))
        s++;
    while (end > s && is_ws(end[-1]))
        end--;
    *end = 0;
    return s;
}

/* Finds Content-Disposition and Content-Type in the collected block (header
 * names case-insensitive, obs-folded lines joined). NULL when absent. */
static enum pail_err find_headers(struct pail_form *f, char **cd, char **ctype)
{
    char *h = f->hdr, *end = h + f->hlen;
    for (char *c = h + 1; c < end; c++) /* a line starting with a blank continues the last */
        if (c[-1] == '\n' && is_ws(*c))
            c[-1] = ' ';
    *cd = *ctype = NULL;
    for (char *line = h; line < end;) {
        char *eol = memchr(line, '\n', (size_t)(end - line));
        char *colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon)
            return malformed(f, "multipart/form-data: a part header has no ':'");
        char *name = trim(line, colon);
        char *value = trim(colon + 1, eol);
        if (!*cd && strcasecmp(name, "content-disposition") == 0)
            *cd = value;
        else if (!*ctype && strcasecmp(name, "content-type") == 0)
            *ctype = value;
        line = eol + 1;
    }
    return PAIL_OK;
}

/* The empty line: decide what the part is and start its content. */
static enum pail_err headers_end(struct pail_form *f)
{
    char *cd, *ctype, *name;
    const char *filename;
    if (find_headers(f, &cd, &ctype))
        return f->err;
    if (!cd)
        return malformed(f, "multipart/form-data: a part has no Content-Disposition");
    if (disposition(f, cd, &name, &filename))
        return f->err;
    f->st = ST_BODY;
    f->match = 0;
    if (f->file_seen) {
        f->part = PART_SKIP;
    } else if (strcmp(name, "file") == 0) {
        f->part = PART_FILE;
        f->file_seen = true;
        if (f->cb.file_begin) {
            enum pail_err e = f->cb.file_begin(f->cb.ctx, filename, ctype);
            if (e)
                return fail(f, e, NULL);
        }
    } else {
        f->part = PART_FIELD;
        f->fname = name;
        f->vlen = 0;
    }
    return PAIL_OK;
}

/* Collects header bytes up to the end of a line; returns how many of the n
 * bytes it consumed. Lines are stored without their CR, each ending in '\n'. */
static size_t take_headers(struct pail_form *f, const char *s, size_t n)
{
    const char *nl = memchr(s, '\n', n);
    size_t take = nl ? (size_t)(nl - s) : n;
    if (f->hlen + take > PAIL_FORM_HEADERS_MAX) {
        malformed(f, "multipart/form-data: a part's headers exceed 8 KiB");
        return n;
    }
    memcpy(f->hdr + f->hlen, s, take);
    f->hlen += take;
    if (!nl)
        return n;
    size_t end = f->hlen;
    if (end > f->line_start && f->hdr[end - 1] == '\r')
        end--;
    if (end == f->line_start) { /* the empty line */
        f->hlen = f->line_start;
        headers_end(f);
    } else {
        f->hdr[end] = '\n';
        f->hlen = f->line_start = end + 1;
    }
    return take + 1;
}

/* ---- 7. feed / finish ---------------------------------------------------- */

enum pail_err pail_form_feed(struct pail_form *f, const void *p, size_t n)
{
    const char *s = p;
    size_t i = 0;
    while (i < n && !f->err) {
        bool pre = !f->file_seen; /* the file's own headers count as pre-data too */
        size_t k = 1;
        switch (f->st) {
        case ST_BODY:
            k = take_body(f, s + i, n - i);
            break;
        case ST_DELIM_TAIL:
        case ST_DELIM_DASH:
        case ST_DELIM_PAD:
        case ST_DELIM_LF:
            delim_tail(f, s[i]);
            break;
        case ST_HEADERS:
            k = take_headers(f, s + i, n - i);
            break;
        case ST_EPILOGUE:
            k = n - i;
            break;
        case ST_FAILED:
            break;
        }
        i += k;
        if (pre && (f->predata += k) > PAIL_FORM_PREDATA_MAX && !f->err)
            too_large(f);
    }
    return f->err;
}

enum pail_err pail_form_finish(struct pail_form *f)
{
    if (f->err)
        return f->err;
    if (f->st != ST_EPILOGUE)
        return malformed(f, "multipart/form-data: the body ends before its closing boundary");
    if (!f->file_seen)
        return fail(f, PAIL_E_IncorrectNumberOfFilesInPostRequest,
                    "POST requires exactly one file upload per request.");
    return PAIL_OK;
}

const char *pail_form_error_detail(const struct pail_form *f)
{
    return f->detail;
}

bool pail_form_file_seen(const struct pail_form *f)
{
    return f->file_seen;
}

uint64_t pail_form_file_length(const struct pail_form *f)
{
    return f->file_len;
}
