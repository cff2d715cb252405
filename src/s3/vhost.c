/* s3/vhost.c — see vhost.h. */
#include "s3/vhost.h"

#include "core/arena.h"
#include "http/request.h"
#include "s3/services.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Whether host[0..n) is LABEL "." base (case-insensitive); *prefix_len gets
 * the length before it. */
static bool ends_with(const char *host, size_t n, const char *suffix, size_t *prefix_len)
{
    size_t sn = strlen(suffix);
    if (n < sn + 2 || host[n - sn - 1] != '.' || strncasecmp(host + n - sn, suffix, sn) != 0)
        return false;
    *prefix_len = n - sn - 1;
    return true;
}

static bool region_like(const char *s, size_t n)
{
    if (n < 4)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

/* host[0..n) without the website base: BUCKET.s3-website[-REGION|.REGION]?
 * The bucket's length into *blen. */
static bool website_label(const char *h, size_t n, size_t *blen)
{
    static const char label[] = ".s3-website";
    const size_t ln = sizeof label - 1;
    for (size_t i = n; i-- > 0;) { /* the last ".s3-website" in h */
        if (i + ln > n || strncasecmp(h + i, label, ln) != 0)
            continue;
        const char *rest = h + i + ln;
        size_t rn = n - i - ln;
        if (i == 0)
            return false;
        if (rn == 0 || ((rest[0] == '-' || rest[0] == '.') && region_like(rest + 1, rn - 1))) {
            *blen = i;
            return true;
        }
        return false;
    }
    return false;
}

static const char *lower_copy(struct pail_req *r, const char *s, size_t n)
{
    char *b = pail_arena_strndup(r->arena, s, n);
    for (char *p = b; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return b;
}

const char *s3_vhost_bucket(struct pail_req *r, bool *website)
{
    *website = false;
    const char *host = pail_req_header(r, "host");
    if (!host || !*host || host[0] == '[')
        return NULL; /* none, or an IPv6 literal */
    const char *colon = strchr(host, ':');
    size_t n = colon ? (size_t)(colon - host) : strlen(host), len;
    if (n && host[n - 1] == '.') /* a fully qualified "name." */
        n--;
    for (size_t i = 0; i < r->svc->ndomains; i++) {
        const char *d = r->svc->domains[i];
        if (ends_with(host, n, d, &len))
            return lower_copy(r, host, len);
        const char *base = strncasecmp(d, "s3.", 3) == 0 ? d + 3 : d;
        size_t blen;
        if (ends_with(host, n, base, &len) && website_label(host, len, &blen)) {
            *website = true;
            return lower_copy(r, host, blen);
        }
    }
    return NULL;
}

const char *s3_website_host_bucket(struct pail_req *r)
{
    const char *host = pail_req_header(r, "host");
    if (!host || !*host || host[0] == '[')
        return NULL;
    const char *colon = strchr(host, ':');
    size_t n = colon ? (size_t)(colon - host) : strlen(host), len;
    if (n && host[n - 1] == '.')
        n--;
    if (ends_with(host, n, "localhost", &len))
        n = len;
    return n ? lower_copy(r, host, n) : NULL;
}
