/* store/meta_backends.h — internal to store/: the metadata backends that
 * meta.c registers by name, and test/metrics hooks they export. Nothing
 * outside src/store/ and its unit tests includes this. */
#ifndef PAIL_STORE_META_BACKENDS_H
#define PAIL_STORE_META_BACKENDS_H

#include "store/meta.h"

#include <stdatomic.h>

/* SQLite backend ("sqlite"): <dir>/meta.db, WAL, one serialised connection. */
extern const struct pail_meta_ops pail_meta_sqlite;

/* Rows stepped by the SQLite listing walkers (object_list, upload_list) since
 * start-up, all handles together. Lets tests prove listings seek past rolled-
 * up common prefixes instead of scanning; cheap enough to keep as a metric. */
extern atomic_ulong pail__meta_sqlite_list_rows;

#endif
