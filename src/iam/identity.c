/* iam/identity.c — the identity's life cycle and its accounts: open (load
 * every record), close, the lazy "last used" writer, bootstrap of the first
 * account from the server's root credential, account create/delete/list and
 * the lookups by id, canonical id and email, and principal existence for
 * policy validation. */
#include "iam/identity_int.h"

#include "auth/crypto.h"
#include "core/arena.h"
#include "core/log.h"
#include "util/time.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FLUSH_PERIOD_S 60

/* ===== open and close ===== */

static void *flusher_main(void *arg);

static struct pail_identity *identity_new(struct pail_meta *m)
{
    struct pail_identity *id = id_xcalloc(1, sizeof *id);
    id->m = m;
    pthread_mutex_init(&id->wmu, NULL);
    pthread_rwlock_init(&id->rw, NULL);
    pthread_mutex_init(&id->intern_mu, NULL);
    pthread_mutex_init(&id->flush_mu, NULL);
    pthread_cond_init(&id->flush_cv, NULL);
    idmap_init(&id->accts, false);
    idmap_init(&id->by_canon, false);
    idmap_init(&id->by_email, true);
    idmap_init(&id->by_name, true);
    idmap_init(&id->users_by_id, false);
    idmap_init(&id->groups_by_id, false);
    idmap_init(&id->roles_by_id, false);
    idmap_init(&id->pols_by_id, false);
    idmap_init(&id->pols_by_arn, true);
    idmap_init(&id->creds, false);
    id->intern[0] = "";
    atomic_store(&id->nintern, 1);
    id->next_seq = 1;
    return id;
}

/* Loads recs in dependency order; stale sessions (expired, or whose user or
 * role is gone) are deleted from the store in one write. */
static void load_all(struct pail_identity *id, const struct pail_iam_rec *recs, size_t n)
{
    struct txn t;
    txn_begin(&t, id);
    signed char *pass_of = id_xcalloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        pass_of[i] = (signed char)id_load_pass(recs[i].kind);
        if (pass_of[i] < 0)
            pail_warn("identity: record kind %s unknown; ignored", recs[i].kind);
    }
    for (int pass = 0; pass < ID_LOAD_PASSES; pass++) {
        for (size_t i = 0; i < n; i++) {
            if (pass_of[i] != pass || id_load_record(id, &recs[i]))
                continue;
            if (strcmp(recs[i].kind, REC_SESSION) == 0)
                txn_raw(&t, REC_SESSION, recs[i].name, NULL);
            else
                pail_warn("identity: record %s/%s does not parse; ignored", recs[i].kind,
                          recs[i].name);
        }
    }
    free(pass_of);
    if (txn_commit(&t) != PAIL_OK)
        pail_warn("identity: could not delete expired sessions; retried at the next start");
}

enum pail_err pail_identity_open(struct pail_meta *m, struct pail_identity **out)
{
    struct pail_identity *id = identity_new(m);
    id_aws_managed_init(id);
    struct pail_arena *a = pail_arena_new();
    struct pail_iam_rec *recs = NULL;
    size_t n = 0;
    enum pail_err e = pail_meta_iam_load(m, a, &recs, &n);
    if (e != PAIL_OK) {
        pail_arena_free(a);
        pail_identity_close(id);
        return e;
    }
    load_all(id, recs, n);
    pail_arena_free(a);
    if (pthread_create(&id->flusher, NULL, flusher_main, id) == 0)
        id->flusher_started = true;
    else
        pail_warn("identity: no last-used writer thread; last use is saved at close");
    *out = id;
    return PAIL_OK;
}

void pail_identity_close(struct pail_identity *id)
{
    if (!id)
        return;
    if (id->flusher_started) {
        pthread_mutex_lock(&id->flush_mu);
        id->stopping = true;
        pthread_cond_signal(&id->flush_cv);
        pthread_mutex_unlock(&id->flush_mu);
        pthread_join(id->flusher, NULL);
    }
    pail_identity_flush(id);
    id_model_free(id);
    for (size_t i = 1; i < atomic_load(&id->nintern); i++)
        free((char *)id->intern[i]);
    pthread_cond_destroy(&id->flush_cv);
    pthread_mutex_destroy(&id->flush_mu);
    pthread_mutex_destroy(&id->intern_mu);
    pthread_rwlock_destroy(&id->rw);
    pthread_mutex_destroy(&id->wmu);
    free(id);
}

/* ===== last use, written lazily ===== */

const char *id_intern_get(const struct pail_identity *id, int idx)
{
    return idx > 0 && (size_t)idx < atomic_load(&id->nintern) ? id->intern[idx] : "";
}

