/* iam/identity_int.h — the identity model's internals, shared by identity*.c,
 * managed_policies.c, iam_*.c and sts.c; nothing else includes it.
 *
 * Every entity is a struct with a "doc" part — exactly what its identity
 * record holds — and relationship fields derived at load. A change never
 * edits a live entity: it clones the doc part, edits the clone, writes the
 * clone's record (struct txn), and only when the store has made it durable
 * swaps the clone's doc into the live entity under the write lock. Loading
 * and changing therefore share one parser and one serialiser per kind.
 *
 * Locking: `wmu` serialises every change (and every IAM/STS API call, which
 * are rare); a holder of wmu may read the model without the rwlock, since
 * only wmu holders change it. The rwlock's write side is taken only to apply
 * a committed change; the request path (authenticate, eval, lookups) takes
 * its read side. Policy documents are shared, reference-counted (struct
 * pdoc); counts change only under wmu. */
#ifndef PAIL_IAM_IDENTITY_INT_H
#define PAIL_IAM_IDENTITY_INT_H

#include "iam/identity.h"
#include "iam/idmap.h"
#include "iam/policy.h"
#include "store/meta.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_arena;

/* AWS's default quotas, which pail enforces. */
#define ID_KEYS_PER_USER 2
#define ID_ROOT_KEYS 2
#define ID_VERSIONS_PER_POLICY 5
#define ID_ATTACHED_PER_ENTITY 10
#define ID_GROUPS_PER_USER 10
#define ID_TAGS_MAX 50
#define ID_MANAGED_POLICY_SIZE 6144
#define ID_USER_INLINE_SIZE 2048
#define ID_GROUP_INLINE_SIZE 5120
#define ID_ROLE_INLINE_SIZE 10240
#define ID_TRUST_POLICY_SIZE 2048
#define ID_SESSION_POLICY_SIZE 2048
#define ID_AWS_MANAGED_MAX 8

/* Record kinds (struct pail_iam_rec.kind); each record is named by the
 * entity's immutable id, so renames rewrite one record. */
#define REC_ACCOUNT "account"
#define REC_USER "user"
#define REC_GROUP "group"
#define REC_ROLE "role"
#define REC_POLICY "policy"
#define REC_KEY "key"
#define REC_KEYUSE "keyuse" /* an access key's last use, written lazily */
#define REC_SESSION "session"

/* A policy document and its compiled form, shared between an entity and its
 * clones. */
struct pdoc {
    int refs;
    char *doc;
    struct pail_policy *p; /* NULL only if a stored document no longer compiles */
};

struct inline_pol {
    char *name;
    struct pdoc *d;
};

struct tag {
    char *key, *value;
};

struct tags {
    struct tag *v;
    size_t n;
};

struct acct;
struct group;
struct mpol;

/* ---- accounts ---- */

struct acct_doc {
    char *name, *email;
    int64_t created;
    uint64_t seq; /* creation order */
};

struct key;

struct acct {
    char id[13];
    char canonical[65];
    struct acct_doc d;
    /* relationships */
    struct idmap users, groups, roles, policies; /* case-insensitive name -> entity */
    struct key *root_keys[ID_ROOT_KEYS];
    size_t nroot;
};

/* ---- users ---- */

struct user_doc {
    char *name, *path, *arn;
    int64_t created;
    struct tags tags;
    struct mpol *boundary;
    struct inline_pol *inl;
    size_t ninl;
    struct mpol **att;
    size_t natt;
    struct group **groups;
    size_t ngroups;
};

struct user {
    char id[24]; /* AIDA... */
    struct acct *acct;
    struct user_doc d;
    struct key *keys[ID_KEYS_PER_USER];
    size_t nkeys;
};

/* ---- groups ---- */

struct group_doc {
    char *name, *path, *arn;
    int64_t created;
    struct inline_pol *inl;
    size_t ninl;
    struct mpol **att;
    size_t natt;
};

