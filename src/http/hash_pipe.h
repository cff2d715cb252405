/* http/hash_pipe.h — hashing a large body on a second core.
 * Owns: one helper thread per large upload that applies pail_cksum_update to
 * the body's hashes (the MD5 of the ETag, and the declared checksum), fed
 * through a bounded ring. MD5 runs at about 600 MB/s per core and cannot be
 * split, so on the receiving thread it caps a single PUT below the disk's
 * rate; beside it, receiving and hashing overlap.
 * The creator of a pipe must end it (pail_hash_pipe_end) before reading or
 * freeing the hashes it was given. */
#ifndef PAIL_HTTP_HASH_PIPE_H
#define PAIL_HTTP_HASH_PIPE_H

#include "util/checksum.h"

#include <stddef.h>

struct pail_hash_pipe;

/* Starts a pipe over a and b (b may be NULL). NULL when every core already
 * hashes for another pipe or the thread cannot start: the caller then hashes
 * on its own thread. */
struct pail_hash_pipe *pail_hash_pipe_start(struct pail_cksum *a, struct pail_cksum *b);
/* Queues n bytes (copied; waits while the ring is full). */
void pail_hash_pipe_feed(struct pail_hash_pipe *p, const void *data, size_t n);
/* Returns once every byte fed is hashed; stops the thread, frees p. NULL is
 * a no-op. */
void pail_hash_pipe_end(struct pail_hash_pipe *p);

#endif
