/* util/fs_space.h — the free space every store keeps in reserve.
 * Owns the rule: object bytes (blobs, or small objects kept inline in the
 * metadata) may be written only while they leave at least the reserve free,
 * 1/32 of the filesystem and at most 64 MiB. The metadata database usually
 * shares the filesystem, and a DeleteObject writes metadata before it frees
 * anything: without room kept for that, a disk filled with objects could not
 * be emptied through S3. */
#ifndef PAIL_UTIL_FS_SPACE_H
#define PAIL_UTIL_FS_SPACE_H

#include <stdbool.h>
#include <stdint.h>

/* true when the filesystem holding open descriptor fd can take `need` more
 * bytes above the reserve; also true when it reports no size (f_blocks 0) or
 * cannot be asked, since the write itself will then tell. */
bool pail_fs_room(int fd, uint64_t need);

#endif
