/* iam/identity_model.c — the identity model's entities as records: ids and
 * secrets, each kind's doc (parse at load, serialise for a write, clone for a
 * change, free), and transactions (struct txn: one durable write, then the
 * memory change). The rules of what may change live in the API files; this
 * file only keeps memory and records in step. */
#include "iam/identity_int.h"

#include "auth/crypto.h"
#include "core/log.h"
#include "iam/jscan.h"
#include "util/encode.h"
#include "util/time.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* ===== 1. memory, randomness, ids ===== */

void *id_xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) {
        fputs("pail: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *id_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = id_xcalloc(1, n);
    memcpy(p, s, n);
    return p;
}

void id_random(void *p, size_t n)
{
    unsigned char *b = p;
    while (n) {
        ssize_t got = getrandom(b, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fputs("pail: no randomness from the kernel\n", stderr);
            abort();
        }
        b += got;
        n -= (size_t)got;
    }
}

void id_random_base32(char *out, const char *prefix, size_t n)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    unsigned char r[64];
    id_random(r, n);
    for (size_t i = 0; i < n; i++)
        out[pl + i] = alpha[r[i] & 31];
    out[pl + n] = '\0';
}

static bool entity_id_taken(struct pail_identity *id, const char *s)
{
    return idmap_get(&id->users_by_id, s) || idmap_get(&id->groups_by_id, s) ||
           idmap_get(&id->roles_by_id, s) || idmap_get(&id->pols_by_id, s);
}

void id_new_entity_id(struct pail_identity *id, char out[24], const char *prefix)
{
    do
        id_random_base32(out, prefix, 17);
    while (entity_id_taken(id, out));
}

void id_new_key_id(struct pail_identity *id, char out[24], const char *prefix)
{
    do
        id_random_base32(out, prefix, 16);
    while (idmap_get(&id->creds, out));
}

void id_new_secret(char out[48])
{
    unsigned char r[30];
    id_random(r, sizeof r);
    pail_base64(r, sizeof r, out); /* 40 characters, no padding for 30 bytes */
    pail_crypto_wipe(r, sizeof r);
}

void id_iso(int64_t ms, char out[32])
{
    char full[32];
    pail_time_iso8601(ms, full);
    memcpy(out, full, 19);
    out[19] = 'Z';
    out[20] = '\0';
}

char *id_entity_arn(const char *acct, const char *kind, const char *path, const char *name)
{
    size_t n = strlen(acct) + strlen(kind) + strlen(path) + strlen(name) + 32;
    char *s = id_xcalloc(1, n);
    snprintf(s, n, "arn:aws:iam::%s:%s%s%s", acct, kind, path, name);
    return s;
}

void id_entity_rename(char **name, char **path, char **arn, const char *acct, const char *kind,
                      const char *new_name, const char *new_path)
{
    if (new_name) {
        free(*name);
        *name = id_xstrdup(new_name);
    }
    if (new_path) {
        free(*path);
        *path = id_xstrdup(new_path);
    }
    free(*arn);
    *arn = id_entity_arn(acct, kind, *path, *name);
}

/* ===== 2. shared policy documents ===== */

struct pdoc *pdoc_new(const char *doc, struct pail_policy *p)
{
    struct pdoc *d = id_xcalloc(1, sizeof *d);
    d->refs = 1;
    d->doc = id_xstrdup(doc);
    d->p = p;
    return d;
}

struct pdoc *pdoc_ref(struct pdoc *d)
{
    if (d)
        d->refs++;
    return d;
}

void pdoc_unref(struct pdoc *d)
{
    if (!d || --d->refs > 0)
        return;
    pail_policy_free(d->p);
    free(d->doc);
    free(d);
}

struct pdoc *id_load_pdoc(const char *doc, enum pail_policy_kind kind, const char *what)
{
    char why[256] = "";
    struct pail_policy *p = pail_policy_compile(doc, strlen(doc), kind, NULL, why, sizeof why);
    if (!p)
        pail_warn("identity: stored policy %s no longer compiles (%s); it grants nothing",
                  what, why);
    return pdoc_new(doc, p);
}

/* ===== 3. tags, inline policies, attachments ===== */

void tags_free(struct tags *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].key);
        free(t->v[i].value);
    }
    free(t->v);
    *t = (struct tags){0};
}

void tags_clone(struct tags *dst, const struct tags *src)
{
    dst->n = src->n;
    dst->v = src->n ? id_xcalloc(src->n, sizeof *dst->v) : NULL;
    for (size_t i = 0; i < src->n; i++) {
        dst->v[i].key = id_xstrdup(src->v[i].key);
        dst->v[i].value = id_xstrdup(src->v[i].value);
    }
}

static void inl_free(struct inline_pol *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        pdoc_unref(v[i].d);
    }
    free(v);
}

static struct inline_pol *inl_clone(const struct inline_pol *v, size_t n)
{
    struct inline_pol *c = n ? id_xcalloc(n, sizeof *c) : NULL;
    for (size_t i = 0; i < n; i++) {
        c[i].name = id_xstrdup(v[i].name);
        c[i].d = pdoc_ref(v[i].d);
    }
    return c;
}

struct inline_pol *inl_get(struct inline_pol *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* Replaces a same-named policy (names are case-insensitive, the new spelling
 * wins) or appends; takes d's reference. */
void inl_put(struct inline_pol **v, size_t *n, const char *name, struct pdoc *d)
{
    struct inline_pol *e = inl_get(*v, *n, name);
    if (e) {
        free(e->name);
        pdoc_unref(e->d);
    } else {
        struct inline_pol *nv = id_xcalloc(*n + 1, sizeof *nv);
        if (*n)
            memcpy(nv, *v, *n * sizeof *nv);
        free(*v);
        *v = nv;
        e = &nv[(*n)++];
    }
    e->name = id_xstrdup(name);
    e->d = d;
}

bool inl_del(struct inline_pol **v, size_t *n, const char *name)
{
    struct inline_pol *e = inl_get(*v, *n, name);
    if (!e)
        return false;
    free(e->name);
    pdoc_unref(e->d);
    size_t i = (size_t)(e - *v);
    memmove(e, e + 1, (*n - i - 1) * sizeof *e);
    (*n)--;
    return true;
}

bool att_has(struct mpol *const *v, size_t n, const struct mpol *p)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == p)
            return true;
    return false;
}

