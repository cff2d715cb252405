/* auth/sigv4.c — see sigv4.h. Pure SigV4 steps for S3; no I/O, no clock, no
 * logging (inputs include secrets and signatures).
 *
 * Sections: 1. small helpers  2. Authorization / credential parsing
 *           3. dates  4. canonical request  5. signing. */
#include "auth/sigv4.h"

#include "core/arena.h"
#include "core/buf.h"
#include "util/encode.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* hex(sha256("")): the fixed fifth line of every chunk string to sign. */
static const char EMPTY_SHA256_HEX[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* ---- 1. small helpers --------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

static bool span_is(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

static void set_why(const char **why, const char *msg)
{
    if (why)
        *why = msg;
}

/* Percent-decodes n bytes ('+' stays '+') into a fresh arena string; *len
 * gets the decoded length. NULL on a malformed escape. */
static char *decode_span(struct pail_arena *a, const char *s, size_t n, size_t *len)
{
    char *out = pail_arena_alloc(a, n + 1);
    long r = pail_uri_decode(s, n, out, false);
    if (r < 0)
        return NULL;
    *len = (size_t)r;
    return out;
}

/* ---- 2. Authorization header and credential ----------------------------- */

enum pail_err pail_sigv4_parse_credential(struct pail_arena *a, const char *s,
                                          struct pail_sigv4_cred *out, const char **why)
{
    static const char bad[] = "Error parsing the Credential: expected "
                              "<access key>/<YYYYMMDD>/<region>/s3/aws4_request";
    memset(out, 0, sizeof(*out));
    /* The last four '/' delimit the scope; everything before is the key. */
    const char *sl[4];
    const char *q = s + strlen(s);
    for (int i = 3; i >= 0; i--) {
        const char *f = NULL;
        for (const char *r = q; r > s;)
            if (*--r == '/') {
                f = r;
                break;
            }
        if (!f) {
            set_why(why, bad);
            return PAIL_E_AuthorizationHeaderMalformed;
        }
        sl[i] = f;
        q = f;
    }
    size_t klen = (size_t)(sl[0] - s), dlen = (size_t)(sl[1] - sl[0] - 1);
    size_t rlen = (size_t)(sl[2] - sl[1] - 1), slen = (size_t)(sl[3] - sl[2] - 1);
    const char *term = sl[3] + 1;
    bool date_ok = dlen == 8;
    for (size_t i = 0; date_ok && i < 8; i++)
        date_ok = sl[0][1 + i] >= '0' && sl[0][1 + i] <= '9';
    /* IAM and STS, served on the same endpoint, sign as their own services.
     * The region is the signer's choice (IAM is global and SDKs leave it
     * empty; s3-tests' IAM clients sign S3 so too): pail serves every region
     * and checks only that the signature covers the scope as sent. */
    bool s3 = span_is(sl[2] + 1, slen, "s3");
    bool query_api = span_is(sl[2] + 1, slen, "iam") || span_is(sl[2] + 1, slen, "sts");
    if (klen == 0 || klen > 128 || !date_ok ||
        strcmp(term, "aws4_request") != 0 || strlen(sl[0] + 1) >= 128) {
        set_why(why, bad);
        return PAIL_E_AuthorizationHeaderMalformed;
    }
    if (!s3 && !query_api) {
        set_why(why, "The authorization header is malformed; incorrect service. "
                     "This endpoint belongs to \"s3\".");
        return PAIL_E_AuthorizationHeaderMalformed;
    }
    out->access_key = pail_arena_strndup(a, s, klen);
    out->date = pail_arena_strndup(a, sl[0] + 1, dlen);
    out->region = pail_arena_strndup(a, sl[1] + 1, rlen);
    out->service = pail_arena_strndup(a, sl[2] + 1, slen);
    out->scope = pail_arena_strdup(a, sl[0] + 1);
    return PAIL_OK;
}

/* Stores one "Key=Value" component of the Authorization header. */
static enum pail_err authz_component(const char *p, size_t n, const char **cred,
                                     const char **sh, const char **sig, size_t vlen[3])
{
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return PAIL_E_AuthorizationHeaderMalformed;
    size_t klen = (size_t)(eq - p);
    const char *v = eq + 1;
    size_t vl = n - klen - 1;
    const char **slot = NULL;
    int idx = 0;
    if (span_is(p, klen, "Credential"))
        slot = cred, idx = 0;
    else if (span_is(p, klen, "SignedHeaders"))
        slot = sh, idx = 1;
    else if (span_is(p, klen, "Signature"))
        slot = sig, idx = 2;
    if (!slot || *slot)
        return PAIL_E_AuthorizationHeaderMalformed; /* unknown or repeated */
    *slot = v;
    vlen[idx] = vl;
    return PAIL_OK;
}

/* Splits the part after the scheme into its comma-separated components. */
static enum pail_err authz_split(const char *p, const char **cred, const char **sh,
                                 const char **sig, size_t vlen[3])
{
    while (*p) {
        while (is_ws(*p))
            p++;
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *e = end;
        while (e > p && is_ws(e[-1]))
            e--;
        enum pail_err err = authz_component(p, (size_t)(e - p), cred, sh, sig, vlen);
        if (err)
            return err;
        p = *end ? end + 1 : end;
    }
    return *cred && *sh && *sig ? PAIL_OK : PAIL_E_AuthorizationHeaderMalformed;
}

enum pail_err pail_sigv4_parse_authorization(struct pail_arena *a, const char *value,
                                             struct pail_sigv4_authz *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    size_t alen = strlen(PAIL_SIGV4_ALGORITHM);
    if (strncmp(value, PAIL_SIGV4_ALGORITHM, alen) != 0 || (value[alen] && !is_ws(value[alen]))) {
        set_why(why, "Please use AWS4-HMAC-SHA256.");
        return PAIL_E_InvalidRequest;
    }
    const char *cred = NULL, *sh = NULL, *sig = NULL;
    size_t vlen[3] = {0, 0, 0};
    if (authz_split(value + alen, &cred, &sh, &sig, vlen) != PAIL_OK) {
        set_why(why, "The authorization header is malformed; it must contain "
                     "Credential=, SignedHeaders= and Signature= exactly once.");
        return PAIL_E_AuthorizationHeaderMalformed;
    }
    char *c = pail_arena_strndup(a, cred, vlen[0]);
    enum pail_err err = pail_sigv4_parse_credential(a, c, &out->cred, why);
    if (err)
        return err;
    if (vlen[1] == 0) {
        set_why(why, "The authorization header is malformed; SignedHeaders is empty.");
        return PAIL_E_AuthorizationHeaderMalformed;
    }
    out->signed_headers = pail_arena_strndup(a, sh, vlen[1]);
    bool ok = vlen[2] == PAIL_SHA256_HEX_LEN;
    for (size_t i = 0; ok && i < vlen[2]; i++) {
        ok = is_hex(sig[i]);
        out->signature[i] = (char)(sig[i] | 0x20); /* lower-case hex letters */
    }
    if (!ok) {
        memset(out->signature, 0, sizeof(out->signature));
        set_why(why, "The authorization header is malformed; the Signature must "
                     "be 64 hexadecimal characters.");
        return PAIL_E_AuthorizationHeaderMalformed;
    }
    return PAIL_OK;
}

bool pail_sigv4_signs_header(const char *signed_headers, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = signed_headers; p && *p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

const char *pail_sigv4_query_get(struct pail_arena *a, const char *raw_query, const char *name)
{
    size_t want = strlen(name);
    for (const char *p = raw_query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t seg = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', seg);
        size_t nlen = eq ? (size_t)(eq - p) : seg, dlen = 0;
        /* Names are plain ASCII nearly always: compared as sent, decoded
         * (into the arena) only when they hold an escape. */
        bool plain = !memchr(p, '%', nlen);
        const char *dn = plain ? p : decode_span(a, p, nlen, &dlen);
        if (plain)
            dlen = nlen;
        if (dn && dlen == want && memcmp(dn, name, want) == 0) {
            if (!eq)
                return "";
            return decode_span(a, eq + 1, seg - nlen - 1, &dlen);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* ---- 3. dates ----------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool make_time(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return false;
    *out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s);
    return true;
}

bool pail_sigv4_parse_amz_date(const char *s, time_t *out)
{
    int y, mo, d, h, mi, sec;
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 4, 2, &mo) || !digits(s + 6, 2, &d) ||
        !digits(s + 9, 2, &h) || !digits(s + 11, 2, &mi) || !digits(s + 13, 2, &sec))
        return false;
    return make_time(y, mo, d, h, mi, sec, out);
}

bool pail_sigv4_parse_http_date(const char *s, time_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /* "Fri, 24 May 2013 00:00:00 GMT": skip the weekday. */
    const char *p = strchr(s, ',');
    if (!p)
        return false;
    p++;
    while (*p == ' ')
        p++;
    if (!*p)
        return false;
    int d, y, h, mi, sec, mo = 0;
    int dl = (p[1] >= '0' && p[1] <= '9') ? 2 : 1;
    if (!digits(p, dl, &d) || p[dl] != ' ')
        return false;
    p += dl + 1;
    for (int i = 0; i < 12 && !mo; i++)
        if (strncmp(p, months + 3 * i, 3) == 0)
            mo = i + 1;
    if (!mo || p[3] != ' ' || !digits(p + 4, 4, &y) || p[8] != ' ')
        return false;
    p += 9;
    if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi) || p[5] != ':' ||
        !digits(p + 6, 2, &sec) || strcmp(p + 8, " GMT") != 0)
        return false;
    return make_time(y, mo, d, h, mi, sec, out);
}

void pail_sigv4_format_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- 4. canonical request ----------------------------------------------- */

static enum pail_err overflowed(const struct pail_buf *b)
{
    return b->overflow ? PAIL_E_InvalidRequest : PAIL_OK;
}

enum pail_err pail_sigv4_canonical_uri(struct pail_buf *b, const char *raw_path)
{
    if (!raw_path || !*raw_path)
        return pail_buf_puts(b, "/") ? PAIL_OK : PAIL_E_InvalidRequest;
    /* Decode each escape and re-encode: clients that escape more or less than
     * AWS does still produce the same canonical URI. Text between escapes is
     * encoded as one run. */
    for (const char *p = raw_path; *p;) {
        size_t run = strcspn(p, "%");
        if (run && !pail_uri_encode(b, p, run, false))
            return PAIL_E_InvalidRequest;
        p += run;
        if (!*p)
            break;
        if (!is_hex(p[1]) || !is_hex(p[2]))
            return PAIL_E_InvalidArgument;
        char c = (char)(hexval(p[1]) << 4 | hexval(p[2]));
        if (!pail_uri_encode(b, &c, 1, false))
            return PAIL_E_InvalidRequest;
        p += 3;
    }
    return PAIL_OK;
}

struct qitem {
    size_t noff, nlen, voff, vlen; /* where the encoded parts sit in scratch */
    const char *name, *val;        /* set once scratch stops growing */
};

static int span_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int qitem_cmp(const void *x, const void *y)
{
    const struct qitem *a = x, *b = y;
    int c = span_cmp(a->name, a->nlen, b->name, b->nlen);
    return c ? c : span_cmp(a->val, a->vlen, b->val, b->vlen);
}

/* Decodes then re-encodes one name or value into scratch; records where. */
static enum pail_err requote(struct pail_arena *a, struct pail_buf *scratch, const char *s,
                             size_t n, size_t *off, size_t *len)
{
    size_t dlen = 0;
    char *d = decode_span(a, s, n, &dlen);
    if (!d)
        return PAIL_E_InvalidArgument;
    *off = scratch->len;
    if (!pail_uri_encode(scratch, d, dlen, true))
        return PAIL_E_InvalidRequest;
    *len = scratch->len - *off;
    return PAIL_OK;
}

/* Re-encodes one "name[=value]" segment into it; *skip for the presigned
 * signature parameter and for empty segments ("a=1&&b=2"). */
static enum pail_err query_item(struct pail_arena *a, struct pail_buf *scratch, const char *p,
                                size_t seg, bool presigned, struct qitem *it, bool *skip)
{
    const char *eq = memchr(p, '=', seg);
    size_t nlen = eq ? (size_t)(eq - p) : seg, dlen = 0;
    char *dn = decode_span(a, p, nlen, &dlen);
    *skip = seg == 0 || (presigned && dn && span_is(dn, dlen, "X-Amz-Signature"));
    if (*skip)
        return PAIL_OK;
    enum pail_err e = requote(a, scratch, p, nlen, &it->noff, &it->nlen);
    if (e || !eq) {
        it->voff = scratch->len; /* valueless "?uploads" signs as "uploads=" */
        return e;
    }
    return requote(a, scratch, eq + 1, seg - nlen - 1, &it->voff, &it->vlen);
}

enum pail_err pail_sigv4_canonical_query(struct pail_arena *a, struct pail_buf *b,
                                         const char *raw_query, bool presigned)
{
    if (!raw_query || !*raw_query)
        return PAIL_OK;
    size_t max = 1, n = 0;
    for (const char *p = raw_query; *p; p++)
        max += *p == '&';
    struct qitem *items = pail_arena_alloc(a, max * sizeof(*items));
    struct pail_buf scratch;
    char room[1024];
    pail_buf_init_on(&scratch, PAIL_SIGV4_MAX_CANONICAL, room, sizeof room);
    enum pail_err err = PAIL_OK;
    for (const char *p = raw_query; !err && p && *p;) {
        const char *amp = strchr(p, '&');
        size_t seg = amp ? (size_t)(amp - p) : strlen(p);
        bool skip = false;
        err = query_item(a, &scratch, p, seg, presigned, &items[n], &skip);
        n += !err && !skip;
        p = amp ? amp + 1 : NULL;
    }
    /* scratch no longer grows: offsets become stable pointers. */
    for (size_t i = 0; !err && i < n; i++) {
        items[i].name = scratch.data + items[i].noff;
        items[i].val = scratch.data + items[i].voff;
    }
    if (!err && n)
        qsort(items, n, sizeof(*items), qitem_cmp);
    for (size_t i = 0; !err && i < n; i++) {
        if (i)
            pail_buf_append(b, "&", 1);
        pail_buf_append(b, items[i].name, items[i].nlen);
        pail_buf_append(b, "=", 1);
        pail_buf_append(b, items[i].val, items[i].vlen);
    }
    pail_buf_free(&scratch);
    return err ? err : overflowed(b);
}

/* Appends v trimmed, with every inner whitespace run collapsed to one space;
 * the words between go out whole. */
static void append_trimmed(struct pail_buf *b, const char *v)
{
    bool started = false;
    for (const char *p = v; *p;) {
        const char *w = p;
        while (*w && is_ws(*w))
            w++;
        if (!*w)
            break;
        const char *e = w;
        while (*e && !is_ws(*e))
            e++;
        if (started)
            pail_buf_append(b, " ", 1);
        pail_buf_append(b, w, (size_t)(e - w));
        started = true;
        p = e;
    }
}

enum pail_err pail_sigv4_canonical_headers(struct pail_buf *b, const struct pail_sigv4_hdr *h,
                                           size_t n, const char *signed_headers)
{
    for (const char *p = signed_headers; p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0)
            return PAIL_E_AuthorizationHeaderMalformed;
        pail_buf_append(b, p, len);
        pail_buf_append(b, ":", 1);
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            if (strlen(h[i].name) != len || strncasecmp(h[i].name, p, len) != 0)
                continue;
            if (found)
                pail_buf_append(b, ",", 1);
            append_trimmed(b, h[i].value ? h[i].value : "");
            found = true;
        }
        if (!found)
            return PAIL_E_SignatureDoesNotMatch;
        pail_buf_append(b, "\n", 1);
        p = e ? e + 1 : NULL;
    }
    return overflowed(b);
}

