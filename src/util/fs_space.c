/* util/fs_space.c — see fs_space.h. */
#include "util/fs_space.h"

#include <sys/statvfs.h>

#define RESERVE_MAX (64ull << 20)

bool pail_fs_room(int fd, uint64_t need)
{
    struct statvfs v;
    if (fstatvfs(fd, &v) != 0 || v.f_blocks == 0)
        return true;
    uint64_t unit = v.f_frsize ? v.f_frsize : v.f_bsize;
    uint64_t avail = (uint64_t)v.f_bavail * unit, total = (uint64_t)v.f_blocks * unit;
    uint64_t reserve = total / 32 < RESERVE_MAX ? total / 32 : RESERVE_MAX;
    return avail >= reserve && avail - reserve >= need;
}
