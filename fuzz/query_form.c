/* fuzz/query_form.c — the IAM/STS query API's parameters: the query string
 * and the form-encoded body (s3/query_api.c's parse_form, reached by
 * including that file; the Makefile links this harness without its
 * object), then the IAM layer's validation of what they say (parameter
 * shapes, lists such as PolicyInputList.member.N, ContextEntries, policy
 * documents of SimulateCustomPolicy) through pail_iam_handle() as the
 * account root of an identity store made once per process in a temporary
 * directory. Only actions that change nothing run (Get*, List*,
 * Simulate*), so every input meets the same store; the parse runs on all.
 * Input: the query string, "\n", the body. */
#include "fuzz.h"

#include "s3/query_api.c"

#include "iam/identity.h"
#include "store/meta.h"

#include <stdio.h>
#include <unistd.h>

#define ROOT_KEY "AKIAPAILROOTFUZZ0001"
#define ROOT_SECRET "rootsecretrootsecretrootsecretrootsecret"

static struct pail_identity *identity(void)
{
    static struct pail_identity *id;
    if (id)
        return id;
    const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    static char dir[256];
    snprintf(dir, sizeof dir, "%s/pail-fuzz-iam-XXXXXX", root);
    struct pail_meta *m;
    if (!mkdtemp(dir) || pail_meta_open("sqlite", dir, &m) != PAIL_OK ||
        pail_identity_open(m, &id) != PAIL_OK ||
        pail_identity_bootstrap(id, ROOT_KEY, ROOT_SECRET) != PAIL_OK)
        abort();
    /* The store lives as long as the process; its directory goes at once
     * (SQLite keeps its open files). */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        abort();
    return id;
}

static bool read_only(const char *action)
{
    return action && (strncmp(action, "List", 4) == 0 || strncmp(action, "Simulate", 8) == 0 ||
                      (strncmp(action, "Get", 3) == 0 && strcmp(action, "GetSessionToken") != 0 &&
                       strcmp(action, "GetFederationToken") != 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz in = {data, size};
    struct fz_req f;
    fz_req_init(&f);
    struct pail_req *r = &f.req;
    char *q = fz_line(&in, r->arena);
    size_t blen;
    char *body = fz_rest(&in, r->arena, &blen);
    struct pail_iam_param *params = NULL;
    size_t n = 0, cap = 0;
    if (parse_form(r, q ? q : "", q ? strlen(q) : 0, &params, &n, &cap) == PAIL_OK &&
        parse_form(r, body, blen, &params, &n, &cap) == PAIL_OK) {
        const char *action = NULL;
        size_t nactions = 0;
        for (size_t i = 0; i < n; i++) {
            if (!params[i].name || !params[i].value)
                abort();
            if (strcmp(params[i].name, "Action") == 0 && !nactions++)
                action = params[i].value;
        }
        if (nactions == 1 && read_only(action)) {
            bool sts = strcmp(action, "GetCallerIdentity") == 0;
            struct pail_iam_call call = {
                .service = sts ? "sts" : "iam", .params = params, .nparams = n,
                .access_key = ROOT_KEY, .request_id = r->id, .now_ms = 1764547200000,
            };
            struct pail_buf out;
            pail_buf_init(&out, 1 << 24);
            int status = 0;
            const char *deny = NULL;
            (void)pail_iam_handle(identity(), &call, r->arena, &out, &status, &deny);
            if (status < 200 || status > 599)
                abort();
            pail_buf_free(&out);
        }
    }
    fz_req_free(&f);
    return 0;
}
