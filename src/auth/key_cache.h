/* auth/key_cache.h — SigV4 signing keys, remembered between requests.
 * Owns: a small process-wide table of derived keys. A signing key depends
 * only on (secret, date, region, service), so one derivation (four HMACs,
 * most of the signature check's cost) serves every request a client signs
 * that day. The table holds copies of secrets, as the credential store
 * does; evicted entries are wiped. Thread-safe. */
#ifndef PAIL_AUTH_KEY_CACHE_H
#define PAIL_AUTH_KEY_CACHE_H

#include "auth/crypto.h"

/* Writes the SigV4 signing key for the scope into key: from the table when
 * it is there, else derived (pail_sigv4_signing_key) and remembered. */
void pail_key_cache_get(const char *secret, const char *date, const char *region,
                        const char *service, unsigned char key[PAIL_SHA256_LEN]);

#endif
