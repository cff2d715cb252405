/* iam/policy.h — the AWS policy language: compile a JSON policy document once,
 * evaluate it per request. Pure: no HTTP, no storage, no clock, no globals.
 * AWS IAM User Guide: "IAM JSON policy elements reference", "Policy evaluation
 * logic", "IAM policy elements: Variables and tags", "Condition operators".
 *
 * A compiled policy is immutable: share it across threads freely and free it
 * once, with pail_policy_free, when no evaluation can still be using it (the
 * caller owns that lifetime; wrap it in a reference count where it is shared).
 * pail_policy_eval never allocates on the heap and touches nothing but its
 * arguments and its own stack. */
#ifndef PAIL_IAM_POLICY_H
#define PAIL_IAM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

enum pail_policy_kind {
    PAIL_POLICY_IDENTITY, /* user/group/role inline or managed policy, session policy, permissions boundary:
                             Principal/NotPrincipal forbidden; Action/NotAction and Resource/NotResource required */
    PAIL_POLICY_RESOURCE, /* bucket policy: Principal or NotPrincipal required in every statement; Resource required */
    PAIL_POLICY_TRUST,    /* role trust policy: Principal required; Resource forbidden; actions sts:* */
};

struct pail_policy; /* opaque, immutable once compiled, shareable across threads */

/* Optional validation hooks for compile. */
struct pail_policy_opts {
    const char *bucket;  /* RESOURCE kind: every Resource must be this bucket's ARN or under it
                            ("arn:aws:s3:::b", "arn:aws:s3:::b/...", wildcards allowed) else "Policy has invalid resource" */
    /* Returns false when a principal named in the policy does not exist (AWS refuses such bucket policies
       with "Invalid principal in policy"). value is what the document says: "123456789012", an ARN, or a
       canonical user id (is_canonical). NULL hook: every well-formed principal is accepted. */
    bool (*principal_exists)(void *ctx, const char *value, bool is_canonical);
    void *ctx;
};

/* Parses and validates doc (len bytes, JSON). On success returns the compiled policy (free with
 * pail_policy_free). On failure returns NULL and writes into why (why_cap bytes, NUL-terminated)
 * a message naming the fault in AWS's words, e.g. for RESOURCE kind: "Policies must be valid JSON and
 * the first byte must be '{'", "This policy contains invalid Json", "Missing required field Principal",
 * "Policy has invalid resource", "Policy has invalid action", "Invalid principal in policy",
 * "Policy has an invalid condition key", "Invalid Condition type : StringEqualz", "Unknown field Foo";
 * for IDENTITY/TRUST kinds IAM's MalformedPolicyDocument messages: "Syntax errors in policy.",
 * "Policy document should not specify a principal.", "Policy statement must contain actions.",
 * "Policy statement must contain resources.", "The policy failed legacy parsing", "Unknown field Foo",
 * "Has prohibited field Resource" (trust), "Missing required field Principal." ...
 * opts may be NULL.
 *
 * Condition values that must parse (Numeric*, Date*, IpAddress, Bool, BinaryEquals, Null) are parsed
 * here. For RESOURCE kind an unparsable one refuses the policy ("Invalid Condition value : ...", S3
 * validates bucket policies strictly); for IDENTITY/TRUST kinds IAM stores such policies, so they compile
 * and the operator holding the value evaluates to false (the statement then never applies).
 * A key given twice in one JSON object is refused as invalid JSON. why may be NULL (why_cap 0).
 * Out of memory also returns NULL ("Out of memory"). */
struct pail_policy *pail_policy_compile(const char *doc, size_t len, enum pail_policy_kind kind,
                                        const struct pail_policy_opts *opts, char *why, size_t why_cap);
/* Releases p and everything it owns. NULL is a no-op. */
void pail_policy_free(struct pail_policy *p);

/* Size of doc without whitespace outside JSON strings: what AWS's size limits count
 * (inline user policy 2,048, role 10,240, group 5,120, managed 6,144, bucket policy 20,480). */
size_t pail_policy_size_nows(const char *doc, size_t len);

/* AWS's definition of a public bucket policy ("The meaning of public" in S3's Block Public Access docs):
 * true when some Allow statement grants to "*" (or {"AWS":"*"}) / uses NotPrincipal, without a Condition
 * that fixes it to known values: aws:SourceIp (a CIDR that is not /0 and not 0.0.0.0/1-style very wide;
 * AWS: IPv4 prefix < 8 counts as public), aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceAccount,
 * aws:SourceOwner, aws:PrincipalOrgID, aws:PrincipalAccount, aws:userid (no wildcard), s3:DataAccessPointArn,
 * s3:DataAccessPointAccount — with a non-wildcard value and a non-negated operator.
 * Here: IPv6 prefixes below /32 count as public too; "non-wildcard" means no '*' or '?' in any value
 * and no policy variable; ...IfExists and ForAllValues: operators do not fix (an absent key passes them).
 * Always false for IDENTITY kind (no principals). */
bool pail_policy_is_public(const struct pail_policy *p);

/* Number of statements, and the Sid of statement i (NULL when absent or i is out of range). */
size_t pail_policy_statement_count(const struct pail_policy *p);
const char *pail_policy_statement_sid(const struct pail_policy *p, size_t i); /* NULL when absent */
/* Whether statement i is a Deny (false when i is out of range). */
bool pail_policy_statement_denies(const struct pail_policy *p, size_t i);

