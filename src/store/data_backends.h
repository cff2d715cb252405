/* store/data_backends.h — internal to store/: the base writer struct every
 * data backend's writer embeds as its first member, and the backends data.c
 * registers by name. Nothing outside src/store/ and its tests includes this. */
#ifndef PAIL_STORE_DATA_BACKENDS_H
#define PAIL_STORE_DATA_BACKENDS_H

#include "store/data.h"

/* A backend allocates its own writer ("subclass") with this as the first
 * member, so data.c can route pail_data_write/commit/abort to w->ops without
 * knowing the backend. writer_open's caller (data.c) sets ops. */
struct pail_data_writer {
    const struct pail_data_ops *ops;
};

/* Files backend ("file"): tmp/ + objects/ab/cd/<id> under a directory. */
extern const struct pail_data_ops pail_data_file;

#ifdef PAIL_TESTING
/* Fault injection over "file" ("fault", test builds only): data_fault.c. */
extern const struct pail_data_ops pail_data_fault;
#endif

#endif
