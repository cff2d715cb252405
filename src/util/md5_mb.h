/* util/md5_mb.h — MD5 of many independent streams at once.
 * Owns: the MD5 compression function over several lanes (one stream each)
 * in one pass of SIMD registers, and the MD5 padding that ends a stream.
 * One MD5 stream is a chain of dependent additions that no CPU runs faster
 * than ~600 MB/s; sixteen streams side by side in AVX-512 registers cost
 * barely more than one, which is how concurrent uploads stop being bound by
 * their ETags. Pure computation: no I/O, no allocation, thread-safe after
 * pail_md5_mb_init(). */
#ifndef PAIL_UTIL_MD5_MB_H
#define PAIL_UTIL_MD5_MB_H

#include <stddef.h>
#include <stdint.h>

#define PAIL_MD5_MB_MAX 16 /* most lanes any kernel takes */
#define PAIL_MD5_MB_WIDE_MIN 3 /* fewer busy lanes than this run one by one */

/* A stream's running state, fed whole 64-byte blocks. */
struct pail_md5_state {
    uint32_t h[4];
    uint64_t len; /* bytes fed so far */
};

/* One lane of a pass: `blocks` 64-byte blocks at p go into *s. */
struct pail_md5_lane {
    struct pail_md5_state *s;
    const unsigned char *p;
    size_t blocks;
};

/* Picks the widest kernel the CPU runs (AVX-512: 16 lanes; otherwise one
 * lane at a time, OpenSSL's assembly). `max_lanes` > 0 caps it (tests);
 * 0 means no cap. Call once before any other function; safe to call again. */
void pail_md5_mb_init(unsigned max_lanes);
/* How many lanes a pass of pail_md5_mb runs side by side (1 without SIMD). */
unsigned pail_md5_mb_lanes(void);

void pail_md5_state_init(struct pail_md5_state *s);
/* Feeds every lane's blocks into its state. n ≤ PAIL_MD5_MB_MAX; lanes may
 * differ in length (0 included); their states must be distinct. */
void pail_md5_mb(const struct pail_md5_lane *lanes, unsigned n);
/* Ends a stream: `tail` holds its last n < 64 bytes, the ones no block
 * took. Writes the 16-byte digest; s is left as it was. */
void pail_md5_state_final(const struct pail_md5_state *s, const unsigned char *tail, size_t n,
                          unsigned char out[16]);

#endif