enum pail_err pail_sigv4_canonical_request(struct pail_arena *a, const struct pail_sigv4_input *in,
                                           struct pail_buf *out)
{
    enum pail_err err;
    pail_buf_puts(out, in->method);
    pail_buf_append(out, "\n", 1);
    if ((err = pail_sigv4_canonical_uri(out, in->raw_path)))
        return err;
    pail_buf_append(out, "\n", 1);
    if ((err = pail_sigv4_canonical_query(a, out, in->raw_query, in->presigned)))
        return err;
    pail_buf_append(out, "\n", 1);
    err = pail_sigv4_canonical_headers(out, in->headers, in->nheaders, in->signed_headers);
    if (err)
        return err;
    pail_buf_append(out, "\n", 1);
    pail_buf_puts(out, in->signed_headers);
    pail_buf_append(out, "\n", 1);
    pail_buf_puts(out, in->payload);
    return overflowed(out);
}

/* ---- 5. signing --------------------------------------------------------- */

void pail_sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq,
                               size_t creq_len, char *out, size_t cap)
{
    char hash[PAIL_SHA256_HEX_LEN + 1];
    pail_sha256_hex(creq, creq_len, hash);
    const char *line[] = {PAIL_SIGV4_ALGORITHM, amz_date, scope, hash};
    size_t len = 0;
    for (size_t i = 0; i < 4 && cap; i++) { /* joined by hand: snprintf showed in profiles */
        size_t n = strlen(line[i]);
        if (len + n + 1 >= cap)
            n = cap - len - 1;
        memcpy(out + len, line[i], n);
        len += n;
        if (i < 3 && len + 1 < cap)
            out[len++] = '\n';
    }
    if (cap)
        out[len] = 0;
}