struct group {
    char id[24]; /* AGPA... */
    struct acct *acct;
    struct group_doc d;
};

/* ---- roles ---- */

struct role_doc {
    char *name, *path, *arn, *description;
    int64_t created;
    struct pdoc *trust;
    int max_session;
    struct mpol *boundary;
    struct inline_pol *inl;
    size_t ninl;
    struct mpol **att;
    size_t natt;
    struct tags tags;
    int64_t last_used;
    char *last_region;
};

struct role {
    char id[24]; /* AROA... */
    struct acct *acct;
    struct role_doc d;
};

/* ---- managed policies ---- */

struct mpol_ver {
    char id[16]; /* v1, v2, ... */
    struct pdoc *d;
    int64_t created;
};

struct mpol_doc {
    char *name, *path, *arn, *description;
    int64_t created, updated;
    struct mpol_ver v[ID_VERSIONS_PER_POLICY];
    size_t nv, def; /* def indexes v */
    unsigned next_ver;
    struct tags tags;
};

struct mpol {
    char id[24];       /* ANPA... */
    struct acct *acct; /* NULL: an AWS managed policy (static, never changed) */
    struct mpol_doc d;
};

/* ---- credentials: access keys and sessions, one table by key id ---- */

enum cred_kind { CRED_KEY, CRED_SESSION };

struct key_doc {
    char secret[48];
    bool active;
    int64_t created;
};

struct key {
    enum cred_kind kind; /* CRED_KEY; first member of both credential kinds */
    char id[24];         /* AKIA... */
    struct acct *acct;
    struct user *user;   /* NULL: a root key of acct */
    struct key_doc d;
    /* last use, written by authenticate under the read lock: atomics. The
     * service and region are indices into the identity's intern table. */
    _Atomic int64_t lu_ms;
    _Atomic int lu_svc, lu_region;
    atomic_bool lu_dirty;
};

enum sess_kind { SESS_ROOT, SESS_USER, SESS_ROLE };

struct session {
    enum cred_kind kind; /* CRED_SESSION */
    char id[24];         /* ASIA... */
    struct acct *acct;
    enum sess_kind sk;
    struct user *user;   /* SESS_USER */
    struct role *role;   /* SESS_ROLE */
    char secret[48];
    char token_sha256[65]; /* hex of the token's SHA-256; the token itself is never kept */
    char *name;          /* role session name (SESS_ROLE) */
    int64_t created, expires;
    /* session policy: the inline Policy, then each PolicyArns document */
    struct pdoc **sp;
    char **sp_ids;       /* "session-policy" or the managed policy's ARN */
    size_t nsp;
    bool chained;        /* assumed with role-session credentials */
};

/* ---- the identity ---- */

#define ID_INTERN_MAX 64

struct pail_identity {
    struct pail_meta *m;
    pthread_mutex_t wmu;
    pthread_rwlock_t rw;
    struct idmap accts, by_canon, by_email, by_name;
    struct idmap users_by_id, groups_by_id, roles_by_id, pols_by_id, pols_by_arn;
    struct idmap creds; /* key id -> struct key / struct session */
    uint64_t next_seq;
    struct mpol *aws[ID_AWS_MANAGED_MAX];
    size_t naws;
    /* interned service and region names for "last used" (index 0 is "") */
    pthread_mutex_t intern_mu;
    const char *intern[ID_INTERN_MAX];
    _Atomic size_t nintern;
    /* the lazy "last used" writer */
    pthread_t flusher;
    pthread_cond_t flush_cv;
    pthread_mutex_t flush_mu;
    bool flusher_started, stopping;
};

/* ---- small helpers (identity_model.c) ---- */

