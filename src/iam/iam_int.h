/* iam/iam_int.h — what the IAM and STS action files share: the per-call
 * context, parameter readers with AWS's validation wording, paging, the
 * authorization check, response writing helpers, and the action table's
 * handler prototypes. Only iam_*.c and sts.c include it. */
#ifndef PAIL_IAM_IAM_INT_H
#define PAIL_IAM_IAM_INT_H

#include "core/buf.h"
#include "iam/iam_api.h"
#include "iam/identity_int.h"
#include "util/xml_out.h"

#include <stdbool.h>
#include <stddef.h>

struct iam_ctx {
    struct pail_identity *id;
    const struct pail_iam_call *call;
    struct pail_arena *a;
    struct pail_buf *out;
    size_t out_start;
    struct pail_xml x;
    const char *action; /* "CreateUser" */
    bool sts;
    int64_t now;
    /* the caller */
    const void *cred;   /* struct key or struct session */
    struct acct *acct;
    bool is_root;       /* the account root (its key or its session) */
    struct pail_principal me;
    /* validation errors, collected AWS-style */
    char **verr;
    size_t nverr, cap_verr;
    /* the answer */
    bool begun, result;
    enum pail_err err;
    const char *msg;
    const char *deny_reason;
};

/* ---- parameters (iam_api.c) ---- */

enum iam_pat {
    PAT_NONE,
    PAT_NAME,        /* [\w+=,.@-]+ */
    PAT_PATH,        /* (\u002F)|(\u002F[\u0021-\u007E]+\u002F) */
    PAT_PATH_PREFIX, /* \u002F[\u0021-\u007F]* */
    PAT_POLICY_PATH, /* ((/[A-Za-z0-9\.,\+@=_-]+)*)/ */
    PAT_DOC,         /* [\u0009\u000A\u000D\u0020-\u00FF]+ */
    PAT_MARKER,      /* [\u0020-\u00FF]+ */
    PAT_ID,          /* [\w]+ */
    PAT_ROLE_DESC,   /* [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]* */
    PAT_SESSION,     /* [\w+=,.@-]* */
    PAT_VERSION,     /* v[1-9][0-9]*(\.[A-Za-z0-9-]*)? */
    PAT_TAG_KEY,     /* [\p{L}\p{Z}\p{N}_.:/=+\-@]+ */
    PAT_TAG_VALUE,   /* [\p{L}\p{Z}\p{N}_.:/=+\-@]* */
    PAT_EXTERNAL_ID, /* [\w+=,.@:\/-]* */
};

/* The raw value of a parameter, or NULL. */
const char *iam_param(const struct iam_ctx *c, const char *name);
/* A validated string: NULL when absent (and, if required, a "must not be
 * null" error recorded) or invalid (error recorded). min/max in characters. */
const char *iam_str(struct iam_ctx *c, const char *name, bool required, size_t min, size_t max,
                    enum iam_pat pat);
/* An integer in [min, max]; *out = dflt when absent. false on error. */
bool iam_int(struct iam_ctx *c, const char *name, long min, long max, long dflt, long *out);
/* A boolean ("true"/"false"); dflt when absent. */
bool iam_bool(struct iam_ctx *c, const char *name, bool dflt);
/* One of vals (NULL-terminated); NULL when absent or invalid. */
const char *iam_enum(struct iam_ctx *c, const char *name, bool required,
                     const char *const *vals);
/* The values of name.member.1, name.member.2, ... (up to the first gap), or
 * of name.member.N.<field> when field is not NULL. Arena array. */