/* HMAC key "AWS4" + secret. HMAC hashes keys longer than its 64-byte block
 * (RFC 2104), so a long secret is reduced the same way here instead of being
 * copied to the heap. Writes the key to buf (64 bytes), returns its length. */
static size_t date_key(const char *secret, unsigned char buf[64])
{
    size_t slen = strlen(secret);
    if (slen + 4 <= 64) {
        memcpy(buf, "AWS4", 4);
        memcpy(buf + 4, secret, slen);
        return slen + 4;
    }
    struct pail_sha256 h = {0};
    if (pail_sha256_init(&h) != PAIL_OK)
        abort(); /* only on out of memory, like the arena */
    pail_sha256_update(&h, "AWS4", 4);
    pail_sha256_update(&h, secret, slen);
    pail_sha256_final(&h, buf);
    pail_sha256_free(&h);
    return PAIL_SHA256_LEN;
}

void pail_sigv4_signing_key(const char *secret, const char *date, const char *region,
                            const char *service, unsigned char key[PAIL_SHA256_LEN])
{
    unsigned char ks[64], k1[PAIL_SHA256_LEN], k2[PAIL_SHA256_LEN];
    size_t klen = date_key(secret, ks);
    pail_hmac_sha256(ks, klen, date, strlen(date), k1);                /* kDate */
    pail_hmac_sha256(k1, sizeof k1, region, strlen(region), k2);       /* kRegion */
    pail_hmac_sha256(k2, sizeof k2, service, strlen(service), k1);     /* kService */
    pail_hmac_sha256(k1, sizeof k1, "aws4_request", 12, key);          /* kSigning */
    pail_crypto_wipe(ks, sizeof ks);
    pail_crypto_wipe(k1, sizeof k1);
    pail_crypto_wipe(k2, sizeof k2);
}

