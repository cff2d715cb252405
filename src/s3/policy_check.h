/* s3/policy_check.h — S3's own checks on a bucket policy, on top of the
 * policy language's (iam/policy.h): known S3 actions, actions that apply to
 * the statement's resources, known s3: condition keys. */
#ifndef PAIL_S3_POLICY_CHECK_H
#define PAIL_S3_POLICY_CHECK_H

#include <stddef.h>

/* NULL when doc passes, else AWS's MalformedPolicy message (static). */
const char *s3_policy_check(const char *doc, size_t len);

#endif
