/* iam/identity.h — the identity layer: accounts, IAM users, groups, roles,
 * managed and inline policies, access keys and STS sessions, kept whole in
 * memory and persisted as identity records through store/meta.h.
 *
 * Owns: the in-memory model (hash tables, one rwlock; no key lookup ever
 * scans), its persistence (every change is one pail_meta_iam_write
 * transaction, durable before memory changes, so the very next request sees
 * it), authentication (access key -> secret + principal) and the identity
 * side of authorization (identity policies, permissions boundaries, session
 * policies). Cross-account rules, resource policies and ACLs are not here:
 * S3's authorizer combines this decision with them.
 *
 * Threads: every function is thread-safe. Lookups, pail_identity_authenticate
 * and pail_identity_eval take the read lock only and never write to the
 * store; changes are serialised among themselves.
 *
 * Strings handed out live in the caller's arena. Secrets are copied out only
 * by pail_identity_authenticate (into the caller's buffer) and by the calls
 * that create them; nothing here logs one. */
#ifndef PAIL_IAM_IDENTITY_H
#define PAIL_IAM_IDENTITY_H

#include "core/err.h"
#include "iam/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_arena;
struct pail_meta;
struct pail_identity;

/* The canonical user id pail reported for its single owner before accounts
 * existed; the bootstrapped first account keeps it, so old ACLs and listings
 * still name the same owner. */
#define PAIL_IDENTITY_LEGACY_CANONICAL \
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"

/* ---- open and close ---- */

/* Loads every identity record from m (policies are compiled at load; expired
 * STS sessions are dropped, and deleted from the store). InternalError when
 * the store cannot be read; a record that does not parse is skipped with a
 * warning (it names the record, never its secret). *out is freed by
 * pail_identity_close, which first persists pending "last used" data. m must
 * outlive the identity. */
enum pail_err pail_identity_open(struct pail_meta *m, struct pail_identity **out);
void pail_identity_close(struct pail_identity *id);
/* Persists pending access key "last used" data now (otherwise done at most
 * once a minute by a thread of the identity's own, and at close). */
enum pail_err pail_identity_flush(struct pail_identity *id);

/* ---- accounts ---- */

/* The first account, from the server's root credential: when no account
 * exists, creates it (name "root", the legacy canonical id, a random 12-digit
 * id) with root key access_key/secret; when it exists and its root key is not
 * access_key, replaces that root key (the operator rotated the credential).
 * InvalidArgument for an empty key or secret; EntityAlreadyExists when
 * access_key already belongs to someone else. */
enum pail_err pail_identity_bootstrap(struct pail_identity *id, const char *access_key,
                                      const char *secret);

struct pail_account {
    const char *id, *canonical_id, *name, *email;
    int64_t created_ms;
    const char *access_key; /* the account's (first) root access key id */
    const char *secret_key; /* only filled by pail_identity_account_create */
};

/* A new account with random ids and one root key ("AKIA" + 16 base32
 * characters; 40-character secret). name: 1..64 of [\w+=,.@-]; email: an
 * address (something@something), unique case-insensitively. InvalidArgument
 * for a bad name or email; EntityAlreadyExists for a taken name or email. */
enum pail_err pail_identity_account_create(struct pail_identity *id, const char *name,
                                           const char *email, struct pail_arena *a,
                                           struct pail_account *out);
/* Deletes the account named by id or name with every user, group, role,
 * policy, key and session it has, in one transaction. The caller checks for
 * buckets first. NoSuchEntity; InvalidInput for the first account. */
enum pail_err pail_identity_account_delete(struct pail_identity *id, const char *id_or_name);
/* Every account, in creation order. */
enum pail_err pail_identity_account_list(struct pail_identity *id, struct pail_arena *a,
                                         struct pail_account **out, size_t *n);
/* Lookups; false when unknown. By 12-digit id, by canonical id, by email
 * (case-insensitive). secret_key stays NULL. */
bool pail_identity_account_get(struct pail_identity *id, const char *account_id,
                               struct pail_arena *a, struct pail_account *out);
bool pail_identity_account_by_canonical(struct pail_identity *id, const char *canonical_id,
                                        struct pail_arena *a, struct pail_account *out);
bool pail_identity_account_by_email(struct pail_identity *id, const char *email,
                                    struct pail_arena *a, struct pail_account *out);

/* True when arn_or_account names an existing principal: "123456789012" or
 * "arn:aws:iam::123456789012:root" (an account), a user or role ARN, or an
 * assumed-role ARN ("arn:aws:sts::ACCT:assumed-role/ROLE/SESSION") of an
 * existing role. With is_canonical, a 64-hex canonical id of an account.
 * "*" is not a principal here (the policy engine handles it). Signature fits
 * pail_policy_opts.principal_exists with ctx = the identity. */
bool pail_identity_principal_exists(struct pail_identity *id, const char *arn_or_account,
                                    bool is_canonical);
bool pail_identity_principal_exists_cb(void *identity, const char *value, bool is_canonical);

/* ---- authentication ---- */