void pail_sigv4_sign(const unsigned char key[PAIL_SHA256_LEN], const char *msg, size_t len,
                     char out[PAIL_SHA256_HEX_LEN + 1])
{
    unsigned char mac[PAIL_SHA256_LEN];
    pail_hmac_sha256(key, PAIL_SHA256_LEN, msg, len, mac);
    pail_hex(mac, sizeof mac, out);
}

enum pail_err pail_sigv4_signature(struct pail_arena *a, const struct pail_sigv4_input *in,
                                   const char *amz_date, const char *scope,
                                   const unsigned char key[PAIL_SHA256_LEN],
                                   char out[PAIL_SHA256_HEX_LEN + 1])
{
    struct pail_buf creq;
    char room[2048]; /* a typical canonical request fits: no malloc */
    pail_buf_init_on(&creq, PAIL_SIGV4_MAX_CANONICAL, room, sizeof room);
    enum pail_err err = pail_sigv4_canonical_request(a, in, &creq);
    if (!err) {
        char sts[512];
        pail_sigv4_string_to_sign(amz_date, scope, creq.data, creq.len, sts, sizeof sts);
        pail_sigv4_sign(key, sts, strlen(sts), out);
    }
    pail_buf_free(&creq);
    return err;
}

/* Shared by the chunk and trailer signatures: algorithm, date, scope,
 * previous signature, then the variable lines. */
