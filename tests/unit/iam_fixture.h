/* tests/unit/iam_fixture.h — what the identity and IAM API tests share: a
 * SQLite store in a fresh temporary directory with an identity bootstrapped
 * from a root credential, reopening it (restart), and calling IAM/STS
 * actions as a given access key with the answer kept for inspection.
 * Include after fixture.h and meta_fixture.h. */
#ifndef PAIL_TEST_IAM_FIXTURE_H
#define PAIL_TEST_IAM_FIXTURE_H

#include "core/arena.h"
#include "core/buf.h"
#include "iam/iam_api.h"
#include "iam/identity.h"

#include <libxml/parser.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOT_KEY "AKIAPAILROOTTEST0001"
#define ROOT_SECRET "rootsecretrootsecretrootsecretrootsecret"

struct ifx {
    struct fx *f;
    struct pail_identity *id;
    const struct pail_sim_hook *sim; /* passed with every call (NULL: none) */
};

/* fx_root(), but /dev/shm when there: fsync is cheap there. */
static inline const char *ifx_root(void)
{
    struct stat st;
    if (!getenv("PAIL_TEST_DIR") && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return fx_root();
}

static inline int ifx_setup(void **state)
{
    struct ifx *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->f = fx_meta_new(ifx_root(), "pail-iam");
    assert_err(pail_identity_open(t->f->m, &t->id), PAIL_OK);
    assert_err(pail_identity_bootstrap(t->id, ROOT_KEY, ROOT_SECRET), PAIL_OK);
    *state = t;
    return 0;
}

/* Closes and reopens the identity over the same store: a restart. */
static inline void ifx_restart(struct ifx *t)
{
    pail_identity_close(t->id);
    t->id = NULL;
    assert_err(pail_identity_open(t->f->m, &t->id), PAIL_OK);
}

static inline int ifx_teardown(void **state)
{
    struct ifx *t = *state;
    pail_identity_close(t->id);
    void *fs = t->f;
    fx_meta_teardown(&fs);
    free(t);
    return 0;
}

/* One answer: status, error, body (in the fixture's arena), deny tag. */
struct res {
    enum pail_err err;
    int status;
    const char *body;
    const char *deny;
};

/* With $PAIL_IAM_DUMP set to a directory, every answer is also written there
 * as SERVICE-ACTION-N.xml (N counts calls), for checking the shapes with
 * botocore's own parser outside the unit tests. */
static inline void ifx_dump(const char *svc, const char *action, const struct res *r)
{
    static unsigned n;
    const char *dir = getenv("PAIL_IAM_DUMP");
    if (!dir || !action)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s-%s-%u.xml", dir, svc, action, n++);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(r->body, f);
        fclose(f);
    }
}

/* Calls service as key with name/value pairs kv (NULL-terminated), at now_ms
 * (0: the current time). The body must be well-formed XML. */
static inline struct res ifx_call_at(struct ifx *t, const char *svc, const char *key,
                                     int64_t now_ms, const char **kv)
{
    struct pail_iam_param p[128];
    size_t n = 0;
    for (; kv[2 * n]; n++) {
        assert_true(n < 128);
        p[n] = (struct pail_iam_param){kv[2 * n], kv[2 * n + 1]};
    }
    struct pail_iam_call call = {.service = svc, .params = p, .nparams = n, .access_key = key,
                                 .request_id = "req-1", .now_ms = now_ms, .sim = t->sim};
    struct pail_buf b;
    pail_buf_init(&b, 1 << 22);
    struct res r = {0};
    r.err = pail_iam_handle(t->id, &call, t->f->a, &b, &r.status, &r.deny);
    r.body = pail_arena_strdup(t->f->a, b.data ? b.data : "");
    pail_buf_free(&b);
    xmlDocPtr doc = xmlReadMemory(r.body, (int)strlen(r.body), "r.xml", NULL, XML_PARSE_NONET);
    if (!doc)
        fail_msg("not well-formed XML: %s", r.body);
    xmlFreeDoc(doc);
    const char *action = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].name, "Action") == 0)
            action = p[i].value;
    ifx_dump(svc, action, &r);
    return r;
}

#define CALL(t, svc, key, ...) ifx_call_at((t), (svc), (key), 0, (const char *[]){__VA_ARGS__, NULL})
#define IAM(t, key, ...) CALL((t), "iam", (key), __VA_ARGS__)
#define STS(t, key, ...) CALL((t), "sts", (key), __VA_ARGS__)
#define ROOT(t, ...) IAM((t), ROOT_KEY, __VA_ARGS__)

/* Asserts an answer's error (and, for errors, that the body names its code). */
#define assert_ok(r)                                                                          \
    do {                                                                                      \
        struct res r_ = (r);                                                                  \
        if (r_.err != PAIL_OK)                                                                \
            fail_msg("%s: %s", #r, r_.body);                                                  \
        assert_int_equal(r_.status, 200);                                                     \
    } while (0)

static inline void assert_res_err(struct res r, enum pail_err want, const char *expr)
{
    if (r.err != want)
        fail_msg("%s: got %s, want %s: %s", expr, pail_err_code(r.err), pail_err_code(want), r.body);
    char code[96];
    snprintf(code, sizeof code, "<Code>%s</Code>", pail_err_code(want));
    assert_non_null(strstr(r.body, code));
    assert_int_equal(r.status, pail_err_status(want));
}
#define assert_fails(r, want) assert_res_err((r), (want), #r)

/* Text of the first <name> element of body (arena), or NULL. */
static inline const char *xtext(struct ifx *t, const char *body, const char *name)
{
    char open[96], close[96];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    const char *s = strstr(body, open);
    if (!s)
        return NULL;
    s += strlen(open);
    const char *e = strstr(s, close);
    return e ? pail_arena_strndup(t->f->a, s, (size_t)(e - s)) : NULL;
}

/* Number of occurrences of needle in body. */
static inline size_t xcount(const char *body, const char *needle)
{
    size_t n = 0;
    for (const char *p = body; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* A new access key for user name; *key and *secret in the arena. */
static inline void ifx_user_key(struct ifx *t, const char *name, const char **key,
                                const char **secret)
{
    struct res r = ROOT(t, "Action", "CreateAccessKey", "UserName", name);
    assert_ok(r);
    *key = xtext(t, r.body, "AccessKeyId");
    *secret = xtext(t, r.body, "SecretAccessKey");
    assert_non_null(*key);
    assert_non_null(*secret);
}

/* Creates user name with inline policy doc (NULL: none) and returns its key. */
static inline const char *ifx_user_with(struct ifx *t, const char *name, const char *doc)
{
    assert_ok(ROOT(t, "Action", "CreateUser", "UserName", name));
    if (doc)
        assert_ok(ROOT(t, "Action", "PutUserPolicy", "UserName", name, "PolicyName", "p",
                       "PolicyDocument", doc));
    const char *key, *secret;
    ifx_user_key(t, name, &key, &secret);
    return key;
}

#endif
