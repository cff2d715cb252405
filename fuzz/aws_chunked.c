/* fuzz/aws_chunked.c — the aws-chunked body decoder (http/aws_chunked.c) in
 * its three configurations: unsigned chunks (STREAMING-UNSIGNED-PAYLOAD-
 * TRAILER), signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and signed
 * chunks with a signed trailer (...-PAYLOAD-TRAILER), with the chain
 * seeded as AWS's published examples seed it. The body reaches the decoder
 * in random splits, as the JS SDK and TCP deliver it.
 * Input: byte 0 the mode (% 3), byte 1 the number k of split bytes (% 32),
 * k split bytes (fz_split_feed), then the body. */
#include "fuzz.h"

#include "auth/sigv4.h"
#include "http/aws_chunked.h"

/* AWS's examples: SigV4 docs, "Signature Calculations for the Authorization
 * Header: Transferring Payload in Multiple Chunks" and "... trailing
 * headers". */
#define DATE "20130524T000000Z"
#define SCOPE "20130524/us-east-1/s3/aws4_request"
#define SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define SEED_TRAILER "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"

struct sink {
    uint64_t n;
};

static enum pail_err on_data(void *ctx, const void *p, size_t n)
{
    struct sink *s = ctx;
    if (n == 0)
        abort(); /* never promised, but a 0-byte piece would mean a framing slip */
    volatile const uint8_t *b = p;
    (void)b[0], (void)b[n - 1]; /* the whole piece must be readable */
    s->n += n;
    return PAIL_OK;
}

static enum pail_err feed(void *ctx, const void *p, size_t n)
{
    return pail_awschunked_feed(ctx, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    unsigned mode = fz_byte(&in) % 3;
    size_t k = fz_byte(&in) % 32;
    if (k > in.n)
        k = in.n;
    const uint8_t *splits = in.p;
    in.p += k, in.n -= k;

    static unsigned char key[32];
    static bool have_key;
    if (!have_key) {
        pail_sigv4_signing_key(FZ_SK, "20130524", "us-east-1", "s3", key);
        have_key = true;
    }
    struct sink s = {0};
    struct pail_awschunked_cfg c = {.on_data = on_data, .ctx = &s};
    if (mode) {
        c.verify_chunks = true;
        c.trailer_signed = mode == 2;
        c.signing_key = key;
        c.amz_date = DATE;
        c.scope = SCOPE;
        c.seed_signature = mode == 2 ? SEED_TRAILER : SEED;
    }
    struct pail_arena *a = pail_arena_new();
    struct pail_awschunked *d = pail_awschunked_new(a, &c);
    enum pail_err e = fz_split_feed(splits, k, in.p, in.n, feed, d);
    enum pail_err fe = pail_awschunked_finish(d);
    if (e != PAIL_OK && fe != e)
        abort(); /* errors are sticky */
    if (pail_awschunked_decoded_len(d) != s.n)
        abort();
    if (fe != PAIL_OK)
        (void)pail_awschunked_error_detail(d);
    size_t nt = pail_awschunked_trailer_count(d);
    if (nt > PAIL_AWSCHUNKED_MAX_TRAILERS)
        abort();
    for (size_t i = 0; i < nt; i++) {
        const char *name, *value;
        pail_awschunked_trailer_at(d, i, &name, &value);
        if (!name || !value || !pail_awschunked_trailer(d, name))
            abort();
    }
    (void)pail_awschunked_trailer(d, "x-amz-checksum-crc32");
    pail_arena_free(a);
    return 0;
}