static void chain_sign(const unsigned char key[PAIL_SHA256_LEN], const char *algo,
                       const char *amz_date, const char *scope, const char *prev,
                       const char *extra, const unsigned char sha[PAIL_SHA256_LEN],
                       char out[PAIL_SHA256_HEX_LEN + 1])
{
    char hash[PAIL_SHA256_HEX_LEN + 1], sts[640];
    pail_hex(sha, PAIL_SHA256_LEN, hash);
    int n = snprintf(sts, sizeof sts, "%s\n%s\n%s\n%s\n%s%s", algo, amz_date, scope, prev,
                     extra, hash);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof sts ? (size_t)n : sizeof sts - 1;
    pail_sigv4_sign(key, sts, len, out);
}

void pail_sigv4_chunk_signature(const unsigned char key[PAIL_SHA256_LEN], const char *amz_date,
                                const char *scope, const char *prev_signature,
                                const unsigned char chunk_sha[PAIL_SHA256_LEN],
                                char out[PAIL_SHA256_HEX_LEN + 1])
{
    char extra[PAIL_SHA256_HEX_LEN + 2];
    memcpy(extra, EMPTY_SHA256_HEX, PAIL_SHA256_HEX_LEN);
    extra[PAIL_SHA256_HEX_LEN] = '\n';
    extra[PAIL_SHA256_HEX_LEN + 1] = 0;
    chain_sign(key, "AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev_signature, extra,
               chunk_sha, out);
}

void pail_sigv4_trailer_signature(const unsigned char key[PAIL_SHA256_LEN], const char *amz_date,
                                  const char *scope, const char *prev_signature,
                                  const unsigned char trailer_sha[PAIL_SHA256_LEN],
                                  char out[PAIL_SHA256_HEX_LEN + 1])
{
    chain_sign(key, "AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev_signature, "",
               trailer_sha, out);
}

bool pail_sigv4_signature_equal(const char *a, const char *b)
{
    if (strlen(a) != PAIL_SHA256_HEX_LEN || strlen(b) != PAIL_SHA256_HEX_LEN)
        return false;
    return pail_crypto_equal(a, b, PAIL_SHA256_HEX_LEN);
}
