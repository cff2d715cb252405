/* iam/iam_api.h — the IAM query API (Version 2010-05-08) and STS (Version
 * 2011-06-15) over the identity layer: one entry point that runs an action
 * named by the request's parameters and always produces AWS's XML answer.
 *
 * Owns: parameter validation (AWS's constraints and ValidationError
 * wording), authorization of every action (the account root may do anything
 * in its account; a user or role session needs an Allow from its identity
 * policies, boundary and session policy, and no explicit Deny), the actions
 * themselves, and the response and error documents. The HTTP side
 * (SigV4 with service "iam"/"sts", form or query decoding) is the caller's.
 * Every call acts inside the caller's account. */
#ifndef PAIL_IAM_API_H
#define PAIL_IAM_API_H

#include "core/err.h"
#include "iam/policy.h"

#include <stddef.h>
#include <stdint.h>

struct pail_arena;
struct pail_buf;
struct pail_identity;

#define PAIL_IAM_NS "https://iam.amazonaws.com/doc/2010-05-08/"
#define PAIL_STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

struct pail_iam_param {
    const char *name, *value; /* decoded */
};

/* ---- simulating resources other services own ----
 * SimulatePrincipalPolicy and SimulateCustomPolicy decide the identity side
 * themselves; for a resource whose own permissions live elsewhere (an S3
 * bucket or object of this pail: its bucket policy, ACLs, ownership, Block
 * Public Access) they ask that service, through a hook the caller passes in
 * the call, for the whole decision given the identity side. The IAM layer
 * knows nothing of those systems; the hook knows nothing of IAM documents. */

/* What the simulation asks about one (action, resource) pair. */
struct pail_sim_ask {
    const struct pail_principal *principal; /* the simulated caller (a user or role session) */
    const char *action, *resource;          /* "s3:GetObject", "arn:aws:s3:::b/k" */
    const struct pail_cond_entry *ctx;      /* ContextEntries, and nothing else */
    size_t nctx;
    enum pail_effect identity;              /* the identity side as simulated: ALLOW (every
                                               layer allows), DENY (an explicit deny), NONE */
    const char *asker_account;              /* the account running the simulation */
};

struct pail_sim_detail {
    const char *key, *value; /* EvalDecisionDetails: "Resource Policy" -> "allowed" */
};

#define PAIL_SIM_MAX_DETAILS 6

/* The whole decision, and what of the resource side to show. Strings must
 * live as long as the call's arena. */
struct pail_sim_answer {
    const char *decision;     /* "allowed", "explicitDeny" or "implicitDeny" */
    const char *policy_id;    /* SourcePolicyId of the resource policy's statements
                                 (SourcePolicyType "resource"); NULL: none shown */
    const char *policy_doc;   /* its text: StartPosition/EndPosition are counted in it */
    size_t stmt[PAIL_EVAL_MAX_MATCHED]; /* its statements that decided */
    size_t nstmt;
    const char *missing[PAIL_EVAL_MAX_MISSING]; /* context keys it needed but was not given */
    size_t nmissing;
    struct pail_sim_detail detail[PAIL_SIM_MAX_DETAILS]; /* each layer that mattered */
    size_t ndetail;
};

/* Decides ask into *out (zeroed by the caller), arena memory in a; false
 * when the resource is not the hook's (the identity side then decides
 * alone). Called with the identity layer's writer lock held: it may read
 * identities (pail_identity_account_get, ...) but must not change them. */
typedef bool (*pail_sim_resource_fn)(void *ctx, const struct pail_sim_ask *ask,
                                     struct pail_arena *a, struct pail_sim_answer *out);

struct pail_sim_hook {
    pail_sim_resource_fn decide;
    void *ctx;
};

struct pail_iam_call {
    const char *service;                 /* "iam" or "sts" */
    const struct pail_iam_param *params; /* Action=CreateUser&UserName=..&Version=.. */
    size_t nparams;
    const char *access_key;              /* the caller's key (authenticated by SigV4) */
    const struct pail_principal *caller; /* from pail_identity_authenticate; NULL: derived */
    const struct pail_cond_entry *ctx;   /* request condition context (aws:SourceIp, ...) */
    size_t nctx;
    const char *request_id;
    int64_t now_ms;                      /* 0: the current time */
    const struct pail_sim_hook *sim;     /* resources simulated elsewhere; NULL: none */
};

/* Runs the action and writes its answer into out (appended; on error the
 * partial answer is replaced by the error document):
 *   success: <XxxResponse xmlns=NS><XxxResult>...</XxxResult>
 *            <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></XxxResponse>
 *            (no XxxResult for actions without output), status 200;
 *   error:   <ErrorResponse xmlns=NS><Error><Type>Sender|Receiver</Type><Code>..</Code>
 *            <Message>..</Message></Error><RequestId>id</RequestId></ErrorResponse>,
 *            status AWS's.
 * Returns the error answered (PAIL_OK on success) for the access log;
 * *deny_reason gets a short tag for a refusal ("identity:implicit",
 * "identity:explicit", "boundary:...", "session:...", "trust", "token") or
 * NULL. Missing Action: MissingAction; unknown: InvalidAction; Version is
 * not checked (SDKs always send the right one). A key the identity does not
 * know: InvalidClientTokenId; IAM with GetSessionToken credentials too (as
 * AWS: such sessions cannot call IAM). */
enum pail_err pail_iam_handle(struct pail_identity *id, const struct pail_iam_call *call,
                              struct pail_arena *a, struct pail_buf *out, int *status,
                              const char **deny_reason);

/* The <ErrorResponse> document of service ("iam"/"sts") for err with message
 * (NULL: err's default message), for errors found before an action runs
 * (signature, token); appended to out. Returns the HTTP status. */
int pail_iam_error_doc(const char *service, enum pail_err err, const char *message,
                       const char *request_id, struct pail_buf *out);

#endif
