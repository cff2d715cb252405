/* http/md5_pool.h — the MD5s of large bodies, hashed together off the
 * receiving threads.
 * Owns: the hashing threads (started on first use, for the life of the
 * process) and one stream per large body. A receiving thread copies its
 * bytes into the stream's ring and goes back to the network; a hashing
 * thread takes every stream with bytes waiting and feeds them through one
 * multi-lane pass (util/md5_mb.h), so sixteen concurrent uploads cost about
 * what one did, and a lone upload still hashes on a second core.
 * A stream has one owner at a time (the request's thread): it feeds it and
 * must close it (digest) or abandon it, either of which frees it. */
#ifndef PAIL_HTTP_MD5_POOL_H
#define PAIL_HTTP_MD5_POOL_H

#include <stddef.h>

struct pail_md5_stream;

/* A new stream, or NULL when memory or a thread is short: the caller then
 * hashes on its own thread. */
struct pail_md5_stream *pail_md5_stream_open(void);
/* Queues n bytes (copied; waits while the stream's ring is full). */
void pail_md5_stream_feed(struct pail_md5_stream *s, const void *data, size_t n);
/* Waits for every byte fed to be hashed, writes the digest, frees s. */
void pail_md5_stream_close(struct pail_md5_stream *s, unsigned char out[16]);
/* Frees s without a digest (waiting only for a pass already under way).
 * NULL is a no-op. */
void pail_md5_stream_abandon(struct pail_md5_stream *s);

#endif