void *id_xcalloc(size_t n, size_t sz);
char *id_xstrdup(const char *s);
/* n random bytes from the kernel; aborts if it has none. */
void id_random(void *p, size_t n);
/* prefix + n characters of [A-Z2-7] (AWS's id alphabet). */
void id_random_base32(char *out, const char *prefix, size_t n);
/* A fresh unique id with prefix (AIDA, AGPA, AROA, ANPA, AKIA, ASIA): 21
 * characters for entity ids, 20 for key ids (not in any table of id). */
void id_new_entity_id(struct pail_identity *id, char out[24], const char *prefix);
void id_new_key_id(struct pail_identity *id, char out[24], const char *prefix);
/* 40 characters of [A-Za-z0-9+/]. */
void id_new_secret(char out[48]);
/* ISO 8601 without fraction ("2024-01-02T03:04:05Z"), as IAM writes dates. */
void id_iso(int64_t ms, char out[32]);

struct pdoc *pdoc_new(const char *doc, struct pail_policy *p);
struct pdoc *pdoc_ref(struct pdoc *d);
void pdoc_unref(struct pdoc *d);

/* ---- entity docs: parse, serialise, clone, free ---- */

/* arn of an IAM entity: arn:aws:iam::ACCT:KIND/PATH-WITHOUT-LEADING-SLASH NAME */
char *id_entity_arn(const char *acct, const char *kind, const char *path, const char *name);
/* Renames and/or moves an entity doc (UpdateUser, UpdateGroup): the new name
 * and path where given (NULL keeps the old), and the arn rebuilt from them. */
void id_entity_rename(char **name, char **path, char **arn, const char *acct, const char *kind,
                      const char *new_name, const char *new_path);

void user_doc_free(struct user_doc *d);
void user_doc_clone(struct user_doc *dst, const struct user_doc *src);
void group_doc_free(struct group_doc *d);
void group_doc_clone(struct group_doc *dst, const struct group_doc *src);
void role_doc_free(struct role_doc *d);
void role_doc_clone(struct role_doc *dst, const struct role_doc *src);
void mpol_doc_free(struct mpol_doc *d);
void mpol_doc_clone(struct mpol_doc *dst, const struct mpol_doc *src);
void tags_free(struct tags *t);
void tags_clone(struct tags *dst, const struct tags *src);
void session_free(struct session *s);

/* Inline policy list edits on a doc being prepared. */
void inl_put(struct inline_pol **v, size_t *n, const char *name, struct pdoc *d);
bool inl_del(struct inline_pol **v, size_t *n, const char *name);
struct inline_pol *inl_get(struct inline_pol *v, size_t n, const char *name);
/* Attached managed policies. */
bool att_has(struct mpol *const *v, size_t n, const struct mpol *p);
void att_add(struct mpol ***v, size_t *n, struct mpol *p);
bool att_del(struct mpol ***v, size_t *n, const struct mpol *p);

/* Record documents (malloc'd JSON text). */
char *acct_to_json(const struct acct *a);
char *user_to_json(const struct user *u);
char *group_to_json(const struct group *g);
char *role_to_json(const struct role *r);
char *mpol_to_json(const struct mpol *p);
char *key_to_json(const struct key *k);
char *keyuse_to_json(const struct pail_identity *id, const struct key *k);
char *session_to_json(const struct session *s);

/* Prepared copies of live entities for a replacing change: same ids, a deep
 * copy of the doc part (policy documents shared by reference). */
struct acct *acct_tmp(const struct acct *live);
struct user *user_tmp(const struct user *live);
struct group *group_tmp(const struct group *live);
struct role *role_tmp(const struct role *live);
struct mpol *mpol_tmp(const struct mpol *live);
struct key *key_tmp(const struct key *live);

/* Compiles an identity policy document kept in the store (load path). */
struct pdoc *id_load_pdoc(const char *doc, enum pail_policy_kind kind, const char *what);

/* ---- transactions: one pail_meta_iam_write, then the memory change ---- */

enum ent_kind { EK_ACCT, EK_USER, EK_GROUP, EK_ROLE, EK_POLICY, EK_KEY, EK_SESSION };

