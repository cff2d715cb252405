/* admin/admin.h — the operator's commands (`pail admin ...`): accounts for
 * now. One function runs a command against an open identity store and
 * metadata store, so the same code serves a stopped data directory (the CLI
 * opens it) and a running server (the command arrives on the server's admin
 * socket, admin_socket.h). */
#ifndef PAIL_ADMIN_ADMIN_H
#define PAIL_ADMIN_ADMIN_H

struct pail_buf;
struct pail_services;

#include <stdbool.h>

/* Runs argv (argv[0] is the command, e.g. "account" or "explain") against
 * the open stores in svc and writes what the operator reads into out. live:
 * a running server's stores (the command came on its admin socket), which
 * `check` refuses (admin_store.h says why).
 * Returns the exit status: 0, 1 (the command failed; out says why), 2
 * (usage). */
int pail_admin_run(const struct pail_services *svc, bool live, int argc,
                   const char *const *argv, struct pail_buf *out);

/* The usage text of `pail admin`. */
extern const char pail_admin_usage[];

#endif
