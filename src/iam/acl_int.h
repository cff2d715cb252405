/* iam/acl_int.h — what the acl*.c files share and nobody else calls:
 * grantee validation used by the header, XML and JSON readers alike. */
#ifndef PAIL_IAM_ACL_INT_H
#define PAIL_IAM_ACL_INT_H

#include "iam/acl.h"

#include <stddef.h>

struct pail_arena;

/* The n bytes at s as a canonical user id: a lowercase copy in a, or NULL
 * when they are not 64 hex digits. */
char *pail_acl__canonical_id(struct pail_arena *a, const char *s, size_t n);
/* Room for n grants in a (never NULL, even for n == 0). */
struct pail_grant *pail_acl__grants(struct pail_arena *a, size_t n);

#endif
