/* store/reaper.h — removes released data blobs off the request path.
 * A blob is handed over only after the metadata commit that released it, so
 * nothing refers to it any more; removing it later (one background thread)
 * keeps slow unlinks (milliseconds each on ext4) out of DeleteObjects and
 * overwrite latency. A crash before removal leaves an orphan that the
 * start-up sweep deletes, exactly as a crash between commit and unlink did. */
#ifndef PAIL_STORE_REAPER_H
#define PAIL_STORE_REAPER_H

#include "core/err.h"

#include <stdbool.h>

struct pail_data;
struct pail_reaper;

/* Starts the reaper thread for data backend d. NULL on failure (callers then
 * remove blobs inline). Freed by pail_reaper_free. */
struct pail_reaper *pail_reaper_new(struct pail_data *d);
/* Queues blob id for removal (copied). With a NULL reaper, or past the
 * queue's bound, removes it now. Failures are logged; the sweep retries. */
void pail_reaper_add(struct pail_reaper *r, struct pail_data *d, const char *id);
/* Holds (true) or resumes (false) removals, nesting: while held, released
 * blobs queue without bound and none is removed, so a blob a metadata
 * snapshot taken meanwhile refers to stays on disk until the hold ends
 * (pail admin backup). Removals already taken off the queue were released
 * by commits before the hold. NULL is a no-op. */
void pail_reaper_hold(struct pail_reaper *r, bool hold);
/* Removes everything still queued, stops the thread, frees r. NULL is a no-op. */
void pail_reaper_free(struct pail_reaper *r);

#endif