int id_intern(struct pail_identity *id, const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = atomic_load(&id->nintern);
    for (size_t i = 1; i < n; i++)
        if (strcmp(id->intern[i], s) == 0)
            return (int)i;
    pthread_mutex_lock(&id->intern_mu);
    n = atomic_load(&id->nintern);
    int idx = 0;
    for (size_t i = 1; i < n && !idx; i++)
        if (strcmp(id->intern[i], s) == 0)
            idx = (int)i;
    if (!idx && n < ID_INTERN_MAX) {
        id->intern[n] = id_xstrdup(s);
        atomic_store(&id->nintern, n + 1); /* publishes the slot written above */
        idx = (int)n;
    }
    pthread_mutex_unlock(&id->intern_mu);
    return idx;
}

/* How long an expired session is kept in memory so that its key still
 * answers ExpiredToken (what clients act on) rather than InvalidAccessKeyId. */
#define EXPIRED_GRACE_MS (15 * 60 * 1000)

/* Stages the deletion of sessions expired for a while (they are refused
 * anyway; this keeps the store and memory from growing). Holds wmu. */
static void stage_expired(struct txn *t, int64_t now)
{
    struct idmap_it it = {0};
    while (idmap_next(&t->id->creds, &it)) {
        struct session *s = it.e->val;
        if (s->kind == CRED_SESSION && s->expires + EXPIRED_GRACE_MS <= now)
            txn_stage(t, EK_SESSION, s, NULL);
    }
}

enum pail_err pail_identity_flush(struct pail_identity *id)
{
    pthread_mutex_lock(&id->wmu);
    struct txn t;
    txn_begin(&t, id);
    size_t cap = 16, n = 0;
    struct key **dirty = id_xcalloc(cap, sizeof *dirty);
    struct idmap_it it = {0};
    while (idmap_next(&id->creds, &it)) {
        struct key *k = it.e->val;
        if (k->kind != CRED_KEY || !atomic_exchange(&k->lu_dirty, false))
            continue;
        char *doc = keyuse_to_json(id, k);
        txn_raw(&t, REC_KEYUSE, k->id, doc);
        free(doc);
        if (n == cap) {
            struct key **nd = id_xcalloc(cap * 2, sizeof *nd);
            memcpy(nd, dirty, n * sizeof *nd);
            free(dirty);
            dirty = nd;
            cap *= 2;
        }
        dirty[n++] = k;
    }
    stage_expired(&t, pail_time_now_ms());
    enum pail_err e = txn_commit(&t);
    if (e != PAIL_OK)
        for (size_t i = 0; i < n; i++)
            atomic_store(&dirty[i]->lu_dirty, true); /* try again next time */
    free(dirty);
    pthread_mutex_unlock(&id->wmu);
    return e;
}

static void *flusher_main(void *arg)
{
    struct pail_identity *id = arg;
    pthread_mutex_lock(&id->flush_mu);
    while (!id->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += FLUSH_PERIOD_S;
        pthread_cond_timedwait(&id->flush_cv, &id->flush_mu, &ts);
        if (id->stopping)
            break;
        pthread_mutex_unlock(&id->flush_mu);
        pail_identity_flush(id);
        pthread_mutex_lock(&id->flush_mu);
    }
    pthread_mutex_unlock(&id->flush_mu);
    return NULL;
}

/* ===== accounts ===== */

struct acct *id_first_acct(struct pail_identity *id)
{
    struct acct *first = NULL;
    struct idmap_it it = {0};
    while (idmap_next(&id->accts, &it)) {
        struct acct *a = it.e->val;
        if (!first || a->d.seq < first->d.seq)
            first = a;
    }
    return first;
}

struct acct *id_acct_by_key(struct pail_identity *id, const char *access_key)
{
    const void *c = access_key ? idmap_get(&id->creds, access_key) : NULL;
    if (!c)
        return NULL;
    return *(const enum cred_kind *)c == CRED_KEY ? ((const struct key *)c)->acct
                                                  : ((const struct session *)c)->acct;
}

static bool name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_+=,.@-", *s))
            return false;
    return true;
}

static bool email_ok(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '<' || *s == '>' || *s == '"')
            return false;
    return true;
}

