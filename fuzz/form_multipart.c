/* fuzz/form_multipart.c — the POST Object form parser (http/form_multipart.c)
 * from the request's Content-Type to the end of the body, fed in random
 * splits; the fields it delivers then go where post_object.c sends them:
 * which authentication they carry (auth/post_policy.c), the ${filename}
 * substitution, and the SigV4 form fields.
 * Input: byte 0 the number k of split bytes (% 32), k split bytes, the
 * Content-Type line, then the body. */
#include "fuzz.h"

#include "auth/post_policy.h"
#include "auth/sigv4.h"
#include "http/form_multipart.h"

#define MAX_FIELDS 64

struct sink {
    struct pail_arena *a;
    struct pail_post_field fields[MAX_FIELDS];
    size_t n;
    const char *filename;
    bool begun, ended;
    uint64_t bytes;
};

static enum pail_err on_field(void *ctx, const char *name, const char *value, size_t len)
{
    struct sink *s = ctx;
    if (s->begun || value[len] != 0)
        abort(); /* fields come before the file, NUL-terminated */
    for (const char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            abort(); /* names are lower-cased */
    if (s->n < MAX_FIELDS)
        s->fields[s->n++] = (struct pail_post_field){pail_arena_strdup(s->a, name),
                                                     pail_arena_strndup(s->a, value, len), len};
    return PAIL_OK;
}

static enum pail_err on_begin(void *ctx, const char *filename, const char *content_type)
{
    struct sink *s = ctx;
    if (s->begun)
        abort(); /* once at most */
    s->begun = true;
    s->filename = filename ? pail_arena_strdup(s->a, filename) : NULL;
    return PAIL_OK;
}

static enum pail_err on_data(void *ctx, const void *p, size_t n)
{
    struct sink *s = ctx;
    if (!s->begun || s->ended || n == 0)
        abort();
    volatile const uint8_t *b = p;
    (void)b[0], (void)b[n - 1];
    s->bytes += n;
    return PAIL_OK;
}

static enum pail_err on_end(void *ctx)
{
    struct sink *s = ctx;
    if (!s->begun || s->ended)
        abort();
    s->ended = true;
    return PAIL_OK;
}

static enum pail_err feed(void *ctx, const void *p, size_t n)
{
    return pail_form_feed(ctx, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    size_t k = fz_byte(&in) % 32;
    if (k > in.n)
        k = in.n;
    const uint8_t *splits = in.p;
    in.p += k, in.n -= k;
    struct pail_arena *a = pail_arena_new();
    char *ct = fz_line(&in, a);
    struct sink s = {.a = a};
    struct pail_form_cb cb = {on_field, on_begin, on_data, on_end, &s};
    struct pail_form *form;
    const char *why;
    if (ct && pail_form_begin(a, ct, &cb, &form, &why) == PAIL_OK) {
        enum pail_err e = fz_split_feed(splits, k, in.p, in.n, feed, form);
        enum pail_err fe = pail_form_finish(form);
        if (e != PAIL_OK && fe != e)
            abort(); /* sticky */
        if (pail_form_file_length(form) != s.bytes || pail_form_file_seen(form) != s.begun)
            abort();
        if (fe == PAIL_OK && !s.ended)
            abort();
        (void)pail_form_error_detail(form);
        enum pail_post_auth kind;
        if (pail_post_form_auth(s.fields, s.n, &kind, &why) == PAIL_OK) {
            const struct pail_post_field *key = pail_post_field_get(s.fields, s.n, "key");
            if (key)
                (void)pail_post_key_subst(a, key->value, s.filename);
            if (kind == PAIL_POST_SIGV4) {
                const struct pail_post_field *alg = pail_post_field_get(s.fields, s.n, "x-amz-algorithm");
                const struct pail_post_field *cr = pail_post_field_get(s.fields, s.n, "x-amz-credential");
                const struct pail_post_field *dt = pail_post_field_get(s.fields, s.n, "x-amz-date");
                struct pail_sigv4_cred cred;
                if (alg && cr && dt)
                    (void)pail_post_sigv4_fields(a, alg->value, cr->value, dt->value, &cred, &why);
            }
        }
        for (size_t i = 0; i < s.n; i++)
            (void)pail_post_field_exempt(s.fields[i].name);
    }
    pail_arena_free(a);
    return 0;
}