/* Who is asking. */
enum pail_principal_type {
    PAIL_PT_ANONYMOUS,
    PAIL_PT_ROOT,          /* an account's root */
    PAIL_PT_USER,          /* IAM user */
    PAIL_PT_ASSUMED_ROLE,  /* STS session of a role */
    PAIL_PT_FEDERATED_USER, /* GetFederationToken session (rare) */
    PAIL_PT_SERVICE        /* an AWS service acting on its own, named by arn
                              ("logging.s3.amazonaws.com": server access log
                              delivery); matched only by {"Service": name} */
};
struct pail_principal {
    enum pail_principal_type type;
    const char *account;      /* 12 digits; NULL for anonymous */
    const char *arn;          /* arn:aws:iam::111122223333:root | arn:aws:iam::111122223333:user/path/name |
                                 arn:aws:sts::111122223333:assumed-role/RoleName/SessionName */
    const char *role_arn;     /* assumed role: arn:aws:iam::111122223333:role/path/RoleName; else NULL */
    const char *canonical_id; /* the account's 64-hex canonical user id; NULL for anonymous */
    const char *username;     /* aws:username (users only) */
    const char *userid;       /* aws:userid: "AIDA..." for a user, the account id for root,
                                 "AROA...:SessionName" for a role session, "anonymous" */
};

/* Condition context: the request's key/value pairs. Keys compare case-insensitively; a key may carry
 * several values (multi-valued keys for ForAnyValue/ForAllValues). aws:username, aws:userid,
 * aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType come from the principal automatically
 * (they need not be in ctx; a ctx entry wins).
 * Everything else is the caller's: aws:CurrentTime / aws:EpochTime (this module reads no clock),
 * aws:SourceIp, aws:SecureTransport ("true"/"false"), s3:prefix... A key's part after its first '/'
 * (tag keys: "s3:ExistingObjectTag/team") compares case-sensitively. Values of BinaryEquals keys are
 * given in base64. aws:PrincipalArn of a role session is its role's ARN (as AWS defines it).
 * A key absent from ctx (or given with n == 0) matches no policy value: a positive operator is false,
 * a negated one (StringNotEquals, NotIpAddress, ArnNotLike...) true, as AWS documents ("Condition
 * operators": "...and the right key is not present, the condition is true"); ...IfExists is true;
 * ForAllValues: true, ForAnyValue: false. values[i] must not be NULL (a NULL value matches nothing). */
struct pail_cond_entry {
    const char *key;            /* "aws:SourceIp", "s3:prefix", "s3:ExistingObjectTag/team" */
    const char *const *values;
    size_t n;
};

struct pail_eval_req {
    const struct pail_principal *principal; /* NULL: anonymous */
    const char *action;   /* "s3:GetObject", "iam:CreateUser", "sts:AssumeRole" */
    const char *resource; /* "arn:aws:s3:::bucket/key", "arn:aws:iam::111122223333:user/analyst";
                             NULL: only statements without Resource/NotResource (trust) apply */
    const struct pail_cond_entry *ctx;
    size_t nctx;
};

enum pail_effect { PAIL_EFFECT_NONE, PAIL_EFFECT_ALLOW, PAIL_EFFECT_DENY };

/* How the deciding Allow statement of a RESOURCE/TRUST policy named the principal. AWS treats a
 * principal given as an account ("123456789012" or "arn:aws:iam::123456789012:root") as delegation to
 * that account: its IAM principals then still need an identity policy allowing the action.
 * Ordered: a larger value is a better match. NotPrincipal statements count as PAIL_PM_ANY;
 * IDENTITY policies always report PAIL_PM_NONE. */
enum pail_principal_match { PAIL_PM_NONE, PAIL_PM_ACCOUNT, PAIL_PM_ANY /* "*" */, PAIL_PM_EXACT };

#define PAIL_EVAL_MAX_MATCHED 16
#define PAIL_EVAL_MAX_MISSING 16
struct pail_eval_trace {
    size_t matched[PAIL_EVAL_MAX_MATCHED]; /* indices of statements that applied (Allow and Deny) */
    size_t nmatched;
    const char *missing[PAIL_EVAL_MAX_MISSING]; /* condition keys the policy asked for that ctx lacked
                                                   (IAM SimulatePolicy's MissingContextValues); pointers
                                                   into the compiled policy */
    size_t nmissing;
    enum pail_principal_match principal_match; /* best match among Allow statements that applied */
};

/* Evaluates one policy: DENY if any applicable Deny statement matches, else ALLOW if any Allow does,
 * else NONE. trace may be NULL. Never allocates on the heap. Thread-safe.
 * With a trace every statement is examined (and every condition of a statement whose action, resource
 * and principal match), so that matched and missing are complete up to their capacities; without one
 * evaluation stops at the first applicable Deny. Keys consulted through policy variables that ctx
 * lacks are reported in missing too. A string that a policy variable expands to more than 4,096 bytes
 * is treated like an unresolvable variable. */
enum pail_effect pail_policy_eval(const struct pail_policy *p, const struct pail_eval_req *req,
                                  struct pail_eval_trace *trace);

#endif