static struct acct *acct_new(struct pail_identity *id, const char *name, const char *email,
                             const char *canonical)
{
    struct acct *a = id_xcalloc(1, sizeof *a);
    do {
        unsigned char r[8];
        id_random(r, sizeof r);
        uint64_t v = 0;
        memcpy(&v, r, sizeof v);
        snprintf(a->id, sizeof a->id, "%012llu",
                 (unsigned long long)(100000000000ULL + v % 900000000000ULL));
    } while (idmap_get(&id->accts, a->id));
    if (canonical)
        snprintf(a->canonical, sizeof a->canonical, "%s", canonical);
    else {
        do {
            unsigned char r[32];
            id_random(r, sizeof r);
            for (size_t i = 0; i < 32; i++)
                snprintf(a->canonical + 2 * i, 3, "%02x", r[i]);
        } while (idmap_get(&id->by_canon, a->canonical));
    }
    a->d.name = id_xstrdup(name);
    a->d.email = id_xstrdup(email ? email : "");
    a->d.created = pail_time_now_ms();
    a->d.seq = id->next_seq++;
    idmap_init(&a->users, true);
    idmap_init(&a->groups, true);
    idmap_init(&a->roles, true);
    idmap_init(&a->policies, true);
    return a;
}

static struct key *root_key_new(struct acct *a, const char *key_id, const char *secret)
{
    struct key *k = id_xcalloc(1, sizeof *k);
    k->kind = CRED_KEY;
    snprintf(k->id, sizeof k->id, "%s", key_id);
    k->acct = a;
    snprintf(k->d.secret, sizeof k->d.secret, "%s", secret);
    k->d.active = true;
    k->d.created = a->d.created;
    return k;
}

/* Replaces the first account's root keys by key_id/secret. Holds wmu. */
static enum pail_err rotate_root(struct pail_identity *id, struct acct *first, const char *key_id,
                                 const char *secret)
{
    struct key *same = NULL;
    for (size_t i = 0; i < first->nroot; i++)
        if (strcmp(first->root_keys[i]->id, key_id) == 0)
            same = first->root_keys[i];
    if (same && first->nroot == 1 && strcmp(same->d.secret, secret) == 0 && same->d.active)
        return PAIL_OK;
    if (!same && idmap_get(&id->creds, key_id))
        return PAIL_E_EntityAlreadyExists;
    struct txn t;
    txn_begin(&t, id);
    for (size_t i = 0; i < first->nroot; i++)
        if (first->root_keys[i] != same)
            txn_stage(&t, EK_KEY, first->root_keys[i], NULL);
    if (same) {
        struct key *k = key_tmp(same);
        snprintf(k->d.secret, sizeof k->d.secret, "%s", secret);
        k->d.active = true;
        txn_stage(&t, EK_KEY, same, k);
    } else {
        struct key *k = root_key_new(first, key_id, secret);
        k->d.created = pail_time_now_ms();
        txn_stage(&t, EK_KEY, NULL, k);
    }
    enum pail_err e = txn_commit(&t);
    if (e == PAIL_OK)
        pail_info("identity: root access key of account %s replaced by %s", first->id, key_id);
    return e;
}

enum pail_err pail_identity_bootstrap(struct pail_identity *id, const char *access_key,
                                      const char *secret)
{
    if (!access_key || !*access_key || strlen(access_key) >= 24 || !secret || !*secret ||
        strlen(secret) >= 48)
        return PAIL_E_InvalidArgument;
    pthread_mutex_lock(&id->wmu);
    struct acct *first = id_first_acct(id);
    enum pail_err e;
    if (first)
        e = rotate_root(id, first, access_key, secret);
    else if (idmap_get(&id->creds, access_key))
        e = PAIL_E_EntityAlreadyExists;
    else {
        struct acct *a = acct_new(id, "root", "", PAIL_IDENTITY_LEGACY_CANONICAL);
        struct txn t;
        txn_begin(&t, id);
        txn_stage(&t, EK_ACCT, NULL, a);
        txn_stage(&t, EK_KEY, NULL, root_key_new(a, access_key, secret));
        e = txn_commit(&t);
        if (e == PAIL_OK)
            pail_info("identity: first account %s created for the root credential", a->id);
    }
    pthread_mutex_unlock(&id->wmu);
    return e;
}

static void fill_account(const struct acct *a, struct pail_arena *ar, struct pail_account *out)
{
    *out = (struct pail_account){
        .id = pail_arena_strdup(ar, a->id),
        .canonical_id = pail_arena_strdup(ar, a->canonical),
        .name = pail_arena_strdup(ar, a->d.name),
        .email = pail_arena_strdup(ar, a->d.email ? a->d.email : ""),
        .created_ms = a->d.created,
        .access_key = a->nroot ? pail_arena_strdup(ar, a->root_keys[0]->id) : NULL,
    };
}