void att_add(struct mpol ***v, size_t *n, struct mpol *p)
{
    struct mpol **nv = id_xcalloc(*n + 1, sizeof *nv);
    if (*n)
        memcpy(nv, *v, *n * sizeof *nv);
    nv[(*n)++] = p;
    free(*v);
    *v = nv;
}

bool att_del(struct mpol ***v, size_t *n, const struct mpol *p)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*v)[i] == p) {
            memmove(&(*v)[i], &(*v)[i + 1], (*n - i - 1) * sizeof **v);
            (*n)--;
            return true;
        }
    }
    return false;
}

static struct mpol **att_clone(struct mpol *const *v, size_t n)
{
    struct mpol **c = n ? id_xcalloc(n, sizeof *c) : NULL;
    if (n)
        memcpy(c, v, n * sizeof *c);
    return c;
}

/* ===== 4. doc parts: free and clone ===== */

void user_doc_free(struct user_doc *d)
{
    free(d->name);
    free(d->path);
    free(d->arn);
    tags_free(&d->tags);
    inl_free(d->inl, d->ninl);
    free(d->att);
    free(d->groups);
    *d = (struct user_doc){0};
}

void user_doc_clone(struct user_doc *dst, const struct user_doc *src)
{
    *dst = *src;
    dst->name = id_xstrdup(src->name);
    dst->path = id_xstrdup(src->path);
    dst->arn = id_xstrdup(src->arn);
    tags_clone(&dst->tags, &src->tags);
    dst->inl = inl_clone(src->inl, src->ninl);
    dst->att = att_clone(src->att, src->natt);
    dst->groups = src->ngroups ? id_xcalloc(src->ngroups, sizeof *dst->groups) : NULL;
    if (src->ngroups)
        memcpy(dst->groups, src->groups, src->ngroups * sizeof *dst->groups);
}

void group_doc_free(struct group_doc *d)
{
    free(d->name);
    free(d->path);
    free(d->arn);
    inl_free(d->inl, d->ninl);
    free(d->att);
    *d = (struct group_doc){0};
}

void group_doc_clone(struct group_doc *dst, const struct group_doc *src)
{
    *dst = *src;
    dst->name = id_xstrdup(src->name);
    dst->path = id_xstrdup(src->path);
    dst->arn = id_xstrdup(src->arn);
    dst->inl = inl_clone(src->inl, src->ninl);
    dst->att = att_clone(src->att, src->natt);
}

void role_doc_free(struct role_doc *d)
{
    free(d->name);
    free(d->path);
    free(d->arn);
    free(d->description);
    free(d->last_region);
    pdoc_unref(d->trust);
    inl_free(d->inl, d->ninl);
    free(d->att);
    tags_free(&d->tags);
    *d = (struct role_doc){0};
}

void role_doc_clone(struct role_doc *dst, const struct role_doc *src)
{
    *dst = *src;
    dst->name = id_xstrdup(src->name);
    dst->path = id_xstrdup(src->path);
    dst->arn = id_xstrdup(src->arn);
    dst->description = id_xstrdup(src->description);
    dst->last_region = id_xstrdup(src->last_region);
    dst->trust = pdoc_ref(src->trust);
    dst->inl = inl_clone(src->inl, src->ninl);
    dst->att = att_clone(src->att, src->natt);
    tags_clone(&dst->tags, &src->tags);
}

void mpol_doc_free(struct mpol_doc *d)
{
    free(d->name);
    free(d->path);
    free(d->arn);
    free(d->description);
    for (size_t i = 0; i < d->nv; i++)
        pdoc_unref(d->v[i].d);
    tags_free(&d->tags);
    *d = (struct mpol_doc){0};
}

void mpol_doc_clone(struct mpol_doc *dst, const struct mpol_doc *src)
{
    *dst = *src;
    dst->name = id_xstrdup(src->name);
    dst->path = id_xstrdup(src->path);
    dst->arn = id_xstrdup(src->arn);
    dst->description = id_xstrdup(src->description);
    for (size_t i = 0; i < src->nv; i++)
        pdoc_ref(dst->v[i].d);
    tags_clone(&dst->tags, &src->tags);
}

void session_free(struct session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsp; i++) {
        pdoc_unref(s->sp[i]);
        free(s->sp_ids[i]);
    }
    free(s->sp);
    free(s->sp_ids);
    free(s->name);
    pail_crypto_wipe(s->secret, sizeof s->secret);
    free(s);
}

static void acct_free(struct acct *a)
{
    if (!a)
        return;
    idmap_free(&a->users);
    idmap_free(&a->groups);
    idmap_free(&a->roles);
    idmap_free(&a->policies);
    free(a->d.name);
    free(a->d.email);
    free(a);
}

static void key_free(struct key *k)
{
    if (!k)
        return;
    pail_crypto_wipe(k->d.secret, sizeof k->d.secret);
    free(k);
}

/* ===== 5. prepared copies ===== */

struct acct *acct_tmp(const struct acct *live)
{
    struct acct *a = id_xcalloc(1, sizeof *a);
    memcpy(a->id, live->id, sizeof a->id);
    memcpy(a->canonical, live->canonical, sizeof a->canonical);
    a->d = live->d;
    a->d.name = id_xstrdup(live->d.name);
    a->d.email = id_xstrdup(live->d.email);
    return a;
}

