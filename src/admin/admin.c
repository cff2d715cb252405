/* admin/admin.c — see admin.h. */
#include "admin/admin.h"

#include "admin/admin_store.h"

#include "core/arena.h"
#include "core/buf.h"
#include "http/request.h"
#include "iam/identity.h"
#include "iam/policy.h"
#include "s3/authz.h"
#include "s3/services.h"
#include "store/meta.h"

#include <string.h>
#include <time.h>

const char pail_admin_usage[] =
    "usage: pail admin account create NAME --email EMAIL [--data DIR]\n"
    "       pail admin account list [--data DIR]\n"
    "       pail admin account delete NAME|ID [--data DIR]\n"
    "       pail admin explain --as ARN|anonymous ACTION RESOURCE [--context KEY=VALUE]...\n"
    "                          [--data DIR]\n"
    "       pail admin check [--repair] [--verbose] [--data DIR]\n"
    "       pail admin backup DEST [--data DIR]\n"
    "\n"
    "Works on a running server (through DIR/admin.sock) and on a stopped data\n"
    "directory. create prints the new account's id, canonical id and root keys;\n"
    "the secret key is shown only then. explain prints why ACTION (s3:GetObject) on\n"
    "RESOURCE (arn:aws:s3:::bucket/key) would be allowed or denied for ARN\n"
    "(arn:aws:iam::ACCOUNT:root, :user/NAME, :role/NAME), a line per policy, grant or\n"
    "block that mattered.\n"
    "\n"
    "check verifies a stopped data directory: every object and part has its data\n"
    "file, with the right size, MD5 (single-part ETags) and stored checksum; no\n"
    "orphaned data file or leftover temporary remains. It prints a line per\n"
    "problem and exits 1 when it found any. --repair removes orphans and\n"
    "temporaries, and the metadata of objects whose data is missing or corrupt\n"
    "(their GETs then answer NoSuchKey; corrupt bytes are kept in DIR/lost+found).\n"
    "backup copies the store, running or stopped, into DEST (new or empty): the\n"
    "metadata as of one instant and the data files it refers to (hard links on the\n"
    "same filesystem), the undelivered access log records, and root-credentials;\n"
    "`pail serve --data DEST` serves it.\n";

static int fail(struct pail_buf *out, enum pail_err e, const char *what)
{
    pail_buf_printf(out, "pail: %s: %s (%s)\n", what, pail_err_message(e), pail_err_code(e));
    return 1;
}

static void print_account(struct pail_buf *out, const struct pail_account *a)
{
    pail_buf_printf(out, "account-id: %s\ncanonical-id: %s\nname: %s\nemail: %s\n", a->id,
                    a->canonical_id, a->name, a->email ? a->email : "");
    if (a->access_key)
        pail_buf_printf(out, "access-key: %s\n", a->access_key);
    if (a->secret_key)
        pail_buf_printf(out, "secret-key: %s\n", a->secret_key);
}

static int account_create(struct pail_identity *id, struct pail_arena *a, int argc,
                          const char *const *argv, struct pail_buf *out)
{
    const char *name = NULL, *email = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--email") && i + 1 < argc)
            email = argv[++i];
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return pail_buf_puts(out, pail_admin_usage), 2;
    }
    if (!name || !email)
        return pail_buf_puts(out, pail_admin_usage), 2;
    struct pail_account acc;
    enum pail_err e = pail_identity_account_create(id, name, email, a, &acc);
    if (e != PAIL_OK)
        return fail(out, e, "account create");
    print_account(out, &acc);
    return 0;
}

static int account_list(struct pail_identity *id, struct pail_arena *a, struct pail_buf *out)
{
    struct pail_account *v;
    size_t n;
    enum pail_err e = pail_identity_account_list(id, a, &v, &n);
    if (e != PAIL_OK)
        return fail(out, e, "account list");
    pail_buf_printf(out, "%-12s  %-64s  %-20s  %s\n", "ACCOUNT", "CANONICAL ID", "NAME", "EMAIL");
    for (size_t i = 0; i < n; i++)
        pail_buf_printf(out, "%-12s  %-64s  %-20s  %s\n", v[i].id, v[i].canonical_id, v[i].name,
                        v[i].email ? v[i].email : "");
    return 0;
}