enum pail_err pail_identity_account_create(struct pail_identity *id, const char *name,
                                           const char *email, struct pail_arena *ar,
                                           struct pail_account *out)
{
    if (!name_ok(name, 64) || !email_ok(email))
        return PAIL_E_InvalidArgument;
    pthread_mutex_lock(&id->wmu);
    enum pail_err e = PAIL_E_EntityAlreadyExists;
    if (!idmap_get(&id->by_name, name) && !idmap_get(&id->by_email, email)) {
        struct acct *a = acct_new(id, name, email, NULL);
        char key_id[24], secret[48];
        id_new_key_id(id, key_id, "AKIA");
        id_new_secret(secret);
        struct txn t;
        txn_begin(&t, id);
        txn_stage(&t, EK_ACCT, NULL, a);
        txn_stage(&t, EK_KEY, NULL, root_key_new(a, key_id, secret));
        e = txn_commit(&t);
        if (e == PAIL_OK) {
            fill_account(a, ar, out);
            out->secret_key = pail_arena_strdup(ar, secret);
        }
        pail_crypto_wipe(secret, sizeof secret);
    }
    pthread_mutex_unlock(&id->wmu);
    return e;
}

static struct acct *acct_by_id_or_name(struct pail_identity *id, const char *s)
{
    struct acct *a = s ? idmap_get(&id->accts, s) : NULL;
    return a ? a : s ? idmap_get(&id->by_name, s) : NULL;
}

/* Stages the deletion of everything in table m of kind k. */
static void stage_all(struct txn *t, const struct idmap *m, enum ent_kind k)
{
    struct idmap_it it = {0};
    while (idmap_next(m, &it))
        txn_stage(t, k, it.e->val, NULL);
}

enum pail_err pail_identity_account_delete(struct pail_identity *id, const char *id_or_name)
{
    pthread_mutex_lock(&id->wmu);
    struct acct *a = acct_by_id_or_name(id, id_or_name);
    enum pail_err e = PAIL_E_NoSuchEntity;
    if (a && a == id_first_acct(id))
        e = PAIL_E_InvalidInput;
    else if (a) {
        struct txn t;
        txn_begin(&t, id);
        struct idmap_it it = {0};
        while (idmap_next(&id->creds, &it)) {
            const struct session *s = it.e->val;
            if (s->kind == CRED_SESSION && s->acct == a)
                txn_stage(&t, EK_SESSION, it.e->val, NULL);
        }
        it = (struct idmap_it){0};
        while (idmap_next(&id->creds, &it)) {
            const struct key *k = it.e->val;
            if (k->kind == CRED_KEY && k->acct == a)
                txn_stage(&t, EK_KEY, it.e->val, NULL);
        }
        stage_all(&t, &a->users, EK_USER);
        stage_all(&t, &a->roles, EK_ROLE);
        stage_all(&t, &a->groups, EK_GROUP);
        stage_all(&t, &a->policies, EK_POLICY);
        txn_stage(&t, EK_ACCT, a, NULL);
        e = txn_commit(&t);
    }
    pthread_mutex_unlock(&id->wmu);
    return e;
}

static int by_seq(const void *x, const void *y)
{
    const struct acct *a = *(struct acct *const *)x, *b = *(struct acct *const *)y;
    return a->d.seq < b->d.seq ? -1 : a->d.seq > b->d.seq;
}

enum pail_err pail_identity_account_list(struct pail_identity *id, struct pail_arena *ar,
                                         struct pail_account **out, size_t *n)
{
    pthread_rwlock_rdlock(&id->rw);
    size_t cnt = id->accts.n;
    struct acct **v = pail_arena_alloc(ar, (cnt ? cnt : 1) * sizeof *v);
    size_t k = 0;
    struct idmap_it it = {0};
    while (idmap_next(&id->accts, &it))
        v[k++] = it.e->val;
    qsort(v, k, sizeof *v, by_seq);
    *out = pail_arena_alloc(ar, (k ? k : 1) * sizeof **out);
    for (size_t i = 0; i < k; i++)
        fill_account(v[i], ar, &(*out)[i]);
    *n = k;
    pthread_rwlock_unlock(&id->rw);
    return PAIL_OK;
}

static bool lookup(struct pail_identity *id, const struct idmap *m, const char *key,
                   struct pail_arena *ar, struct pail_account *out)
{
    pthread_rwlock_rdlock(&id->rw);
    const struct acct *a = key && *key ? idmap_get(m, key) : NULL;
    if (a)
        fill_account(a, ar, out);
    pthread_rwlock_unlock(&id->rw);
    return a != NULL;
}