struct user *user_tmp(const struct user *live)
{
    struct user *u = id_xcalloc(1, sizeof *u);
    memcpy(u->id, live->id, sizeof u->id);
    u->acct = live->acct;
    user_doc_clone(&u->d, &live->d);
    return u;
}

struct group *group_tmp(const struct group *live)
{
    struct group *g = id_xcalloc(1, sizeof *g);
    memcpy(g->id, live->id, sizeof g->id);
    g->acct = live->acct;
    group_doc_clone(&g->d, &live->d);
    return g;
}

struct role *role_tmp(const struct role *live)
{
    struct role *r = id_xcalloc(1, sizeof *r);
    memcpy(r->id, live->id, sizeof r->id);
    r->acct = live->acct;
    role_doc_clone(&r->d, &live->d);
    return r;
}

struct mpol *mpol_tmp(const struct mpol *live)
{
    struct mpol *p = id_xcalloc(1, sizeof *p);
    memcpy(p->id, live->id, sizeof p->id);
    p->acct = live->acct;
    mpol_doc_clone(&p->d, &live->d);
    return p;
}

struct key *key_tmp(const struct key *live)
{
    struct key *k = id_xcalloc(1, sizeof *k);
    k->kind = CRED_KEY;
    memcpy(k->id, live->id, sizeof k->id);
    k->acct = live->acct;
    k->user = live->user;
    k->d = live->d;
    return k;
}

/* ===== 6. serialising records ===== */

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s) {
        fputs("pail: out of memory\n", stderr);
        abort();
    }
    return s;
}

static json_t *tags_json(const struct tags *t)
{
    json_t *a = json_array();
    for (size_t i = 0; i < t->n; i++)
        json_array_append_new(a, json_pack("{s:s,s:s}", "Key", t->v[i].key, "Value", t->v[i].value));
    return a;
}

static json_t *inl_json(const struct inline_pol *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s,s:s}", "name", v[i].name, "doc", v[i].d->doc));
    return a;
}

static json_t *att_json(struct mpol *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]->d.arn));
    return a;
}

char *acct_to_json(const struct acct *a)
{
    return dump(json_pack("{s:s,s:s,s:s,s:I,s:I}", "canonical", a->canonical, "name", a->d.name,
                          "email", a->d.email ? a->d.email : "", "created",
                          (json_int_t)a->d.created, "seq", (json_int_t)a->d.seq));
}

char *user_to_json(const struct user *u)
{
    const struct user_doc *d = &u->d;
    json_t *groups = json_array();
    for (size_t i = 0; i < d->ngroups; i++)
        json_array_append_new(groups, json_string(d->groups[i]->id));
    json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:o}", "account", u->acct->id, "name",
                          d->name, "path", d->path, "created", (json_int_t)d->created, "tags",
                          tags_json(&d->tags), "inline", inl_json(d->inl, d->ninl), "attached",
                          att_json(d->att, d->natt), "groups", groups);
    if (d->boundary)
        json_object_set_new(j, "boundary", json_string(d->boundary->d.arn));
    return dump(j);
}

char *group_to_json(const struct group *g)
{
    const struct group_doc *d = &g->d;
    return dump(json_pack("{s:s,s:s,s:s,s:I,s:o,s:o}", "account", g->acct->id, "name", d->name,
                          "path", d->path, "created", (json_int_t)d->created, "inline",
                          inl_json(d->inl, d->ninl), "attached", att_json(d->att, d->natt)));
}

char *role_to_json(const struct role *r)
{
    const struct role_doc *d = &r->d;
    json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:s,s:i,s:o,s:o,s:o}", "account", r->acct->id, "name",
                          d->name, "path", d->path, "created", (json_int_t)d->created, "trust",
                          d->trust->doc, "max_session", d->max_session, "inline",
                          inl_json(d->inl, d->ninl), "attached", att_json(d->att, d->natt),
                          "tags", tags_json(&d->tags));
    if (d->description)
        json_object_set_new(j, "description", json_string(d->description));
    if (d->boundary)
        json_object_set_new(j, "boundary", json_string(d->boundary->d.arn));
    if (d->last_used) {
        json_object_set_new(j, "last_used", json_integer(d->last_used));
        json_object_set_new(j, "last_region", json_string(d->last_region ? d->last_region : ""));
    }
    return dump(j);
}

char *mpol_to_json(const struct mpol *p)
{
    const struct mpol_doc *d = &p->d;
    json_t *vs = json_array();
    for (size_t i = 0; i < d->nv; i++)
        json_array_append_new(vs, json_pack("{s:s,s:s,s:I}", "id", d->v[i].id, "doc",
                                            d->v[i].d->doc, "created",
                                            (json_int_t)d->v[i].created));
    json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:i,s:o,s:o}", "account", p->acct->id, "name",
                          d->name, "path", d->path, "created", (json_int_t)d->created, "updated",
                          (json_int_t)d->updated, "default", d->v[d->def].id, "next",
                          (int)d->next_ver, "versions", vs, "tags", tags_json(&d->tags));
    if (d->description)
        json_object_set_new(j, "description", json_string(d->description));
    return dump(j);
}

char *key_to_json(const struct key *k)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:I}", "account", k->acct->id, "secret", k->d.secret,
                          "status", k->d.active ? "Active" : "Inactive", "created",
                          (json_int_t)k->d.created);
    if (k->user)
        json_object_set_new(j, "user", json_string(k->user->id));
    return dump(j);
}

char *keyuse_to_json(const struct pail_identity *id, const struct key *k)
{
    return dump(json_pack("{s:I,s:s,s:s}", "ms", (json_int_t)atomic_load(&k->lu_ms), "service",
                          id_intern_get(id, atomic_load(&k->lu_svc)), "region",
                          id_intern_get(id, atomic_load(&k->lu_region))));
}