/* One staged entity change: live NULL = insert `tmp` (a complete new entity);
 * tmp NULL = delete `live`; both = replace live's doc with tmp's doc (tmp is
 * an entity struct whose doc part is the new doc, other fields ignored). */
struct staged {
    enum ent_kind k;
    void *live, *tmp;
};

struct txn {
    struct pail_identity *id;
    struct pail_iam_rec *recs;
    char **docs; /* malloc'd record texts, freed by txn_end */
    size_t n, cap;
    struct staged *st;
    size_t nst, stcap;
};

void txn_begin(struct txn *t, struct pail_identity *id);
/* Stages a change (see struct staged) and its record. Changes apply in the
 * order staged (stage an account's contents before the account). */
void txn_stage(struct txn *t, enum ent_kind k, void *live, void *tmp);
/* A record with no entity behind it (REC_KEYUSE); doc NULL deletes. */
void txn_raw(struct txn *t, const char *kind, const char *name, const char *doc);
/* Writes every record in one transaction; on PAIL_OK applies every staged
 * change to memory under the write lock. Either way frees what is no longer
 * referenced (the replaced docs, deleted entities, or on failure the
 * prepared ones). Returns the store's error. */
enum pail_err txn_commit(struct txn *t);
/* Frees a transaction that is not committed (every tmp included). */
void txn_abort(struct txn *t);

/* Stages the deletion of every session of a user or role (they die with it). */
void txn_drop_sessions(struct txn *t, const struct user *u, const struct role *r);

/* ---- load (identity_model.c) ---- */

/* Frees every entity and table of the model (close). */
void id_model_free(struct pail_identity *id);
/* Which pass of the load a record kind belongs to (what others refer to
 * first), or -1 for an unknown kind. */
int id_load_pass(const char *kind);
#define ID_LOAD_PASSES 6
/* Applies one record at open; false (record skipped) when it does not parse. */
bool id_load_record(struct pail_identity *id, const struct pail_iam_rec *r);

/* ---- lookups for the API (hold wmu or the read lock) ---- */

struct acct *id_acct_by_key(struct pail_identity *id, const char *access_key);
struct acct *id_first_acct(struct pail_identity *id);
/* A managed policy by ARN visible to acct: its own or an AWS one. */
struct mpol *id_mpol_by_arn(struct pail_identity *id, const struct acct *a, const char *arn);
/* Counts of attachments (permission policies) and boundary uses of p within acct
 * (for AWS managed policies: within acct only, as AWS reports per account). */
void id_mpol_usage(const struct acct *a, const struct mpol *p, size_t *attach, size_t *boundary);
/* Sessions of a user or role. */
const char *id_intern_get(const struct pail_identity *id, int idx);
int id_intern(struct pail_identity *id, const char *s);

/* ---- managed_policies.c ---- */

/* Creates the AWS managed policies (IAMFullAccess, ...) into id->aws and the
 * policy tables. */
void id_aws_managed_init(struct pail_identity *id);

/* ---- evaluation (identity_auth.c) ---- */

/* pail_identity_eval without locking, for a credential already looked up
 * (the API evaluates under wmu). cred: a struct key or struct session. */
void id_eval_cred(const void *cred, const struct pail_eval_req *req, struct pail_arena *a,
                  struct pail_identity_decision *out);
/* Evaluates one policy set (e.g. simulation input) into out's layer. */
void id_eval_one(const struct pdoc *d, enum pail_policy_source src, const char *pid,
                 const char *owner, const struct pail_eval_req *req, struct pail_arena *a,
                 struct pail_identity_decision *out, enum pail_effect *layer, bool boundary_layer,
                 bool session_layer);
/* Fills a principal for a credential (strings in a). */
void id_principal_of(const void *cred, struct pail_arena *a, struct pail_principal *out);

#endif