/* Refuses while the account owns buckets: their data would have no owner. */
static int account_delete(struct pail_identity *id, struct pail_meta *m, struct pail_arena *a,
                          const char *which, struct pail_buf *out)
{
    struct pail_account *v;
    size_t n;
    enum pail_err e = pail_identity_account_list(id, a, &v, &n);
    if (e != PAIL_OK)
        return fail(out, e, "account delete");
    const char *acct = NULL;
    for (size_t i = 0; i < n && !acct; i++)
        if (!strcmp(v[i].id, which) || !strcmp(v[i].name, which))
            acct = v[i].id;
    if (!acct)
        return fail(out, PAIL_E_NoSuchEntity, "account delete");
    struct pail_bucket_rec *b;
    size_t nb;
    if ((e = pail_meta_bucket_list(m, a, &b, &nb)) != PAIL_OK)
        return fail(out, e, "account delete");
    size_t owned = 0;
    for (size_t i = 0; i < nb; i++)
        if (b[i].owner && !strcmp(b[i].owner, acct))
            owned++;
    if (owned) {
        pail_buf_printf(out, "pail: account %s owns %zu bucket(s); delete them first\n", acct,
                        owned);
        return 1;
    }
    if ((e = pail_identity_account_delete(id, acct)) != PAIL_OK)
        return fail(out, e, "account delete");
    pail_buf_printf(out, "deleted account %s\n", acct);
    return 0;
}

/* explain --as ARN ACTION RESOURCE [--context k=v]...: a bare request
 * (arena and services) through the authorizer, with its trail. */
static int explain(const struct pail_services *svc, struct pail_arena *a, int argc,
                   const char *const *argv, struct pail_buf *out)
{
    const char *as = NULL, *pos[2] = {NULL, NULL};
    struct pail_cond_entry ctx[32];
    size_t nctx = 0, npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--as") && i + 1 < argc) {
            as = argv[++i];
        } else if (!strcmp(argv[i], "--context") && i + 1 < argc && nctx < 32) {
            const char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq)
                return pail_buf_puts(out, pail_admin_usage), 2;
            const char **v = pail_arena_alloc(a, sizeof *v);
            *v = pail_arena_strdup(a, eq + 1);
            ctx[nctx++] = (struct pail_cond_entry){pail_arena_strndup(a, kv, (size_t)(eq - kv)),
                                                   v, 1};
        } else if (npos < 2 && argv[i][0] != '-') {
            pos[npos++] = argv[i];
        } else {
            return pail_buf_puts(out, pail_admin_usage), 2;
        }
    }
    if (!as || npos != 2)
        return pail_buf_puts(out, pail_admin_usage), 2;
    struct pail_req r = {.arena = a, .svc = svc, .now = time(NULL)};
    enum pail_err e = s3_explain(&r, as, pos[0], pos[1], ctx, nctx, out);
    return e == PAIL_OK ? 0 : fail(out, e, "explain");
}

/* check [--repair] [--verbose] */
static int check(const struct pail_services *svc, bool live, int argc, const char *const *argv,
                 struct pail_buf *out)
{
    bool repair = false, verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repair"))
            repair = true;
        else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
            verbose = true;
        else
            return pail_buf_puts(out, pail_admin_usage), 2;
    }
    if (live) {
        pail_buf_printf(out, "pail: check: a server is running on %s. Stop it and run check "
                             "again: on a live store, uploads in flight look like orphans and "
                             "deletes race the check. To check without stopping, check a copy: "
                             "pail admin backup DEST, then pail admin check --data DEST\n",
                        svc->data_dir ? svc->data_dir : "this directory");
        return 1;
    }
    return pail_admin_check(svc, repair, verbose, out);
}

int pail_admin_run(const struct pail_services *svc, bool live, int argc,
                   const char *const *argv, struct pail_buf *out)
{
    if (argc >= 1 && !strcmp(argv[0], "check"))
        return check(svc, live, argc, argv, out);
    if (argc >= 1 && !strcmp(argv[0], "backup"))
        return argc == 2 ? pail_admin_backup(svc, argv[1], out)
                         : (pail_buf_puts(out, pail_admin_usage), 2);
    struct pail_identity *id = svc->identity;
    struct pail_meta *m = svc->meta;
    if (argc < 1 || (strcmp(argv[0], "account") != 0 && strcmp(argv[0], "explain") != 0) ||
        (!strcmp(argv[0], "account") && argc < 2))
        return pail_buf_puts(out, pail_admin_usage), 2;
    struct pail_arena *a = pail_arena_new();
    if (!a)
        return fail(out, PAIL_E_InternalError, "admin");
    if (!strcmp(argv[0], "explain")) {
        int rc = explain(svc, a, argc, argv, out);
        pail_arena_free(a);
        return rc;
    }
    int rc = 2;
    if (!strcmp(argv[1], "create"))
        rc = account_create(id, a, argc, argv, out);
    else if (!strcmp(argv[1], "list") && argc == 2)
        rc = account_list(id, a, out);
    else if (!strcmp(argv[1], "delete") && argc == 3)
        rc = account_delete(id, m, a, argv[2], out);
    else
        pail_buf_puts(out, pail_admin_usage);
    pail_arena_free(a);
    return rc;
}