char *session_to_json(const struct session *s)
{
    static const char *kinds[] = {"root", "user", "role"};
    json_t *pols = json_array();
    for (size_t i = 0; i < s->nsp; i++)
        json_array_append_new(pols, json_pack("{s:s,s:s}", "id", s->sp_ids[i], "doc", s->sp[i]->doc));
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:b}", "account", s->acct->id, "kind",
                          kinds[s->sk], "secret", s->secret, "token_sha256", s->token_sha256,
                          "created", (json_int_t)s->created, "expires", (json_int_t)s->expires,
                          "policies", pols, "chained", s->chained);
    if (s->user)
        json_object_set_new(j, "user", json_string(s->user->id));
    if (s->role)
        json_object_set_new(j, "role", json_string(s->role->id));
    if (s->name)
        json_object_set_new(j, "name", json_string(s->name));
    return dump(j);
}

/* ===== 7. transactions ===== */

void txn_begin(struct txn *t, struct pail_identity *id)
{
    *t = (struct txn){.id = id};
}

static void txn_rec(struct txn *t, const char *kind, const char *name, char *doc)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        struct pail_iam_rec *r = id_xcalloc(t->cap, sizeof *r);
        char **d = id_xcalloc(t->cap, sizeof *d);
        if (t->n) {
            memcpy(r, t->recs, t->n * sizeof *r);
            memcpy(d, t->docs, t->n * sizeof *d);
        }
        free(t->recs);
        free(t->docs);
        t->recs = r;
        t->docs = d;
    }
    t->recs[t->n] = (struct pail_iam_rec){.kind = kind, .name = id_xstrdup(name), .doc = doc};
    t->docs[t->n++] = doc;
}

void txn_raw(struct txn *t, const char *kind, const char *name, const char *doc)
{
    txn_rec(t, kind, name, id_xstrdup(doc));
}

static const char *kind_rec(enum ent_kind k)
{
    static const char *names[] = {REC_ACCOUNT, REC_USER, REC_GROUP, REC_ROLE,
                                  REC_POLICY,  REC_KEY,  REC_SESSION};
    return names[k];
}

static const char *ent_id(enum ent_kind k, const void *e)
{
    switch (k) {
    case EK_ACCT: return ((const struct acct *)e)->id;
    case EK_USER: return ((const struct user *)e)->id;
    case EK_GROUP: return ((const struct group *)e)->id;
    case EK_ROLE: return ((const struct role *)e)->id;
    case EK_POLICY: return ((const struct mpol *)e)->id;
    case EK_KEY: return ((const struct key *)e)->id;
    case EK_SESSION: return ((const struct session *)e)->id;
    }
    return "";
}

static char *ent_json(const struct pail_identity *id, enum ent_kind k, const void *e)
{
    (void)id;
    switch (k) {
    case EK_ACCT: return acct_to_json(e);
    case EK_USER: return user_to_json(e);
    case EK_GROUP: return group_to_json(e);
    case EK_ROLE: return role_to_json(e);
    case EK_POLICY: return mpol_to_json(e);
    case EK_KEY: return key_to_json(e);
    case EK_SESSION: return session_to_json(e);
    }
    return NULL;
}

void txn_stage(struct txn *t, enum ent_kind k, void *live, void *tmp)
{
    if (t->nst == t->stcap) {
        t->stcap = t->stcap ? t->stcap * 2 : 8;
        struct staged *s = id_xcalloc(t->stcap, sizeof *s);
        if (t->nst)
            memcpy(s, t->st, t->nst * sizeof *s);
        free(t->st);
        t->st = s;
    }
    t->st[t->nst++] = (struct staged){.k = k, .live = live, .tmp = tmp};
    const void *e = tmp ? tmp : live;
    txn_rec(t, kind_rec(k), ent_id(k, e), tmp ? ent_json(t->id, k, tmp) : NULL);
    if (k == EK_KEY && !tmp)
        txn_rec(t, REC_KEYUSE, ent_id(k, live), NULL);
}

/* Frees an entity struct and everything it owns. */
static void ent_free(enum ent_kind k, void *e)
{
    if (!e)
        return;
    switch (k) {
    case EK_ACCT: acct_free(e); return;
    case EK_USER: user_doc_free(&((struct user *)e)->d); break;
    case EK_GROUP: group_doc_free(&((struct group *)e)->d); break;
    case EK_ROLE: role_doc_free(&((struct role *)e)->d); break;
    case EK_POLICY: mpol_doc_free(&((struct mpol *)e)->d); break;
    case EK_KEY: key_free(e); return;
    case EK_SESSION: session_free(e); return;
    }
    free(e);
}

#define SWAP(a, b)                                                                            \
    do {                                                                                      \
        __typeof__(a) swap_tmp_ = (a);                                                        \
        (a) = (b);                                                                            \
        (b) = swap_tmp_;                                                                      \
    } while (0)

/* Re-keys a name table when a rename swapped in a new name. */
static void rekey(struct idmap *m, const char *old, const char *neu, void *val)
{
    if (strcmp(old, neu) != 0) {
        idmap_del(m, old);
        idmap_put(m, neu, val);
    }
}

static void apply_acct(struct pail_identity *id, struct acct *live, struct acct *tmp)
{
    if (!live) {
        idmap_put(&id->accts, tmp->id, tmp);
        idmap_put(&id->by_canon, tmp->canonical, tmp);
        idmap_put(&id->by_name, tmp->d.name, tmp);
        if (tmp->d.email && *tmp->d.email)
            idmap_put(&id->by_email, tmp->d.email, tmp);
    } else if (!tmp) {
        idmap_del(&id->accts, live->id);
        idmap_del(&id->by_canon, live->canonical);
        idmap_del(&id->by_name, live->d.name);
        if (live->d.email && *live->d.email)
            idmap_del(&id->by_email, live->d.email);
    } else {
        SWAP(live->d, tmp->d);
        rekey(&id->by_name, tmp->d.name, live->d.name, live);
    }
}

