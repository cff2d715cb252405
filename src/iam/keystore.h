/* iam/keystore.h — the identity layer as auth/'s keystore: every access key
 * pail knows (account roots, IAM users, STS sessions), looked up in memory
 * for each signature check. */
#ifndef PAIL_IAM_KEYSTORE_H
#define PAIL_IAM_KEYSTORE_H

struct pail_keystore;
struct pail_identity;

/* Fills ks so that its lookups go to id (which must outlive it). */
void pail_identity_keystore(struct pail_keystore *ks, struct pail_identity *id);

#endif