const char **iam_list(struct iam_ctx *c, const char *name, const char *field, size_t *n);
/* Records a validation error for member (lowerCamel) about value (NULL: null). */
void iam_verr(struct iam_ctx *c, const char *member, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* True when validation errors were recorded: the action answers ValidationError. */
bool iam_invalid(struct iam_ctx *c);
/* Tags.member.N.Key/Value: validated (50 at most, unique keys, no "aws:"). */
bool iam_tags(struct iam_ctx *c, struct tags *out);

/* ---- paging ---- */

struct iam_page {
    const char *marker; /* first key to return (the previous answer's Marker) */
    long max;           /* MaxItems, default 100 */
};

struct iam_item {
    const char *key; /* sort key, also the Marker */
    const void *p;
};

bool iam_paging(struct iam_ctx *c, struct iam_page *pg);
/* Sorts v by key (case-insensitively, then exactly) and picks the page:
 * items [*first, *first + return) of v; writes nothing. */
size_t iam_page_pick(struct iam_item *v, size_t n, const struct iam_page *pg, size_t *first,
                     bool *truncated, const char **next);
/* <IsTruncated> and, when truncated, <Marker>. */
void iam_page_end(struct iam_ctx *c, bool truncated, const char *next);

/* ---- answering ---- */

/* Opens <ActionResponse><ActionResult>; the action's result elements follow. */
void iam_result(struct iam_ctx *c);
/* Sets the error answer; returns err. Message printf-style (NULL: default). */
enum pail_err iam_fail(struct iam_ctx *c, enum pail_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Checks that the caller may perform iam:Action (or sts:...) on resource;
 * PAIL_OK, or AccessDenied answered with AWS's message. */
enum pail_err iam_authz(struct iam_ctx *c, const char *action, const char *resource);
/* The same, for this call's own action name. */
enum pail_err iam_authz_self(struct iam_ctx *c, const char *resource);
/* Writes a commit error (ServiceFailure for the client) and returns it. */
enum pail_err iam_store_fail(struct iam_ctx *c, enum pail_err e);

/* ARN helpers: "arn:aws:iam::ACCT:<kind><path><name>" in the arena. */
const char *iam_arn(struct iam_ctx *c, const char *kind, const char *path, const char *name);
/* URL-encodes a policy document as IAM returns it (RFC 3986 unreserved kept). */
const char *iam_urlencode(struct iam_ctx *c, const char *doc);
/* Writes <name>ISO date</name>. */
void iam_date(struct iam_ctx *c, const char *name, int64_t ms);
/* Validates and compiles an identity policy document: MalformedPolicyDocument
 * answered with the engine's message. *nows gets its size without whitespace. */
struct pdoc *iam_compile(struct iam_ctx *c, const char *doc, enum pail_policy_kind kind,
                         size_t *nows);

/* ---- shared shapes and lookups ---- */

void iam_user_xml(struct iam_ctx *c, const char *elem, const struct user *u, bool full);
void iam_group_xml(struct iam_ctx *c, const char *elem, const struct group *g);
void iam_role_xml(struct iam_ctx *c, const char *elem, const struct role *r, bool full);
void iam_policy_xml(struct iam_ctx *c, const char *elem, const struct mpol *p, bool full);
void iam_tags_xml(struct iam_ctx *c, const struct tags *t);
/* The caller's account's user/group/role by name, or NULL. */
struct user *iam_user(struct iam_ctx *c, const char *name);
struct group *iam_group(struct iam_ctx *c, const char *name);
struct role *iam_role(struct iam_ctx *c, const char *name);
/* Answers NoSuchEntity "The user with name X cannot be found." etc. */
enum pail_err iam_no_user(struct iam_ctx *c, const char *name);
enum pail_err iam_no_group(struct iam_ctx *c, const char *name);
enum pail_err iam_no_role(struct iam_ctx *c, const char *name);
/* A managed policy by ARN visible to the caller's account, or NULL. */
struct mpol *iam_mpol(struct iam_ctx *c, const char *arn);
/* The caller's own user (an IAM user or its session), or NULL. */
struct user *iam_caller_user(struct iam_ctx *c);

/* ---- actions ---- */

typedef enum pail_err (*iam_fn)(struct iam_ctx *c);

#define IAM_ACTIONS(X)                                                                        \
    X(CreateUser) X(GetUser) X(UpdateUser) X(DeleteUser) X(ListUsers)                           \
    X(CreateAccessKey) X(UpdateAccessKey) X(DeleteAccessKey) X(ListAccessKeys)                  \
    X(GetAccessKeyLastUsed)                                                                     \
    X(CreateGroup) X(GetGroup) X(UpdateGroup) X(DeleteGroup) X(ListGroups) X(AddUserToGroup)    \
    X(RemoveUserFromGroup) X(ListGroupsForUser)                                                 \
    X(CreateRole) X(GetRole) X(UpdateRole) X(UpdateAssumeRolePolicy) X(DeleteRole) X(ListRoles) \
    X(PutUserPolicy) X(GetUserPolicy) X(DeleteUserPolicy) X(ListUserPolicies)                   \
    X(PutGroupPolicy) X(GetGroupPolicy) X(DeleteGroupPolicy) X(ListGroupPolicies)               \
    X(PutRolePolicy) X(GetRolePolicy) X(DeleteRolePolicy) X(ListRolePolicies)                   \
    X(CreatePolicy) X(GetPolicy) X(ListPolicies) X(DeletePolicy) X(CreatePolicyVersion)         \
    X(GetPolicyVersion) X(ListPolicyVersions) X(DeletePolicyVersion) X(SetDefaultPolicyVersion) \
    X(AttachUserPolicy) X(DetachUserPolicy) X(ListAttachedUserPolicies)                         \
    X(AttachGroupPolicy) X(DetachGroupPolicy) X(ListAttachedGroupPolicies)                      \
    X(AttachRolePolicy) X(DetachRolePolicy) X(ListAttachedRolePolicies)                         \
    X(ListEntitiesForPolicy)                                                                    \
    X(PutUserPermissionsBoundary) X(DeleteUserPermissionsBoundary)                              \
    X(PutRolePermissionsBoundary) X(DeleteRolePermissionsBoundary)                              \
    X(GetAccountSummary) X(SimulatePrincipalPolicy) X(SimulateCustomPolicy)                     \
    X(ListOpenIDConnectProviders)

#define STS_ACTIONS(X) X(GetCallerIdentity) X(GetSessionToken) X(AssumeRole)

#define IAM_DECLARE(name) enum pail_err iam_##name(struct iam_ctx *c);
IAM_ACTIONS(IAM_DECLARE)
STS_ACTIONS(IAM_DECLARE)
#undef IAM_DECLARE

#endif