static void apply_user(struct pail_identity *id, struct user *live, struct user *tmp)
{
    if (!live) {
        idmap_put(&tmp->acct->users, tmp->d.name, tmp);
        idmap_put(&id->users_by_id, tmp->id, tmp);
    } else if (!tmp) {
        idmap_del(&live->acct->users, live->d.name);
        idmap_del(&id->users_by_id, live->id);
    } else {
        SWAP(live->d, tmp->d);
        rekey(&live->acct->users, tmp->d.name, live->d.name, live);
    }
}

static void apply_group(struct pail_identity *id, struct group *live, struct group *tmp)
{
    if (!live) {
        idmap_put(&tmp->acct->groups, tmp->d.name, tmp);
        idmap_put(&id->groups_by_id, tmp->id, tmp);
    } else if (!tmp) {
        idmap_del(&live->acct->groups, live->d.name);
        idmap_del(&id->groups_by_id, live->id);
    } else {
        SWAP(live->d, tmp->d);
        rekey(&live->acct->groups, tmp->d.name, live->d.name, live);
    }
}

static void apply_role(struct pail_identity *id, struct role *live, struct role *tmp)
{
    if (!live) {
        idmap_put(&tmp->acct->roles, tmp->d.name, tmp);
        idmap_put(&id->roles_by_id, tmp->id, tmp);
    } else if (!tmp) {
        idmap_del(&live->acct->roles, live->d.name);
        idmap_del(&id->roles_by_id, live->id);
    } else {
        SWAP(live->d, tmp->d);
        rekey(&live->acct->roles, tmp->d.name, live->d.name, live);
    }
}

static void apply_mpol(struct pail_identity *id, struct mpol *live, struct mpol *tmp)
{
    if (!live) {
        idmap_put(&tmp->acct->policies, tmp->d.name, tmp);
        idmap_put(&id->pols_by_id, tmp->id, tmp);
        idmap_put(&id->pols_by_arn, tmp->d.arn, tmp);
    } else if (!tmp) {
        idmap_del(&live->acct->policies, live->d.name);
        idmap_del(&id->pols_by_id, live->id);
        idmap_del(&id->pols_by_arn, live->d.arn);
    } else {
        SWAP(live->d, tmp->d);
    }
}

/* A key joins or leaves its owner's list (a user's, or the account's root keys). */
static void key_link(struct key *k, bool add)
{
    struct key **v = k->user ? k->user->keys : k->acct->root_keys;
    size_t *n = k->user ? &k->user->nkeys : &k->acct->nroot;
    size_t cap = k->user ? ID_KEYS_PER_USER : ID_ROOT_KEYS;
    if (add) {
        if (*n < cap)
            v[(*n)++] = k;
        return;
    }
    for (size_t i = 0; i < *n; i++) {
        if (v[i] == k) {
            memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
            (*n)--;
            return;
        }
    }
}

static void apply_key(struct pail_identity *id, struct key *live, struct key *tmp)
{
    if (!live) {
        idmap_put(&id->creds, tmp->id, tmp);
        key_link(tmp, true);
    } else if (!tmp) {
        idmap_del(&id->creds, live->id);
        key_link(live, false);
    } else {
        SWAP(live->d, tmp->d);
    }
}

static void apply_session(struct pail_identity *id, struct session *live, struct session *tmp)
{
    if (!live)
        idmap_put(&id->creds, tmp->id, tmp);
    else if (!tmp)
        idmap_del(&id->creds, live->id);
}

static void apply(struct pail_identity *id, const struct staged *s)
{
    switch (s->k) {
    case EK_ACCT: apply_acct(id, s->live, s->tmp); break;
    case EK_USER: apply_user(id, s->live, s->tmp); break;
    case EK_GROUP: apply_group(id, s->live, s->tmp); break;
    case EK_ROLE: apply_role(id, s->live, s->tmp); break;
    case EK_POLICY: apply_mpol(id, s->live, s->tmp); break;
    case EK_KEY: apply_key(id, s->live, s->tmp); break;
    case EK_SESSION: apply_session(id, s->live, s->tmp); break;
    }
}

static void txn_free(struct txn *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free((char *)t->recs[i].name);
        free(t->docs[i]);
    }
    free(t->recs);
    free(t->docs);
    free(t->st);
    *t = (struct txn){.id = t->id};
}

void txn_abort(struct txn *t)
{
    for (size_t i = 0; i < t->nst; i++)
        ent_free(t->st[i].k, t->st[i].tmp);
    txn_free(t);
}

enum pail_err txn_commit(struct txn *t)
{
    if (t->n == 0) {
        txn_free(t);
        return PAIL_OK;
    }
    enum pail_err e = pail_meta_iam_write(t->id->m, t->recs, t->n);
    if (e != PAIL_OK) {
        pail_error("identity: writing %zu identity records failed: %s", t->n, pail_err_code(e));
        txn_abort(t);
        return e;
    }
    pthread_rwlock_wrlock(&t->id->rw);
    for (size_t i = 0; i < t->nst; i++)
        apply(t->id, &t->st[i]);
    pthread_rwlock_unlock(&t->id->rw);
    /* What the model no longer reaches: deleted entities and replaced docs
     * (now in the tmp structs). Readers cannot hold them: they were unlinked
     * under the write lock, and readers copy what they need before unlocking. */
    for (size_t i = 0; i < t->nst; i++) {
        const struct staged *s = &t->st[i];
        if (!s->tmp)
            ent_free(s->k, s->live);
        else if (s->live)
            ent_free(s->k, s->tmp);
    }
    txn_free(t);
    return PAIL_OK;
}

