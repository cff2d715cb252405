/* s3/owner.h — owners as S3 shows them. Buckets and objects record the
 * owning account's 12-digit id; S3 documents name owners by canonical user
 * id and display name. Stores made before accounts existed say "root": that
 * is the first account. */
#ifndef PAIL_S3_OWNER_H
#define PAIL_S3_OWNER_H

struct pail_req;
struct pail_xml;

/* The account id an owner field names (legacy "root" or "" → the first
 * account). */
const char *s3_owner_account(struct pail_req *r, const char *owner);
/* The account's canonical user id, or NULL when it is gone. */
const char *s3_owner_canonical(struct pail_req *r, const char *account);
/* Its display name (the account's name), or NULL. */
const char *s3_owner_name(struct pail_req *r, const char *account);
/* <element><ID>canonical</ID><DisplayName>name</DisplayName></element> for the
 * owner field `owner` (an account id or legacy "root"). */
void s3_write_owner_as(struct pail_req *r, struct pail_xml *x, const char *element,
                       const char *owner);
/* For ACL grants: the display name of canonical_id (ctx is the request). */
const char *s3_canonical_name(void *req, const char *canonical_id);
/* For ACL email grantees: the canonical id of an account email, or NULL. */
const char *s3_email_canonical(void *req, const char *email);

#endif
