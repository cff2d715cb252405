/* s3/vhost.c — see vhost.h. */
#include "s3/vhost.h"

#include "core/arena.h"
#include "http/request.h"
#include "s3/services.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *s3_vhost_bucket(struct pail_req *r)
{
    const char *host = pail_req_header(r, "host");
    if (!host || !*host || host[0] == '[')
        return NULL; /* none, or an IPv6 literal */
    const char *colon = strchr(host, ':');
    size_t n = colon ? (size_t)(colon - host) : strlen(host);
    if (n && host[n - 1] == '.') /* a fully qualified "name." */
        n--;
    for (size_t i = 0; i < r->svc->ndomains; i++) {
        const char *d = r->svc->domains[i];
        size_t dn = strlen(d);
        if (n < dn + 2 || host[n - dn - 1] != '.' || strncasecmp(host + n - dn, d, dn) != 0)
            continue;
        char *b = pail_arena_strndup(r->arena, host, n - dn - 1);
        for (char *p = b; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        return b;
    }
    return NULL;
}