void txn_drop_sessions(struct txn *t, const struct user *u, const struct role *r)
{
    struct idmap_it it = {0};
    while (idmap_next(&t->id->creds, &it)) {
        struct session *s = it.e->val;
        if (s->kind == CRED_SESSION && ((u && s->user == u) || (r && s->role == r)))
            txn_stage(t, EK_SESSION, s, NULL);
    }
}

/* ===== 8. loading records (jscan: no allocation but what the model keeps) ===== */

static struct jv jmem(struct jv o, const char *k)
{
    struct jv v = {0};
    jv_member(o, k, &v);
    return v;
}

static int64_t jnum(struct jv o, const char *k)
{
    return jv_int(jmem(o, k));
}

/* The record's account ("account" member). */
static struct acct *load_acct_of(struct pail_identity *id, struct jv j)
{
    char aid[13];
    return jv_strbuf(jmem(j, "account"), aid, sizeof aid) ? idmap_get(&id->accts, aid) : NULL;
}

static bool load_tags(struct jv arr, struct tags *t)
{
    size_t pos = 0, n = 0;
    struct jv e;
    while (jv_next(arr, &pos, &e))
        n++;
    *t = (struct tags){.v = n ? id_xcalloc(n, sizeof *t->v) : NULL};
    pos = 0;
    while (jv_next(arr, &pos, &e)) {
        char *k = jv_get_strdup(e, "Key"), *v = jv_get_strdup(e, "Value");
        if (!k || !v) {
            free(k);
            free(v);
            return false;
        }
        t->v[t->n].key = k;
        t->v[t->n++].value = v;
    }
    return true;
}

static void load_inline(struct jv arr, struct inline_pol **v, size_t *n, const char *owner)
{
    size_t pos = 0;
    struct jv e;
    while (jv_next(arr, &pos, &e)) {
        char *name = jv_get_strdup(e, "name"), *doc = jv_get_strdup(e, "doc");
        if (name && doc) {
            char what[160];
            snprintf(what, sizeof what, "%s of %s", name, owner);
            inl_put(v, n, name, id_load_pdoc(doc, PAIL_POLICY_IDENTITY, what));
        }
        free(name);
        free(doc);
    }
}

static void load_attached(struct pail_identity *id, struct jv arr, struct mpol ***v, size_t *n,
                          const char *owner)
{
    size_t pos = 0;
    struct jv e;
    while (jv_next(arr, &pos, &e)) {
        char *arn = jv_strdup(e);
        struct mpol *p = arn ? idmap_get(&id->pols_by_arn, arn) : NULL;
        if (p && !att_has(*v, *n, p))
            att_add(v, n, p);
        else if (!p)
            pail_warn("identity: %s: attached policy %s is gone; dropped", owner, arn ? arn : "?");
        free(arn);
    }
}

static struct mpol *load_boundary(struct pail_identity *id, struct jv j)
{
    char *arn = jv_get_strdup(j, "boundary");
    struct mpol *p = arn ? idmap_get(&id->pols_by_arn, arn) : NULL;
    free(arn);
    return p;
}

static void init_tables(struct acct *a)
{
    idmap_init(&a->users, true);
    idmap_init(&a->groups, true);
    idmap_init(&a->roles, true);
    idmap_init(&a->policies, true);
}

static bool load_account(struct pail_identity *id, const char *name, struct jv j)
{
    struct acct *a = id_xcalloc(1, sizeof *a);
    if (strlen(name) != 12 || idmap_get(&id->accts, name) ||
        !jv_strbuf(jmem(j, "canonical"), a->canonical, sizeof a->canonical) ||
        strlen(a->canonical) != 64 || !(a->d.name = jv_get_strdup(j, "name"))) {
        free(a);
        return false;
    }
    memcpy(a->id, name, 13);
    a->d.email = jv_get_strdup(j, "email");
    if (!a->d.email)
        a->d.email = id_xstrdup("");
    a->d.created = jnum(j, "created");
    a->d.seq = (uint64_t)jnum(j, "seq");
    init_tables(a);
    if (a->d.seq >= id->next_seq)
        id->next_seq = a->d.seq + 1;
    apply_acct(id, NULL, a);
    return true;
}

