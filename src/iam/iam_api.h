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