bool pail_identity_account_get(struct pail_identity *id, const char *account_id,
                               struct pail_arena *a, struct pail_account *out)
{
    return lookup(id, &id->accts, account_id, a, out);
}

bool pail_identity_account_by_canonical(struct pail_identity *id, const char *canonical_id,
                                        struct pail_arena *a, struct pail_account *out)
{
    return lookup(id, &id->by_canon, canonical_id, a, out);
}

bool pail_identity_account_by_email(struct pail_identity *id, const char *email,
                                    struct pail_arena *a, struct pail_account *out)
{
    return lookup(id, &id->by_email, email, a, out);
}

/* ===== principals ===== */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* For "arn:aws:PART::ACCT:rest": the account and a pointer to rest. */
static const struct acct *arn_account(struct pail_identity *id, const char *arn, const char *svc,
                                      const char **rest)
{
    char prefix[32];
    int pl = snprintf(prefix, sizeof prefix, "arn:aws:%s::", svc);
    if (strncmp(arn, prefix, (size_t)pl) != 0)
        return NULL;
    const char *acct = arn + pl;
    if (strlen(acct) < 13 || acct[12] != ':' || !all_digits(acct, 12))
        return NULL;
    char aid[13];
    memcpy(aid, acct, 12);
    aid[12] = '\0';
    *rest = acct + 13;
    return idmap_get(&id->accts, aid);
}

static bool principal_exists_locked(struct pail_identity *id, const char *s, bool is_canonical)
{
    if (is_canonical)
        return idmap_get(&id->by_canon, s) != NULL;
    if (strlen(s) == 12 && all_digits(s, 12))
        return idmap_get(&id->accts, s) != NULL;
    const char *rest;
    const struct acct *a = arn_account(id, s, "iam", &rest);
    if (a) {
        if (strcmp(rest, "root") == 0)
            return true;
        bool user = strncmp(rest, "user/", 5) == 0, role = strncmp(rest, "role/", 5) == 0;
        if (!user && !role)
            return false;
        const char *name = strrchr(rest, '/') + 1;
        if (user) {
            const struct user *u = idmap_get(&a->users, name);
            return u && strcmp(u->d.arn, s) == 0;
        }
        const struct role *r = idmap_get(&a->roles, name);
        return r && strcmp(r->d.arn, s) == 0;
    }
    a = arn_account(id, s, "sts", &rest);
    if (!a || strncmp(rest, "assumed-role/", 13) != 0)
        return false;
    const char *rn = rest + 13, *slash = strchr(rn, '/');
    if (!slash || slash == rn || !slash[1])
        return false;
    char role[65];
    size_t rl = (size_t)(slash - rn);
    if (rl >= sizeof role)
        return false;
    memcpy(role, rn, rl);
    role[rl] = '\0';
    return idmap_get(&a->roles, role) != NULL;
}

bool pail_identity_principal_exists(struct pail_identity *id, const char *arn_or_account,
                                    bool is_canonical)
{
    if (!arn_or_account || !*arn_or_account)
        return false;
    pthread_rwlock_rdlock(&id->rw);
    bool ok = principal_exists_locked(id, arn_or_account, is_canonical);
    pthread_rwlock_unlock(&id->rw);
    return ok;
}

bool pail_identity_principal_exists_cb(void *identity, const char *value, bool is_canonical)
{
    return pail_identity_principal_exists(identity, value, is_canonical);
}

/* ===== managed policy lookups for the API (hold wmu or the read lock) ===== */

struct mpol *id_mpol_by_arn(struct pail_identity *id, const struct acct *a, const char *arn)
{
    struct mpol *p = arn ? idmap_get(&id->pols_by_arn, arn) : NULL;
    return p && (!p->acct || p->acct == a) ? p : NULL;
}

void id_mpol_usage(const struct acct *a, const struct mpol *p, size_t *attach, size_t *boundary)
{
    size_t at = 0, bd = 0;
    struct idmap_it it = {0};
    while (idmap_next(&a->users, &it)) {
        const struct user *u = it.e->val;
        at += att_has(u->d.att, u->d.natt, p);
        bd += u->d.boundary == p;
    }
    it = (struct idmap_it){0};
    while (idmap_next(&a->groups, &it)) {
        const struct group *g = it.e->val;
        at += att_has(g->d.att, g->d.natt, p);
    }
    it = (struct idmap_it){0};
    while (idmap_next(&a->roles, &it)) {
        const struct role *r = it.e->val;
        at += att_has(r->d.att, r->d.natt, p);
        bd += r->d.boundary == p;
    }
    if (attach)
        *attach = at;
    if (boundary)
        *boundary = bd;
}