static bool load_policy(struct pail_identity *id, const char *name, struct jv j)
{
    struct acct *a = load_acct_of(id, j);
    struct jv vs = jmem(j, "versions");
    char def[16];
    if (!a || strlen(name) >= 24 || !jv_is_arr(vs) || !jv_strbuf(jmem(j, "default"), def, sizeof def))
        return false;
    struct mpol *p = id_xcalloc(1, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", name);
    p->acct = a;
    p->d.name = jv_get_strdup(j, "name");
    p->d.path = jv_get_strdup(j, "path");
    if (!p->d.name || !p->d.path) {
        ent_free(EK_POLICY, p);
        return false;
    }
    p->d.arn = id_entity_arn(a->id, "policy", p->d.path, p->d.name);
    p->d.description = jv_get_strdup(j, "description");
    p->d.created = jnum(j, "created");
    p->d.updated = jnum(j, "updated");
    p->d.next_ver = (unsigned)jnum(j, "next");
    load_tags(jmem(j, "tags"), &p->d.tags);
    size_t pos = 0;
    struct jv e;
    bool have_def = false;
    while (p->d.nv < ID_VERSIONS_PER_POLICY && jv_next(vs, &pos, &e)) {
        struct mpol_ver *v = &p->d.v[p->d.nv];
        char *doc = jv_get_strdup(e, "doc");
        if (!doc || !jv_strbuf(jmem(e, "id"), v->id, sizeof v->id)) {
            free(doc);
            continue;
        }
        char what[200];
        snprintf(what, sizeof what, "%s %s", p->d.arn, v->id);
        v->d = id_load_pdoc(doc, PAIL_POLICY_IDENTITY, what);
        free(doc);
        v->created = jnum(e, "created");
        if (strcmp(v->id, def) == 0) {
            p->d.def = p->d.nv;
            have_def = true;
        }
        p->d.nv++;
    }
    if (!have_def) {
        ent_free(EK_POLICY, p);
        return false;
    }
    apply_mpol(id, NULL, p);
    return true;
}

static bool load_group(struct pail_identity *id, const char *name, struct jv j)
{
    struct acct *a = load_acct_of(id, j);
    if (!a || strlen(name) >= 24)
        return false;
    struct group *g = id_xcalloc(1, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", name);
    g->acct = a;
    g->d.name = jv_get_strdup(j, "name");
    g->d.path = jv_get_strdup(j, "path");
    if (!g->d.name || !g->d.path) {
        ent_free(EK_GROUP, g);
        return false;
    }
    g->d.arn = id_entity_arn(a->id, "group", g->d.path, g->d.name);
    g->d.created = jnum(j, "created");
    load_inline(jmem(j, "inline"), &g->d.inl, &g->d.ninl, g->d.arn);
    load_attached(id, jmem(j, "attached"), &g->d.att, &g->d.natt, g->d.arn);
    apply_group(id, NULL, g);
    return true;
}

static void load_groups_of(struct pail_identity *id, struct jv arr, struct user *u)
{
    size_t pos = 0, n = 0;
    struct jv e;
    while (jv_next(arr, &pos, &e))
        n++;
    u->d.groups = n ? id_xcalloc(n, sizeof *u->d.groups) : NULL;
    pos = 0;
    while (jv_next(arr, &pos, &e)) {
        char gid[24];
        struct group *g = jv_strbuf(e, gid, sizeof gid) ? idmap_get(&id->groups_by_id, gid) : NULL;
        if (g && g->acct == u->acct)
            u->d.groups[u->d.ngroups++] = g;
    }
}

static bool load_user(struct pail_identity *id, const char *name, struct jv j)
{
    struct acct *a = load_acct_of(id, j);
    if (!a || strlen(name) >= 24)
        return false;
    struct user *u = id_xcalloc(1, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", name);
    u->acct = a;
    u->d.name = jv_get_strdup(j, "name");
    u->d.path = jv_get_strdup(j, "path");
    if (!u->d.name || !u->d.path) {
        ent_free(EK_USER, u);
        return false;
    }
    u->d.arn = id_entity_arn(a->id, "user", u->d.path, u->d.name);
    u->d.created = jnum(j, "created");
    load_tags(jmem(j, "tags"), &u->d.tags);
    load_inline(jmem(j, "inline"), &u->d.inl, &u->d.ninl, u->d.arn);
    load_attached(id, jmem(j, "attached"), &u->d.att, &u->d.natt, u->d.arn);
    u->d.boundary = load_boundary(id, j);
    load_groups_of(id, jmem(j, "groups"), u);
    apply_user(id, NULL, u);
    return true;
}

static bool load_role(struct pail_identity *id, const char *name, struct jv j)
{
    struct acct *a = load_acct_of(id, j);
    char *trust = jv_get_strdup(j, "trust");
    if (!a || !trust || strlen(name) >= 24) {
        free(trust);
        return false;
    }
    struct role *r = id_xcalloc(1, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", name);
    r->acct = a;
    r->d.name = jv_get_strdup(j, "name");
    r->d.path = jv_get_strdup(j, "path");
    if (!r->d.name || !r->d.path) {
        free(trust);
        ent_free(EK_ROLE, r);
        return false;
    }
    r->d.arn = id_entity_arn(a->id, "role", r->d.path, r->d.name);
    r->d.description = jv_get_strdup(j, "description");
    r->d.created = jnum(j, "created");
    r->d.max_session = (int)jnum(j, "max_session");
    char what[200];
    snprintf(what, sizeof what, "trust policy of %s", r->d.arn);
    r->d.trust = id_load_pdoc(trust, PAIL_POLICY_TRUST, what);
    free(trust);
    load_inline(jmem(j, "inline"), &r->d.inl, &r->d.ninl, r->d.arn);
    load_attached(id, jmem(j, "attached"), &r->d.att, &r->d.natt, r->d.arn);
    load_tags(jmem(j, "tags"), &r->d.tags);
    r->d.boundary = load_boundary(id, j);
    r->d.last_used = jnum(j, "last_used");
    r->d.last_region = jv_get_strdup(j, "last_region");
    apply_role(id, NULL, r);
    return true;
}

static bool load_key(struct pail_identity *id, const char *name, struct jv j)
{
    struct acct *a = load_acct_of(id, j);
    struct key *k = id_xcalloc(1, sizeof *k);
    char uid[24] = "", status[16] = "Active";
    struct jv ju = jmem(j, "user");
    bool has_user = ju.p != NULL;
    struct user *u = has_user && jv_strbuf(ju, uid, sizeof uid) ? idmap_get(&id->users_by_id, uid) : NULL;
    jv_strbuf(jmem(j, "status"), status, sizeof status);
    if (!a || strlen(name) >= 24 || (has_user && (!u || u->acct != a)) ||
        idmap_get(&id->creds, name) || !jv_strbuf(jmem(j, "secret"), k->d.secret, sizeof k->d.secret)) {
        key_free(k);
        return false;
    }
    k->kind = CRED_KEY;
    snprintf(k->id, sizeof k->id, "%s", name);
    k->acct = a;
    k->user = u;
    k->d.active = strcmp(status, "Inactive") != 0;
    k->d.created = jnum(j, "created");
    apply_key(id, NULL, k);
    return true;
}

static bool load_keyuse(struct pail_identity *id, const char *name, struct jv j)
{
    struct key *k = idmap_get(&id->creds, name);
    if (!k || k->kind != CRED_KEY)
        return false;
    char svc[16] = "", region[40] = "";
    jv_strbuf(jmem(j, "service"), svc, sizeof svc);
    jv_strbuf(jmem(j, "region"), region, sizeof region);
    atomic_store(&k->lu_ms, jnum(j, "ms"));
    atomic_store(&k->lu_svc, id_intern(id, svc));
    atomic_store(&k->lu_region, id_intern(id, region));
    return true;
}

static bool load_session_policies(struct jv pols, struct session *s)
{
    size_t pos = 0, n = 0;
    struct jv e;
    while (jv_next(pols, &pos, &e))
        n++;
    s->sp = n ? id_xcalloc(n, sizeof *s->sp) : NULL;
    s->sp_ids = n ? id_xcalloc(n, sizeof *s->sp_ids) : NULL;
    pos = 0;
    while (jv_next(pols, &pos, &e)) {
        char *pid = jv_get_strdup(e, "id"), *doc = jv_get_strdup(e, "doc");
        if (pid && doc) {
            s->sp[s->nsp] = id_load_pdoc(doc, PAIL_POLICY_IDENTITY, "of a session");
            s->sp_ids[s->nsp++] = pid;
            pid = NULL;
        }
        free(pid);
        free(doc);
    }
    return true;
}

static bool load_session(struct pail_identity *id, const char *name, struct jv j)
{
    struct acct *a = load_acct_of(id, j);
    int64_t expires = jnum(j, "expires");
    if (!a || strlen(name) >= 24 || idmap_get(&id->creds, name) || expires <= pail_time_now_ms())
        return false; /* expired or dangling: the caller deletes the record */
    struct session *s = id_xcalloc(1, sizeof *s);
    s->kind = CRED_SESSION;
    snprintf(s->id, sizeof s->id, "%s", name);
    s->acct = a;
    char kind[8] = "", ref[24] = "";
    jv_strbuf(jmem(j, "kind"), kind, sizeof kind);
    if (!jv_strbuf(jmem(j, "secret"), s->secret, sizeof s->secret) ||
        !jv_strbuf(jmem(j, "token_sha256"), s->token_sha256, sizeof s->token_sha256) ||
        strlen(s->token_sha256) != 64) {
        session_free(s);
        return false;
    }
    s->created = jnum(j, "created");
    s->expires = expires;
    s->chained = jv_true(jmem(j, "chained"));
    s->name = jv_get_strdup(j, "name");
    if (strcmp(kind, "role") == 0) {
        s->sk = SESS_ROLE;
        s->role = jv_strbuf(jmem(j, "role"), ref, sizeof ref) ? idmap_get(&id->roles_by_id, ref) : NULL;
    } else if (strcmp(kind, "user") == 0) {
        s->sk = SESS_USER;
        s->user = jv_strbuf(jmem(j, "user"), ref, sizeof ref) ? idmap_get(&id->users_by_id, ref) : NULL;
    } else
        s->sk = SESS_ROOT;
    if ((s->sk == SESS_ROLE && (!s->role || s->role->acct != a || !s->name)) ||
        (s->sk == SESS_USER && (!s->user || s->user->acct != a))) {
        session_free(s);
        return false;
    }
    load_session_policies(jmem(j, "policies"), s);
    apply_session(id, NULL, s);
    return true;
}

/* Which pass loads a kind: accounts, then what others refer to. */
int id_load_pass(const char *kind)
{
    static const struct {
        const char *kind;
        int pass;
    } order[] = {{REC_ACCOUNT, 0}, {REC_POLICY, 1}, {REC_GROUP, 2}, {REC_USER, 3},
                 {REC_ROLE, 3},    {REC_KEY, 4},    {REC_SESSION, 4}, {REC_KEYUSE, 5}};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (strcmp(kind, order[i].kind) == 0)
            return order[i].pass;
    return -1;
}

bool id_load_record(struct pail_identity *id, const struct pail_iam_rec *r)
{
    static const struct {
        const char *kind;
        bool (*load)(struct pail_identity *, const char *, struct jv);
    } loaders[] = {{REC_ACCOUNT, load_account}, {REC_POLICY, load_policy}, {REC_GROUP, load_group},
                   {REC_USER, load_user},       {REC_ROLE, load_role},     {REC_KEY, load_key},
                   {REC_SESSION, load_session}, {REC_KEYUSE, load_keyuse}};
    struct jv j;
    if (!jv_root(r->doc, &j) || !jv_is_obj(j))
        return false;
    for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++)
        if (strcmp(r->kind, loaders[i].kind) == 0)
            return loaders[i].load(id, r->name, j);
    return false;
}

void id_model_free(struct pail_identity *id)
{
    static const struct {
        size_t off;
        enum ent_kind k;
    } tables[] = {
        {offsetof(struct pail_identity, users_by_id), EK_USER},
        {offsetof(struct pail_identity, groups_by_id), EK_GROUP},
        {offsetof(struct pail_identity, roles_by_id), EK_ROLE},
        {offsetof(struct pail_identity, pols_by_id), EK_POLICY},
        {offsetof(struct pail_identity, accts), EK_ACCT},
    };
    struct idmap_it it = {0};
    while (idmap_next(&id->creds, &it))
        ent_free(*(enum cred_kind *)it.e->val == CRED_KEY ? EK_KEY : EK_SESSION, it.e->val);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        struct idmap *m = (struct idmap *)((char *)id + tables[i].off);
        it = (struct idmap_it){0};
        while (idmap_next(m, &it))
            ent_free(tables[i].k, it.e->val);
    }
    struct idmap *all[] = {&id->accts, &id->by_canon, &id->by_email, &id->by_name,
                           &id->users_by_id, &id->groups_by_id, &id->roles_by_id,
                           &id->pols_by_id, &id->pols_by_arn, &id->creds};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        idmap_free(all[i]);
}
