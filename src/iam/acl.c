/* iam/acl.c — see acl.h. Owns the ACL model itself: permission and group
 * names, canned ACLs, e-mail resolution, evaluating grants for a requester,
 * and the ACL permission behind each IAM action. The readers and writers of
 * the three wire forms live in acl_headers.c, acl_xml.c and acl_json.c. */
#include "iam/acl.h"
#include "iam/acl_int.h"

#include "core/arena.h"

#include <string.h>
#include <strings.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names and shared checks ---------------------------------------------- */

static const struct {
    unsigned perm;
    const char *name;
} perm_names[] = {
    {PAIL_ACL_READ, "READ"},           {PAIL_ACL_WRITE, "WRITE"},
    {PAIL_ACL_READ_ACP, "READ_ACP"},   {PAIL_ACL_WRITE_ACP, "WRITE_ACP"},
    {PAIL_ACL_FULL_CONTROL, "FULL_CONTROL"},
};

const char *pail_acl_perm_name(unsigned perm)
{
    for (size_t i = 0; i < ARRAY_LEN(perm_names); i++)
        if (perm_names[i].perm == perm)
            return perm_names[i].name;
    return NULL;
}

unsigned pail_acl_perm_from_name(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_LEN(perm_names); i++)
        if (strcmp(perm_names[i].name, name) == 0)
            return perm_names[i].perm;
    return 0;
}

bool pail_acl_known_group(const char *uri)
{
    return uri && (strcmp(uri, PAIL_ACL_ALL_USERS) == 0 || strcmp(uri, PAIL_ACL_AUTH_USERS) == 0 ||
                   strcmp(uri, PAIL_ACL_LOG_DELIVERY) == 0);
}

char *pail_acl__canonical_id(struct pail_arena *a, const char *s, size_t n)
{
    if (n != 64)
        return NULL;
    char *id = pail_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return NULL; /* the partial copy stays in the arena: harmless */
        id[i] = c;
    }
    return id;
}

struct pail_grant *pail_acl__grants(struct pail_arena *a, size_t n)
{
    return pail_arena_alloc(a, (n ? n : 1) * sizeof(struct pail_grant));
}

/* ---- canned ACLs ----------------------------------------------------------- */

/* Who a canned grant goes to; the owner's FULL_CONTROL is always first. */
enum who { ALL_USERS, AUTH_USERS, LOG_DELIVERY, EC2, BUCKET_OWNER };

#define CANNED_EXTRA 2 /* grants beyond the owner's, at most */

static const struct canned {
    const char *name;
    struct {
        enum who who;
        unsigned perm; /* 0 ends the list */
    } g[CANNED_EXTRA];
} canned[] = {
    {"private", {{0, 0}}},
    {"public-read", {{ALL_USERS, PAIL_ACL_READ}}},
    {"public-read-write", {{ALL_USERS, PAIL_ACL_READ}, {ALL_USERS, PAIL_ACL_WRITE}}},
    {"authenticated-read", {{AUTH_USERS, PAIL_ACL_READ}}},
    {"aws-exec-read", {{EC2, PAIL_ACL_READ}}},
    {"bucket-owner-read", {{BUCKET_OWNER, PAIL_ACL_READ}}},
    {"bucket-owner-full-control", {{BUCKET_OWNER, PAIL_ACL_FULL_CONTROL}}},
    {"log-delivery-write", {{LOG_DELIVERY, PAIL_ACL_WRITE}, {LOG_DELIVERY, PAIL_ACL_READ_ACP}}},
};

static struct pail_grant canonical(const char *id, const char *name, unsigned perm)
{
    return (struct pail_grant){.type = PAIL_GRANTEE_CANONICAL, .id = id, .display_name = name,
                               .perm = perm};
}

static struct pail_grant group(const char *uri, unsigned perm)
{
    return (struct pail_grant){.type = PAIL_GRANTEE_GROUP, .uri = uri, .perm = perm};
}

enum pail_err pail_acl_canned(const char *name, const char *owner_id, const char *owner_name,
                              const char *bucket_owner_id, const char *bucket_owner_name,
                              struct pail_arena *a, struct pail_acl *out)
{
    memset(out, 0, sizeof(*out));
    const struct canned *c = NULL;
    for (size_t i = 0; name && i < ARRAY_LEN(canned); i++)
        if (strcmp(canned[i].name, name) == 0)
            c = &canned[i];
    if (!c || !owner_id)
        return PAIL_E_InvalidArgument;
    /* AWS adds the bucket owner only when it is someone else; on a bucket
     * (no bucket owner passed) the two bucket-owner ACLs are private. */
    bool other_bucket_owner = bucket_owner_id && strcmp(bucket_owner_id, owner_id) != 0;
    struct pail_grant *g = pail_acl__grants(a, 1 + CANNED_EXTRA);
    size_t n = 0;
    g[n++] = canonical(owner_id, owner_name, PAIL_ACL_FULL_CONTROL);
    for (size_t i = 0; i < CANNED_EXTRA && c->g[i].perm; i++) {
        unsigned p = c->g[i].perm;
        switch (c->g[i].who) {
        case ALL_USERS: g[n++] = group(PAIL_ACL_ALL_USERS, p); break;
        case AUTH_USERS: g[n++] = group(PAIL_ACL_AUTH_USERS, p); break;
        case LOG_DELIVERY: g[n++] = group(PAIL_ACL_LOG_DELIVERY, p); break;
        case EC2: g[n++] = canonical(PAIL_ACL_EC2_ID, PAIL_ACL_EC2_NAME, p); break;
        case BUCKET_OWNER:
            if (other_bucket_owner)
                g[n++] = canonical(bucket_owner_id, bucket_owner_name, p);
            break;
        }
    }
    *out = (struct pail_acl){owner_id, owner_name, g, n};
    return PAIL_OK;
}

