/* fuzz/encode.c — util/encode.c: percent-decoding (paths, and form
 * encoding with '+' as a space), AWS URI encoding, base64, hex and the UTF-8
 * check, with the properties callers rely on: decoding never writes past
 * n+1 bytes, decode(encode(x)) == x, unbase64(base64(x)) == x, and what
 * pail_utf8_valid accepts round-trips. Input: the bytes to work on. */
#include "fuzz.h"

#include "core/buf.h"
#include "util/encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    /* Exactly n+1 bytes, so ASan sees any write past the promised bound. */
    char *out = malloc(size + 1);
    for (int plus = 0; plus < 2; plus++) {
        long n = pail_uri_decode(s, size, out, plus);
        if (n > (long)size)
            abort();
    }

    struct pail_buf b;
    pail_buf_init(&b, 3 * size + 16);
    for (int slash = 0; slash < 2; slash++) {
        b.len = 0;
        if (!pail_uri_encode(&b, s, size, slash) || b.overflow)
            abort();
        char *back = malloc(b.len + 1);
        long n = pail_uri_decode(b.data ? b.data : "", b.len, back, false);
        if (n != (long)size || memcmp(back, s, size) != 0)
            abort();
        free(back);
    }
    pail_buf_free(&b);

    char *b64 = malloc(4 * ((size + 2) / 3) + 1);
    pail_base64(data, size, b64);
    unsigned char *raw = malloc(size + 1);
    long m = pail_unbase64(b64, raw, size + 1);
    if (m != (long)size || memcmp(raw, data, size) != 0)
        abort();
    /* The input itself as base64: never more than cap bytes written. */
    char *z = malloc(size + 1);
    memcpy(z, data, size);
    z[size] = 0;
    unsigned char small[8];
    (void)pail_unbase64(z, small, sizeof small);
    (void)pail_unbase64(z, raw, size + 1);

    char *hex = malloc(2 * size + 1);
    pail_hex(data, size, hex);
    if (!pail_unhex(hex, raw, size) || memcmp(raw, data, size) != 0)
        abort();
    if (size >= 2)
        (void)pail_unhex(z, raw, size / 2);

    (void)pail_utf8_valid(s, size);
    pail_ascii_lower(z);

    free(out), free(b64), free(raw), free(z), free(hex);
    return 0;
}
