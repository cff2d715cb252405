/* admin/admin_socket.h — `pail admin` on a running server: the server
 * listens on DIR/admin.sock (a Unix socket, owner-only as everything pail
 * creates under its umask 077: whoever may use the data directory may
 * administer it, no other credential), and the CLI sends
 * its command there when the directory is in use. One connection carries one
 * command: its arguments, each NUL-terminated, then an empty one; the reply
 * is the exit status (one byte) and the text to print, up to the close. */
#ifndef PAIL_ADMIN_ADMIN_SOCKET_H
#define PAIL_ADMIN_ADMIN_SOCKET_H

struct pail_admin_socket;
struct pail_buf;
struct pail_identity;
struct pail_meta;

/* Listens on dir/admin.sock (replacing a stale one: the caller holds the
 * data directory's lock) and serves commands on a thread of its own. NULL
 * (logged) when it cannot. */
struct pail_services;
struct pail_admin_socket *pail_admin_socket_start(const char *dir,
                                                  const struct pail_services *svc);
/* Stops serving and removes the socket. NULL is a no-op. */
void pail_admin_socket_stop(struct pail_admin_socket *s);

/* Sends argv to the server on dir. Returns its exit status with its text in
 * out, or -1 when no server listens there. */
int pail_admin_socket_call(const char *dir, int argc, const char *const *argv,
                           struct pail_buf *out);

#endif