struct pail_credential {
    struct pail_principal principal; /* strings in the arena */
    bool temporary;                  /* an STS session key */
    int64_t expires_ms;              /* sessions only; 0 otherwise */
};

/* The credential behind access_key: copies its secret into secret (cap bytes,
 * NUL-terminated; InternalError when it does not fit) and fills out.
 * session_token: the x-amz-security-token the request carried, or NULL.
 *   InvalidAccessKeyId  unknown or deleted key, a key whose user is gone, and
 *                       an Inactive key (what S3 answers for one: the key
 *                       "does not exist in our records");
 *   InvalidToken        a temporary key without its token or with another
 *                       one, or a permanent key that came with a token;
 *   ExpiredToken        the session has expired.
 * service ("s3", "iam", "sts") and region are recorded in memory as the key's
 * last use (persisted lazily: at most once a minute per key, and at close);
 * never writes to the store. service NULL records nothing: then call
 * pail_identity_note_use once the signature has been verified, so that
 * failed attempts do not count as use (AWS counts only successful ones). */
enum pail_err pail_identity_authenticate(struct pail_identity *id, const char *access_key,
                                         const char *session_token, const char *service,
                                         const char *region, char *secret, size_t cap,
                                         struct pail_arena *a, struct pail_credential *out);
/* Records a verified use of a permanent access key (memory only, as above);
 * a no-op for session keys and unknown keys. */
void pail_identity_note_use(struct pail_identity *id, const char *access_key, const char *service,
                            const char *region);

/* ---- authorization: the identity side ---- */

/* Which kind of policy a matched statement came from (AWS's
 * SimulatePrincipalPolicy SourcePolicyType, plus the two layers). */
enum pail_policy_source {
    PAIL_SRC_USER,         /* inline policy of the user */
    PAIL_SRC_GROUP,        /* inline policy of a group of the user */
    PAIL_SRC_ROLE,         /* inline policy of the role */
    PAIL_SRC_AWS_MANAGED,  /* attached AWS managed policy */
    PAIL_SRC_USER_MANAGED, /* attached customer managed policy */
    PAIL_SRC_BOUNDARY,     /* the permissions boundary (a managed policy) */
    PAIL_SRC_SESSION,      /* the STS session policy (inline or PolicyArns) */
};

/* One policy that had matching statements. */
struct pail_identity_match {
    enum pail_policy_source source;
    const char *policy_id;     /* inline: policy name; managed: ARN; session: "session-policy" or ARN */
    const char *owner;         /* inline: user/group/role name; else NULL */
    enum pail_effect effect;   /* of this policy alone */
    size_t stmt[PAIL_EVAL_MAX_MATCHED]; /* indices of its matching statements */
    size_t nstmt;
};

struct pail_identity_decision {
    enum pail_effect identity, boundary, session;
    bool has_boundary, has_session;
    /* Set when some policy denied: "identity-based policy", "permissions
     * boundary" or "session policy", and the denying policy's name or ARN. */
    const char *deny_source, *deny_policy;
    const char *allow_policy; /* name or ARN of an identity policy that allowed */
    /* Every policy with matching statements (arena; simulation, logs). */
    struct pail_identity_match *matched;
    size_t nmatched;
    /* Condition keys policies needed but the request context lacked. */
    const char **missing;
    size_t nmissing;
    size_t cap_matched, cap_missing; /* internal: the arrays' capacities */
};

/* The identity side of authorizing req for the principal behind access_key
 * (the decision fills out; req->principal is what the policies see):
 *   - NULL access_key (anonymous): identity NONE, nothing else;
 *   - an account root key, or a session of the root: identity ALLOW (the root
 *     may do anything in its own account; whether the resource is in that
 *     account is the caller's check), no boundary or session layer;
 *   - an IAM user (or its GetSessionToken session): the user's inline and
 *     attached policies and those of every group it is in; its boundary;
 *   - an AssumeRole session: the role's inline and attached policies; the
 *     role's boundary; the session policy (Policy and PolicyArns together, as
 *     one set).
 * Each layer: DENY if any of its policies explicitly denies, ALLOW if any
 * allows, else NONE. The request is allowed when identity is ALLOW, no layer
 * is DENY, and each present layer is ALLOW (pail_identity_allowed).
 * InvalidAccessKeyId for an unknown key. No heap allocation beyond a. */
enum pail_err pail_identity_eval(struct pail_identity *id, const char *access_key,
                                 const struct pail_eval_req *req, struct pail_arena *a,
                                 struct pail_identity_decision *out);
/* The same for the principal an IAM ARN names (arn:aws:iam::ACCT:root,
 * :user/..., :role/... — a role as a session of it with no session policy),
 * whose principal goes to *who (arena strings): for explaining and simulating
 * a decision without a request. NoSuchEntity, InvalidInput. */
enum pail_err pail_identity_eval_arn(struct pail_identity *id, const char *arn,
                                     const struct pail_eval_req *req, struct pail_arena *a,
                                     struct pail_identity_decision *out,
                                     struct pail_principal *who);

/* True when d allows on the identity side (see pail_identity_eval). */
bool pail_identity_allowed(const struct pail_identity_decision *d);

#endif
