/* iam/acl_headers.c — see acl.h. Owns reading the five x-amz-grant-*
 * headers into an ACL: the `type=value, type="value"` list syntax, grantee
 * checks and the grant limit. */
#include "iam/acl.h"
#include "iam/acl_int.h"

#include "core/arena.h"

#include <string.h>
#include <strings.h>

#define FORMAT "Argument format not recognized"

/* Header index → the permission it grants. */
static const unsigned header_perm[PAIL_ACL_HDR__COUNT] = {
    [PAIL_ACL_HDR_READ] = PAIL_ACL_READ,
    [PAIL_ACL_HDR_WRITE] = PAIL_ACL_WRITE,
    [PAIL_ACL_HDR_READ_ACP] = PAIL_ACL_READ_ACP,
    [PAIL_ACL_HDR_WRITE_ACP] = PAIL_ACL_WRITE_ACP,
    [PAIL_ACL_HDR_FULL_CONTROL] = PAIL_ACL_FULL_CONTROL,
};

static enum pail_err fail(const char **why, enum pail_err e, const char *msg)
{
    *why = msg;
    return e;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p)
{
    while (blank(*p))
        p++;
    return p;
}

static bool all_blank(const char *s)
{
    return *skip_blanks(s) == 0;
}

/* One `type=value` item, split but not yet checked. */
struct item {
    const char *type, *value;
    size_t type_len, value_len;
};

/* Reads the item at *pp and moves *pp past it and the comma after it (or to
 * the end). false for anything that is not `type = value` or `type = "value"`. */
static bool next_item(const char **pp, struct item *it)
{
    const char *p = skip_blanks(*pp);
    it->type = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        p++;
    it->type_len = (size_t)(p - it->type);
    p = skip_blanks(p);
    if (it->type_len == 0 || *p++ != '=')
        return false;
    p = skip_blanks(p);
    if (*p == '"') {
        it->value = ++p;
        while (*p && *p != '"')
            p++;
        if (*p != '"')
            return false;
        it->value_len = (size_t)(p++ - it->value);
    } else {
        it->value = p;
        while (*p && *p != ',' && *p != '"' && !blank(*p))
            p++;
        it->value_len = (size_t)(p - it->value);
    }
    p = skip_blanks(p);
    if (*p == ',') {
        p++;
        if (all_blank(p)) /* a trailing comma promises an item that never comes */
            return false;
    } else if (*p) {
        return false;
    }
    *pp = p;
    return it->value_len > 0;
}

static bool type_is(const struct item *it, const char *name)
{
    return it->type_len == strlen(name) && strncasecmp(it->type, name, it->type_len) == 0;
}

/* Turns a split item into grant g. */
static enum pail_err item_grant(struct pail_arena *a, const struct item *it, unsigned perm,
                                struct pail_grant *g, const char **why)
{
    *g = (struct pail_grant){.perm = perm};
    if (type_is(it, "id")) {
        g->type = PAIL_GRANTEE_CANONICAL;
        g->id = pail_acl__canonical_id(a, it->value, it->value_len);
        if (!g->id)
            return fail(why, PAIL_E_InvalidArgument, "Invalid id");
    } else if (type_is(it, "uri")) {
        g->type = PAIL_GRANTEE_GROUP;
        g->uri = pail_arena_strndup(a, it->value, it->value_len);
        if (!pail_acl_known_group(g->uri))
            return fail(why, PAIL_E_InvalidArgument, "Invalid group uri");
    } else if (type_is(it, "emailAddress")) {
        g->type = PAIL_GRANTEE_EMAIL;
        g->email = pail_arena_strndup(a, it->value, it->value_len);
    } else {
        return fail(why, PAIL_E_InvalidArgument, FORMAT);
    }
    return PAIL_OK;
}

/* Parses one header value, appending to g[*n] (room for MAX_GRANTS). */
static enum pail_err header_grants(struct pail_arena *a, const char *value, unsigned perm,
                                   struct pail_grant *g, size_t *n, const char **why)
{
    const char *p = value;
    while (*p) {
        struct item it;
        if (!next_item(&p, &it))
            return fail(why, PAIL_E_InvalidArgument, FORMAT);
        if (*n == PAIL_ACL_MAX_GRANTS)
            return fail(why, PAIL_E_MalformedACLError, NULL);
        enum pail_err e = item_grant(a, &it, perm, &g[*n], why);
        if (e)
            return e;
        ++*n;
    }
    return PAIL_OK;
}

enum pail_err pail_acl_from_headers(const char *const hdr[PAIL_ACL_HDR__COUNT],
                                    const char *owner_id, const char *owner_name,
                                    struct pail_arena *a, struct pail_acl *out, bool *present,
                                    const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    *why = NULL;
    *present = false;
    *out = (struct pail_acl){.owner_id = owner_id, .owner_name = owner_name};
    for (int h = 0; h < PAIL_ACL_HDR__COUNT; h++)
        if (hdr[h] && !all_blank(hdr[h]))
            *present = true;
    if (!*present)
        return PAIL_OK;
    struct pail_grant *g = pail_acl__grants(a, PAIL_ACL_MAX_GRANTS);
    size_t n = 0;
    for (int h = 0; h < PAIL_ACL_HDR__COUNT; h++) {
        if (!hdr[h] || all_blank(hdr[h]))
            continue;
        enum pail_err e = header_grants(a, hdr[h], header_perm[h], g, &n, why);
        if (e) {
            out->n = 0;
            return e;
        }
    }
    out->grants = g;
    out->n = n;
    return PAIL_OK;
}