/* ---- e-mail resolution ------------------------------------------------------ */

enum pail_err pail_acl_resolve_emails(struct pail_acl *acl,
                                      const char *(*lookup)(void *ctx, const char *email),
                                      void *ctx)
{
    /* Two passes keep it all or nothing without scratch memory: the ids go
     * into the (unused) id slots first, the types change only once every
     * address is known. */
    for (size_t i = 0; i < acl->n; i++) {
        struct pail_grant *g = &acl->grants[i];
        if (g->type != PAIL_GRANTEE_EMAIL)
            continue;
        g->id = lookup(ctx, g->email);
        if (!g->id) {
            for (size_t j = 0; j < i; j++)
                if (acl->grants[j].type == PAIL_GRANTEE_EMAIL)
                    acl->grants[j].id = NULL;
            return PAIL_E_UnresolvableGrantByEmailAddress;
        }
    }
    for (size_t i = 0; i < acl->n; i++) {
        struct pail_grant *g = &acl->grants[i];
        if (g->type == PAIL_GRANTEE_EMAIL) {
            g->type = PAIL_GRANTEE_CANONICAL;
            g->email = NULL;
        }
    }
    return PAIL_OK;
}

/* ---- evaluation ------------------------------------------------------------- */

static bool is_public_group(const struct pail_grant *g)
{
    return g->type == PAIL_GRANTEE_GROUP && g->uri &&
           (strcmp(g->uri, PAIL_ACL_ALL_USERS) == 0 || strcmp(g->uri, PAIL_ACL_AUTH_USERS) == 0);
}

/* Whether grant g names this requester. */
static bool applies(const struct pail_grant *g, const char *canonical_id, bool authenticated)
{
    switch (g->type) {
    case PAIL_GRANTEE_CANONICAL:
        return canonical_id && g->id && strcmp(g->id, canonical_id) == 0;
    case PAIL_GRANTEE_GROUP:
        if (!g->uri)
            return false;
        if (strcmp(g->uri, PAIL_ACL_ALL_USERS) == 0)
            return true;
        return authenticated && strcmp(g->uri, PAIL_ACL_AUTH_USERS) == 0;
    case PAIL_GRANTEE_EMAIL:
        return false;
    }
    return false;
}

unsigned pail_acl_granted(const struct pail_acl *acl, const char *canonical_id,
                          bool authenticated, bool ignore_public)
{
    unsigned mask = 0;
    for (size_t i = 0; i < acl->n; i++) {
        const struct pail_grant *g = &acl->grants[i];
        if (ignore_public && is_public_group(g))
            continue;
        if (applies(g, canonical_id, authenticated))
            mask |= g->perm;
    }
    return mask & PAIL_ACL_FULL_CONTROL;
}

bool pail_acl_is_public(const struct pail_acl *acl)
{
    for (size_t i = 0; i < acl->n; i++)
        if (is_public_group(&acl->grants[i]))
            return true;
    return false;
}

/* ---- IAM actions -------------------------------------------------------------- */

static const struct {
    const char *action;
    bool bucket_level;
    unsigned perm;
} action_perms[] = {
    {"s3:ListBucket", true, PAIL_ACL_READ},
    {"s3:ListBucketVersions", true, PAIL_ACL_READ},
    {"s3:ListBucketMultipartUploads", true, PAIL_ACL_READ},
    {"s3:PutObject", true, PAIL_ACL_WRITE},
    {"s3:DeleteObject", true, PAIL_ACL_WRITE},
    {"s3:DeleteObjectVersion", true, PAIL_ACL_WRITE},
    {"s3:GetBucketAcl", true, PAIL_ACL_READ_ACP},
    {"s3:PutBucketAcl", true, PAIL_ACL_WRITE_ACP},
    {"s3:GetObject", false, PAIL_ACL_READ},
    {"s3:GetObjectVersion", false, PAIL_ACL_READ},
    {"s3:GetObjectTorrent", false, PAIL_ACL_READ},
    {"s3:GetObjectAttributes", false, PAIL_ACL_READ},
    {"s3:GetObjectVersionAttributes", false, PAIL_ACL_READ},
    {"s3:GetObjectAcl", false, PAIL_ACL_READ_ACP},
    {"s3:GetObjectVersionAcl", false, PAIL_ACL_READ_ACP},
    {"s3:PutObjectAcl", false, PAIL_ACL_WRITE_ACP},
    {"s3:PutObjectVersionAcl", false, PAIL_ACL_WRITE_ACP},
};

unsigned pail_acl_perm_for_action(const char *action, bool bucket_level)
{
    for (size_t i = 0; action && i < ARRAY_LEN(action_perms); i++)
        if (action_perms[i].bucket_level == bucket_level &&
            strcasecmp(action_perms[i].action, action) == 0)
            return action_perms[i].perm;
    return 0;
}
