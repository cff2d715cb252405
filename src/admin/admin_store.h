/* admin/admin_store.h — the operator's tools for a data directory as a
 * whole: `pail admin check` (every metadata row has its bytes, intact; no
 * file is left that nothing refers to) and `pail admin backup` (a
 * consistent copy a server can start on). Both work through the stores'
 * interfaces (store/meta.h, store/data.h), never on paths of their own. */
#ifndef PAIL_ADMIN_ADMIN_STORE_H
#define PAIL_ADMIN_ADMIN_STORE_H

#include <stdbool.h>

struct pail_buf;
struct pail_services;

/* Checks the store in svc, which no other process may be using (the
 * caller opened the directory itself, holding its lock): a live server's
 * uploads in flight would look like orphans, and its deletes would race the
 * check. With repair: removes orphaned blobs and temporaries; removes the
 * metadata of objects whose data is missing or corrupt (a GET then answers
 * NoSuchKey), keeping corrupt bytes in DIR/lost+found; damaged parts of
 * pending uploads are only reported. verbose: a line per row checked.
 * Returns 0 when nothing was wrong, 1 when something was (repaired or not). */
int pail_admin_check(const struct pail_services *svc, bool repair, bool verbose,
                     struct pail_buf *out);

/* Copies the store in svc, running or not, into dest (an absolute path
 * that must not exist or be an empty directory): the metadata as of one
 * snapshot and every blob that snapshot refers to (hard links where the
 * filesystem allows), plus DIR/root-credentials. The reaper is held from
 * before the snapshot until the last blob is exported, so none of those
 * blobs can be removed meanwhile. Returns 0, or 1 with the reason in out. */
int pail_admin_backup(const struct pail_services *svc, const char *dest, struct pail_buf *out);

#endif
